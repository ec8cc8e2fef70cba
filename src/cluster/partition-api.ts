/**
 * The single-process HTTP API's route handlers, run inside a partition worker against its live
 * engine, so the cluster gateway answers every route with the same code (and the same bodies) as
 * `plimsoll serve` — never a re-implementation that could drift.
 *
 * The gateway sends a request (route pattern, params, raw query, raw body) on the partition's
 * core NATS subject `<name>.api.<p>`. The worker validates it with the route's own zod schemas and
 * runs the handler on a context whose command sink does not execute: a handler that submits a
 * command (after its own checks: access, order ownership, ids) is stopped there and the command
 * is answered as `{kind: 'command'}`; the gateway publishes it through JetStream like any command,
 * so a mutation is still durable before it is acknowledged and applied once. A read handler
 * answers `{kind: 'reply'}`; an ApiError `{kind: 'error'}` with its status.
 *
 * Reads see the engine between batches (they may include a batch being committed, as a read of
 * the single process may include the group being committed).
 */
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { decodeEvent } from '../core/engine/codec.ts';
import type { Engine } from '../core/engine/engine.ts';
import type { Sequenced } from '../core/engine/events.ts';
import { createContext, parseRouteInput } from '../server/app.ts';
import { auditSnapshot } from '../server/audit.ts';
import type { ApiKey } from '../server/auth.ts';
import type { CommandSink } from '../server/command-sink.ts';
import type { AppContext } from '../server/context.ts';
import { ApiError } from '../server/errors.ts';
import type { JournalRecord } from '../server/event-hub.ts';
import { createLogger, plainForLog } from '../server/log.ts';
import type { RouteDef } from '../server/route.ts';
import { allRoutes } from '../server/routes/index.ts';
import type { ClusterNames } from './names.ts';

/** The gateway's identity toward the handlers when it runs without API keys (bind it privately). */
export const GATEWAY_KEY: ApiKey = Object.freeze({
  id: 'cluster-gateway',
  secret: 'x'.repeat(32),
  scopes: ['operator'],
}) as ApiKey;

export interface ApiRequest {
  readonly method: string;
  /** The route's pattern, as in the route table: /v1/accounts/:account */
  readonly path: string;
  readonly params: Record<string, string>;
  readonly query: Record<string, string>;
  /** The raw request body (JSON text), when the route has one. */
  readonly body?: string;
  /**
   * The key the gateway verified the request with (its secret left out): the handler's own
   * access checks (which accounts it may read or move) use it. Absent: the gateway runs without
   * keys and the handler acts as an operator.
   */
  readonly key?: Pick<ApiKey, 'id' | 'scopes' | 'accounts'>;
}

export type ApiAnswer =
  | { readonly kind: 'reply'; readonly status: number; readonly body: unknown }
  | { readonly kind: 'command'; readonly command: Record<string, unknown> & { type: string } }
  | {
      readonly kind: 'error';
      readonly code: string;
      readonly message: string;
      readonly details?: Record<string, unknown>;
    };

/**
 * A request with this method (path: the command type, params.target) answers the configuration an
 * audited operator command changes, as the single process's audit trail records it (audit.ts): the
 * gateway's audit trail reads it from partition 0 before and after a broadcast (gateway-audit.ts).
 */
export const AUDIT_SNAPSHOT = 'audit-snapshot';

/** Core NATS subject a partition answers API requests on. */
export const apiSubject = (names: ClusterNames, partition: number): string =>
  `${names.name}.api.${partition}`;

/** Thrown by the capturing sink: the handler got as far as submitting this command. */
class Captured {
  constructor(readonly command: Record<string, unknown> & { type: string }) {}
}

export interface PartitionApi {
  /** Feeds events the worker just committed to the views that fold them (losses, dashboards). */
  committed(afterSeq: number): void;
  close(): void;
}

const routeKey = (method: string, path: string) => `${method.toUpperCase()} ${path}`;

