/**
 * The cluster's HTTP gateway (`plimsoll serve --cluster`, `plimsoll cluster up`): the
 * single-process API — every route of its table, same paths, bodies, replies and error shapes —
 * answered by the owning partition, by any partition, merged across partitions, or refused with
 * 501 CLUSTER_UNSUPPORTED where a view has no cluster meaning yet (gateway-api.ts); the risk
 * console at /dashboard/; the merged event stream at /v1/events (gateway-events.ts); and the
 * cluster-only routes: GET
 * /v1/cluster/status (each partition's seq, state hash and write-offs), GET
 * /v1/cluster/accounts/:account (balances and positions from the account's partition) and POST
 * /v1/cluster/insurance-fund (`{units, commandId}`: a contribution to the coordinator's fund, in
 * settlement-asset units). With API keys (`auth`; the CLI always gives them) requests are signed
 * and checked as the single process checks them (server/request-guard.ts), the cluster-only
 * routes need an operator key, and the event stream an operator or venue key (it has no
 * per-account filtering); without keys, bind the gateway to a private address.
 *
 * Command statuses: 200 applied; 202 durable in the stream but not answered within the wait (it
 * will be applied); 400 malformed; 422 refused (engine or cluster code in `code`); 503 partition
 * silent.
 */
import type { IncomingMessage, Server } from 'node:http';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { ApiKey } from '../server/auth.ts';
import { ApiError } from '../server/errors.ts';
import { handshakeAuthenticator } from '../server/live.ts';
import type { RateLimitOptions } from '../server/rate-limit.ts';
import { RequestGuard } from '../server/request-guard.ts';
import type { ClusterClient } from './client.ts';
import { mountSingleProcessApi } from './gateway-api.ts';
import { attachClusterEvents } from './gateway-events.ts';
import { partitionOf } from './partition.ts';

export { answer } from './gateway-api.ts';

export interface GatewayOptions {
  /** Milliseconds to wait for a worker's outcome before answering 202; default 10,000. */
  readonly waitMs?: number;
  /** The merged event stream at /v1/events (gateway-events.ts): the journals' PostgreSQL. */
  readonly events?: { readonly pgUrl: string; readonly pollMs?: number };
  /** API keys, as the single process takes them (server/auth.ts); absent: no authentication. */
  readonly auth?: {
    readonly keys: readonly ApiKey[];
    readonly windowMs?: number;
    readonly rateLimit?: RateLimitOptions;
  };
  /** The risk console's built files at /dashboard/ (default the package's dist/dashboard; false: none). */
  readonly dashboardDir?: string | false;
}

/** The cluster-only routes: an operator's. */
const CLUSTER_ROUTE_SCOPES = ['operator'] as const;

export function gatewayApp(client: ClusterClient, opts: GatewayOptions = {}): Hono {
  const app = new Hono();
  const waitMs = opts.waitMs ?? 10_000;
  const guard = opts.auth === undefined ? undefined : new RequestGuard(opts.auth);
  mountSingleProcessApi(app, client, {
    waitMs,
    ...(guard === undefined ? {} : { guard }),
    ...(opts.events ? { pgUrl: opts.events.pgUrl } : {}),
    ...(opts.dashboardDir === undefined ? {} : { dashboardDir: opts.dashboardDir }),
  });

  if (guard !== undefined) {
    app.use('/v1/cluster/*', async (c, next) => {
      try {
        const url = new URL(c.req.url);
        // hono keeps the text: the handler's c.req.json() reads it again
        const body = c.req.method === 'GET' ? '' : await c.req.text();
        guard.check(
          { auth: CLUSTER_ROUTE_SCOPES, method: c.req.method.toLowerCase() as 'get', path: url.pathname },
          {
            method: c.req.method,
            pathQuery: url.pathname + url.search,
            body,
            header: (n) => c.req.header(n),
          },
        );
      } catch (e) {
        if (e instanceof ApiError) return c.json(e.body(), e.status, e.headers);
        throw e;
      }
      await next();
    });
  }

  // the coordinator's insurance fund: a contribution in settlement-asset units (idempotent by commandId)
  app.post('/v1/cluster/insurance-fund', async (c) => {
    const body = (await c.req.json().catch(() => undefined)) as
      | { units?: unknown; commandId?: unknown }
      | undefined;
    if (
      typeof body?.units !== 'string' ||
      !/^[0-9]{1,40}$/.test(body.units) ||
      typeof body.commandId !== 'string'
    ) {
      return c.json(
        {
          code: 'INVALID_REQUEST',
          message: 'body: {units: integer string of settlement-asset units, commandId}',
        },
        400,
      );
    }
    const r = await client.coordinator(
      { type: 'fund', id: body.commandId, amount: body.units },
      `f:${body.commandId}`,
      waitMs,
    );
    if (r.ok === 'pending')
      return c.json({ code: 'ACCEPTED', message: 'durable in the coordinator stream' }, 202);
    if (!r.ok) return c.json({ code: r.rejection.code, message: r.rejection.message }, 422);
    return c.json(r, 200);
  });
  app.get('/v1/cluster/status', async (c) => {
    try {
      const parts = await Promise.all(
        Array.from({ length: client.partitions }, (_, p) => client.query(p).then((q) => q.status)),
      );
      return c.json({ cluster: client.names.name, partitions: parts });
    } catch (err) {
      return c.json({ code: 'PARTITION_UNAVAILABLE', message: (err as Error).message }, 503);
    }
  });
  app.get('/v1/cluster/accounts/:account', async (c) => {
    const account = c.req.param('account');
    try {
      const q = await client.query(partitionOf(account, client.partitions), account);
      return c.json({ account, partition: q.status.partition, subaccounts: q.subaccounts ?? [] });
    } catch (err) {
      return c.json({ code: 'PARTITION_UNAVAILABLE', message: (err as Error).message }, 503);
    }
  });
  app.notFound((c) =>
    c.json({ code: 'NOT_FOUND', message: `no route ${c.req.method} ${new URL(c.req.url).pathname}` }, 404),
  );
  return app;
}

export interface RunningGateway {
  readonly url: string;
  close(): Promise<void>;
}

/** Listens with @hono/node-server on host:port (0: any free port). */
export function listenGateway(
  client: ClusterClient,
  at: { host: string; port: number },
  opts: GatewayOptions = {},
): Promise<RunningGateway> {
  const app = gatewayApp(client, opts);
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, hostname: at.host, port: at.port }, (info) => {
      const events = opts.events
        ? attachClusterEvents(server as Server, {
            pgUrl: opts.events.pgUrl,
            ...(opts.auth === undefined ? {} : { authorize: operatorHandshake(opts.auth) }),
            names: client.names,
            partitions: client.partitions,
            ...(opts.events.pollMs === undefined ? {} : { pollMs: opts.events.pollMs }),
          })
        : undefined;
      resolve({
        url: `http://${at.host}:${info.port}`,
        close: async () => {
          await events?.close();
          await new Promise<void>((done) => server.close(() => done()));
        },
      });
    });
  });
}

/**
 * The merged stream has no per-account filtering yet: a handshake signed (as the single
 * process's, server/live.ts) by an operator or venue key may subscribe; an unsigned one or
 * another key's is refused.
 */
function operatorHandshake(auth: NonNullable<GatewayOptions['auth']>): (req: IncomingMessage) => boolean {
  const viewer = handshakeAuthenticator(
    auth.keys,
    auth.windowMs === undefined ? {} : { windowMs: auth.windowMs },
  );
  return (req) => viewer(req)?.operator === true;
}
