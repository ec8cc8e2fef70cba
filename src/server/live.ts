/**
 * The live parts of a running service, wired together: the event hub on the sink's committed
 * events, the WebSocket stream on the http server (handshake signed like any request), and the
 * keeper reacting to prices. The service calls `attachLive` once it listens and `close` before
 * it closes the http server.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Registry } from 'prom-client';
import type { SubaccountRef } from '../core/model/engine-config.ts';
import { type ApiKey, Authenticator } from './auth.ts';
import type { CommandSink } from './command-sink.ts';
import { EventHub, type JournalRecord, type Viewer } from './event-hub.ts';
import { KeeperService, type LiquidationOrder } from './keeper-service.ts';
import { attachEventStream, type EventStream } from './ws.ts';

/** Path of the WebSocket event stream. */
export const EVENTS_PATH = '/v1/events';

/** What a key may see on the stream: operator and venue keys everything, others their accounts and public events. */
export function viewerOf(key: ApiKey): Viewer {
  if (key.scopes.includes('operator') || key.scopes.includes('venue')) return { operator: true };
  return { operator: false, accounts: key.accounts ?? [], orders: key.scopes.includes('liquidator') };
}

/** An unsigned handshake: public market events only (prices, funding, anonymous liquidations). */
export const PUBLIC_VIEWER: Viewer = Object.freeze({ operator: false, accounts: Object.freeze([]) });

/**
 * Verifies a WebSocket handshake signed like a GET of its path and query (the PLIM-* headers,
 * or the same names as query parameters `key`, `ts`, `nonce`, `sig` for clients that cannot
 * set headers — those four are left out of the signed path). A handshake that carries no key at
 * all is a public viewer, as venues publish their market streams without auth; one that carries
 * a key but a bad signature is refused.
 */
export function handshakeAuthenticator(
  keys: readonly ApiKey[],
  opts: { windowMs?: number; now?: () => number } = {},
): (req: IncomingMessage) => Viewer | undefined {
  const auth = new Authenticator({
    keys,
    ...(opts.windowMs === undefined ? {} : { windowMs: opts.windowMs }),
    ...(opts.now ? { now: opts.now } : {}),
  });
  const QUERY_AUTH: Record<string, string> = {
    'plim-key': 'key',
    'plim-timestamp': 'ts',
    'plim-nonce': 'nonce',
    'plim-signature': 'sig',
  };
  return (req) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    // the signature fields may come in the query; they are not part of the signed path
    const fromQuery = new Map<string, string>();
    for (const [header, q] of Object.entries(QUERY_AUTH)) {
      const v = url.searchParams.get(q);
      if (v !== null) fromQuery.set(header, v);
      url.searchParams.delete(q);
    }
    if (req.headers['plim-key'] === undefined && !fromQuery.has('plim-key')) return PUBLIC_VIEWER;
    try {
      const key = auth.verify({
        method: 'GET',
        pathQuery: url.pathname + url.search,
        body: '',
        header: (name) => {
          const h = req.headers[name.toLowerCase()];
          return (Array.isArray(h) ? h[0] : h) ?? fromQuery.get(name.toLowerCase());
        },
      });
      return viewerOf(key);
    } catch {
      return undefined;
    }
  };
}

export interface LiveOptions {
  readonly server: Server;
  readonly sink: CommandSink;
  readonly keys: readonly ApiKey[];
  /** Durable events for resumes (DeferredJournal.readRange, or a synchronous journal's read). */
  readonly readRange: (afterSeq: number, limit: number) => Promise<readonly JournalRecord[]>;
  readonly registry?: Registry;
  readonly authWindowMs?: number;
  readonly now?: () => number;
  /** 'execute' (default): the keeper liquidates; 'orders': it only publishes liquidation orders; 'off'. */
  readonly keeper?: 'execute' | 'orders' | 'off';
  readonly liquidator?: SubaccountRef;
  /** The venue's clock for the keeper's liquidations (omit when replaying market time). */
  readonly clock?: () => number;
  readonly ringSize?: number;
  readonly onKeeperError?: (e: unknown) => void;
  readonly onOrders?: (orders: readonly LiquidationOrder[]) => void;
}

export interface Live {
  readonly hub: EventHub;
  readonly stream: EventStream;
  readonly keeper: KeeperService | undefined;
  close(): Promise<void>;
}

export function attachLive(opts: LiveOptions): Live {
  const hub = new EventHub({
    headSeq: opts.sink.engine.state.seq,
    readRange: opts.readRange,
    ...(opts.ringSize === undefined ? {} : { ringSize: opts.ringSize }),
  });
  const unsubscribe = opts.sink.onCommitted((events) => hub.publish(events));
  const stream = attachEventStream(opts.server, {
    hub,
    path: EVENTS_PATH,
    authenticate: handshakeAuthenticator(opts.keys, {
      ...(opts.authWindowMs === undefined ? {} : { windowMs: opts.authWindowMs }),
      ...(opts.now ? { now: opts.now } : {}),
    }),
    ...(opts.registry ? { registry: opts.registry } : {}),
  });
  const mode = opts.keeper ?? 'execute';
  const keeper =
    mode === 'off'
      ? undefined
      : new KeeperService(opts.sink, {
          mode,
          ...(opts.registry ? { registry: opts.registry } : {}),
          ...(opts.liquidator ? { liquidator: opts.liquidator } : {}),
          ...(opts.clock ? { clock: opts.clock } : {}),
          ...(opts.onKeeperError ? { onError: opts.onKeeperError } : {}),
          onOrders: (orders) => {
            hub.notice({ op: 'liquidation_orders', orders });
            opts.onOrders?.(orders);
          },
        });
  keeper?.trigger();
  return {
    hub,
    stream,
    keeper,
    async close() {
      await keeper?.stop();
      unsubscribe();
      await stream.close();
    },
  };
}

/** readRange over a synchronous journal's `read` (SQLite or memory), a page at a time. */
export function readRangeOf(journal: {
  read(afterSeq?: number): IterableIterator<JournalRecord>;
}): (afterSeq: number, limit: number) => Promise<JournalRecord[]> {
  return async (afterSeq, limit) => {
    const out: JournalRecord[] = [];
    for (const e of journal.read(afterSeq)) {
      out.push(e);
      if (out.length >= limit) break;
    }
    return out;
  };
}
