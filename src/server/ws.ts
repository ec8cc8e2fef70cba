/**
 * The event stream over WebSocket: the event hub's subscriptions on a node http server's
 * `upgrade` (ws, no server of its own), authenticated on the handshake.
 *
 * Protocol (docs/server.md):
 * - connect to `path` (default /v1/events) with the API key's signed handshake; the
 *   `authenticate` callback turns the request into a Viewer (or refuses: HTTP 401 on the
 *   handshake, nothing upgraded);
 * - `?since=SEQ[&accounts=a,b][&public=0]` subscribes at once; without `since` the first
 *   client message must be `{"op":"subscribe","since":SEQ,"accounts":[...],"public":true}`
 *   (`since` omitted: from now on);
 * - the server answers `{"op":"subscribed","since":S,"head":H}` and then sends
 *   `{"op":"event","seq":N,"event":{...}}` per event (decimal strings, the journal's encoding);
 * - `{"op":"ping"}` gets `{"op":"pong","head":H}`;
 * - a refused subscription closes with 4400/4403 and the reason; a client that falls too far
 *   behind is closed with 4008 `too slow; resume with since=N`.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { Gauge, type Registry } from 'prom-client';
import { type WebSocket, WebSocketServer } from 'ws';
import {
  CLOSE_BAD_REQUEST,
  type EventHub,
  type SubscribeOptions,
  type SubscriberTransport,
  SubscriptionError,
  type Viewer,
} from './event-hub.ts';

/** Turns a handshake request into who is looking, or undefined to refuse it (HTTP 401). */
export type Authenticate = (req: IncomingMessage) => Viewer | undefined | Promise<Viewer | undefined>;

export interface EventStreamOptions {
  readonly hub: EventHub;
  readonly authenticate: Authenticate;
  /** Path of the stream (default /v1/events). */
  readonly path?: string;
  /** The server's metrics registry: the stream registers `plimsoll_ws_clients` on it. */
  readonly registry?: Registry;
  /** How long a client without `since` may take to send its subscribe message (default 10 s). */
  readonly subscribeTimeoutMs?: number;
}

export interface EventStream {
  /** Connected clients. */
  readonly clients: number;
  /** Closes every client (1001) and stops accepting upgrades. */
  close(): Promise<void>;
}

const MAX_CLIENT_MESSAGE = 16 * 1024;

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** Parses the subscription a client asks for (query or first message); throws SubscriptionError. */
export function parseSubscription(input: {
  since?: unknown;
  accounts?: unknown;
  public?: unknown;
}): Omit<SubscribeOptions, 'viewer'> {
  const out: { since?: number; accounts?: string[]; publicEvents?: boolean } = {};
  if (input.since !== undefined && input.since !== null && input.since !== '') {
    const n =
      typeof input.since === 'string' && /^\d{1,16}$/.test(input.since) ? Number(input.since) : input.since;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
      throw new SubscriptionError(CLOSE_BAD_REQUEST, 'since must be a non-negative integer');
    out.since = n;
  }
  if (input.accounts !== undefined) {
    const list = typeof input.accounts === 'string' ? input.accounts.split(',') : input.accounts;
    if (
      !Array.isArray(list) ||
      list.length > 1000 ||
      !list.every((a) => typeof a === 'string' && a.length > 0)
    )
      throw new SubscriptionError(CLOSE_BAD_REQUEST, 'accounts must be a list of account ids');
    out.accounts = list as string[];
  }
  if (input.public !== undefined) out.publicEvents = !(input.public === false || input.public === '0');
  return out;
}

/** Attaches the event stream to `server`'s upgrade requests on `path`. */
export function attachEventStream(server: Server, opts: EventStreamOptions): EventStream {
  const path = opts.path ?? '/v1/events';
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE });
  const clients = new Set<WebSocket>();
  const gauge = opts.registry
    ? ((opts.registry.getSingleMetric('plimsoll_ws_clients') as Gauge | undefined) ??
      new Gauge({
        name: 'plimsoll_ws_clients',
        help: 'WebSocket event-stream clients connected',
        registers: [opts.registry],
      }))
    : undefined;
  let closing = false;

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== path) return; // another upgrade handler may own it
    if (closing) return refuse(socket, 503, 'Service Unavailable');
    socket.on('error', () => socket.destroy());
    Promise.resolve()
      .then(() => opts.authenticate(req))
      .then(
        (viewer) => {
          if (!viewer) return refuse(socket, 401, 'Unauthorized');
          wss.handleUpgrade(req, socket, head, (ws) => accept(ws, viewer, url));
        },
        () => refuse(socket, 401, 'Unauthorized'),
      );
  };

  const accept = (ws: WebSocket, viewer: Viewer, url: URL) => {
    clients.add(ws);
    gauge?.inc();
    let stop: (() => void) | undefined;
    const transport: SubscriberTransport = {
      send: (text) => ws.send(text),
      bufferedAmount: () => ws.bufferedAmount,
      close: (code, reason) => ws.close(code, reason),
    };
    const start = (req: Parameters<typeof parseSubscription>[0]) => {
      try {
        const sub = { ...parseSubscription(req), viewer };
        // validated before the answer, so a refused subscription never says 'subscribed'
        const since = opts.hub.checkSubscription(sub);
        ws.send(JSON.stringify({ op: 'subscribed', since, head: opts.hub.headSeq }));
        stop = opts.hub.subscribe(transport, { ...sub, since });
      } catch (e) {
        if (e instanceof SubscriptionError) ws.close(e.closeCode, e.message.slice(0, 120));
        else ws.close(1011, 'internal error');
      }
    };
    const timer = setTimeout(() => {
      if (!stop) ws.close(CLOSE_BAD_REQUEST, 'no subscribe message');
    }, opts.subscribeTimeoutMs ?? 10_000);
    ws.on('message', (data) => {
      let msg: { op?: unknown; since?: unknown; accounts?: unknown; public?: unknown };
      try {
        msg = JSON.parse(String(data));
      } catch {
        return ws.close(CLOSE_BAD_REQUEST, 'messages are JSON');
      }
      if (msg?.op === 'ping') return ws.send(JSON.stringify({ op: 'pong', head: opts.hub.headSeq }));
      if (msg?.op === 'subscribe' && !stop) return start(msg);
      ws.close(CLOSE_BAD_REQUEST, stop ? 'already subscribed' : 'expected {"op":"subscribe"}');
    });
    ws.on('close', () => {
      clearTimeout(timer);
      stop?.();
      clients.delete(ws);
      gauge?.dec();
    });
    ws.on('error', () => ws.terminate());
    const q = url.searchParams;
    if (q.has('since'))
      start({
        since: q.get('since') ?? undefined,
        accounts: q.get('accounts') ?? undefined,
        public: q.get('public') ?? undefined,
      });
  };

  server.on('upgrade', onUpgrade);
  return {
    get clients() {
      return clients.size;
    },
    async close() {
      closing = true;
      server.off('upgrade', onUpgrade);
      for (const ws of clients) ws.close(1001, 'server shutting down');
      await new Promise<void>((resolve) => {
        const until = Date.now() + 2_000;
        const check = () => {
          if (clients.size === 0 || Date.now() > until) {
            for (const ws of clients) ws.terminate();
            wss.close(() => resolve());
          } else setTimeout(check, 10);
        };
        check();
      });
    },
  };
}