/**
 * A command sink that never executes: `submit` stops the handler with the command (runRoute
 * answers it as `{kind: 'command'}`); committed events reach the views through `listeners`.
 */
export function capturingSink(engine: () => Engine): {
  sink: CommandSink;
  listeners: Set<(events: readonly Sequenced[]) => void>;
} {
  const listeners = new Set<(events: readonly Sequenced[]) => void>();
  const sink: CommandSink = {
    get engine() {
      return engine();
    },
    submit: (command) => {
      throw new Captured(command as Record<string, unknown> & { type: string });
    },
    onCommitted: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    drain: async () => {},
  };
  return { sink, listeners };
}

/** Serves the API routes on `<name>.api.<partition>` over the worker's engine (and journal). */
export function servePartitionApi(opts: {
  readonly nc: NatsConnection;
  readonly names: ClusterNames;
  readonly partition: number;
  readonly engine: () => Engine;
  readonly read: (afterSeq: number) => Iterable<JournalRecord>;
  readonly readRange: (afterSeq: number, limit: number) => Promise<readonly JournalRecord[]>;
}): PartitionApi {
  const { sink, listeners } = capturingSink(opts.engine);
  const ctx = createContext({ sink, readRange: opts.readRange, logger: createLogger({ level: 'silent' }) });
  const routes = new Map<string, RouteDef>();
  for (const r of allRoutes(() => ({}))) routes.set(routeKey(r.method, r.path), r);

  const sub: Subscription = opts.nc.subscribe(apiSubject(opts.names, opts.partition), {
    callback: (_err, msg) => {
      let req: ApiRequest | undefined;
      try {
        req = msg.json<ApiRequest>();
      } catch {
        req = undefined;
      }
      void runRoute(ctx, routes, req).then((answer) => msg.respond(JSON.stringify(answer)));
    },
  });
  return {
    committed(afterSeq) {
      if (listeners.size === 0) return;
      const events: Sequenced[] = [];
      for (const r of opts.read(afterSeq)) events.push({ ...decodeEvent(r.json), seq: r.seq } as Sequenced);
      // a view's fault must not stop the worker: the views are figures, the journal is the truth
      if (events.length > 0)
        for (const l of listeners) {
          try {
            l(events);
          } catch {}
        }
    },
    close: () => sub.unsubscribe(),
  };
}

/** Validates `req` with its route's schemas and runs the handler (exported for tests). */
export async function runRoute(
  ctx: AppContext,
  routes: ReadonlyMap<string, RouteDef>,
  req: ApiRequest | undefined,
): Promise<ApiAnswer> {
  const error = (e: ApiError): ApiAnswer => ({
    kind: 'error',
    code: e.code,
    message: e.message,
    ...(e.details ? { details: e.details } : {}),
  });
  if (req?.method === AUDIT_SNAPSHOT) {
    const snap = auditSnapshot(ctx.sink.engine.state, req.path, req.params?.target ?? '');
    return { kind: 'reply', status: 200, body: plainForLog(snap) ?? null };
  }
  const r = req ? routes.get(routeKey(req.method, req.path)) : undefined;
  if (!req || !r) return error(new ApiError('NOT_FOUND', 'no such route in the partition API'));
  try {
    const { body, query } = parseRouteInput(r, req.body ?? '', req.query);
    const key: ApiKey = req.key === undefined ? GATEWAY_KEY : { ...req.key, secret: GATEWAY_KEY.secret };
    const out = await r.handler(ctx, { key, body, query, params: req.params });
    if (out instanceof Response) {
      const text = await out.text();
      return { kind: 'reply', status: out.status, body: text };
    }
    return { kind: 'reply', status: r.status ?? 200, body: out };
  } catch (e) {
    if (e instanceof Captured) return { kind: 'command', command: e.command };
    if (e instanceof ApiError) return error(e);
    return error(new ApiError('INTERNAL', e instanceof Error ? e.message : String(e)));
  }
}
