/**
 * The cluster's HTTP gateway (`plimsoll serve --cluster`, `plimsoll cluster up`): the command
 * routes of the single-process API, with the same paths, request bodies (server/wire) and reply
 * shape (`{seq, replayed?, events}`), each turned into one engine command and routed to its
 * partition (or broadcast) through JetStream; the answer is the partition worker's outcome after
 * its journal commit.
 *
 * Covered: POST /v1/deposits, /v1/withdrawals, /v1/transfers, /v1/fills (both sides in one
 * partition), /v1/prices (broadcast). Cluster-only: GET /v1/cluster/status (each partition's
 * seq, state hash and write-offs), GET /v1/cluster/accounts/:account (balances and positions
 * from the account's partition) and POST /v1/cluster/insurance-fund (`{units, commandId}`: a
 * contribution to the coordinator's fund, in settlement-asset units). Not covered yet: every other route, API keys and scopes (bind the
 * gateway to a private address), the event stream (WebSocket) merge.
 *
 * Statuses: 200 applied; 202 durable in the stream but not answered within the wait (it will be
 * applied); 400 malformed; 422 refused (engine or cluster code in `code`); 503 partition silent.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import { HTTP_STATUS } from '../server/errors.ts';
import { DepositBody, FillBody, PricesBody, TransferBody, WithdrawalBody } from '../server/wire/commands.ts';
import { toRef } from '../server/wire/common.ts';
import type { ClusterClient, SubmitResult } from './client.ts';
import { partitionOf } from './partition.ts';

export interface GatewayOptions {
  /** Milliseconds to wait for a worker's outcome before answering 202; default 10,000. */
  readonly waitMs?: number;
}

export function gatewayApp(client: ClusterClient, opts: GatewayOptions = {}): Hono {
  const app = new Hono();
  const waitMs = opts.waitMs ?? 10_000;

  const post = <S extends z.ZodType>(
    path: string,
    schema: S,
    toCommand: (b: z.output<S>) => Record<string, unknown>,
  ) => {
    app.post(path, async (c) => {
      let json: unknown;
      try {
        json = await c.req.json();
      } catch {
        return c.json({ code: 'MALFORMED_JSON', message: 'the body is not JSON' }, 400);
      }
      const body = schema.safeParse(json);
      if (!body.success) return c.json({ code: 'INVALID_REQUEST', message: body.error.message }, 400);
      const r = await client.submit(toCommand(body.data), waitMs);
      const [status, reply] = answer(r);
      return c.json(reply, status);
    });
  };
  const id = (commandId: string | undefined) => (commandId === undefined ? {} : { commandId });

  post('/v1/deposits', DepositBody, (b) => ({
    type: 'deposit',
    to: toRef(b),
    asset: b.asset,
    amount: b.amount,
    ...id(b.commandId),
  }));
  post('/v1/withdrawals', WithdrawalBody, (b) => ({
    type: 'withdraw',
    from: toRef(b),
    asset: b.asset,
    amount: b.amount,
    ...id(b.commandId),
  }));
  post('/v1/transfers', TransferBody, (b) => ({
    type: 'transfer',
    from: { account: b.account, sub: b.fromSub },
    to: { account: b.account, sub: b.toSub },
    asset: b.asset,
    amount: b.amount,
    ...id(b.commandId),
  }));
  post('/v1/fills', FillBody, (b) => ({
    type: 'fill',
    market: b.symbol,
    buyer: toRef(b.buyer),
    seller: toRef(b.seller),
    size: b.amount,
    price: b.price,
    taker: b.taker ?? 'buyer',
    ...(b.buyOrderId === undefined ? {} : { buyOrderId: b.buyOrderId }),
    ...(b.sellOrderId === undefined ? {} : { sellOrderId: b.sellOrderId }),
    ...(b.timeMs === undefined ? {} : { timeMs: b.timeMs }),
    ...id(b.commandId),
  }));
  post('/v1/prices', PricesBody, (b) => ({
    type: 'prices',
    timeMs: b.timeMs ?? Date.now(),
    marks: b.marks ?? {},
    assets: b.assets ?? {},
    exchangeRates: b.exchangeRates ?? {},
    ...id(b.commandId),
  }));

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
  return app;
}

/** The HTTP status and body for a worker's outcome. */
export function answer(r: SubmitResult): [ContentfulStatusCode, unknown] {
  if (r.ok === 'pending') {
    return [
      202,
      { code: 'ACCEPTED', message: `durable in ${r.subject} at stream sequence ${r.streamSeq}`, ...r },
    ];
  }
  if (r.ok) {
    return [200, { seq: r.seq, ...(r.replayed ? { replayed: true } : {}), events: r.events }];
  }
  const code = r.rejection.code;
  const known = (HTTP_STATUS as Record<string, ContentfulStatusCode>)[code];
  return [known ?? 422, { code, message: r.rejection.message }];
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
      resolve({
        url: `http://${at.host}:${info.port}`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}
