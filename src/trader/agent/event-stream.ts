/**
 * A resumable client of the service's event stream (WebSocket /v1/events, docs/server.md): it
 * subscribes from a sequence number, remembers the last one it saw, and after any disconnect
 * (the server restarting, a network drop, 4008 "too slow") reconnects with `?since=` that number
 * so no event is missed or seen twice. Every handshake is signed afresh by the caller's `sign`
 * (the trader side does not import the service's signing code: the command line hands it in).
 *
 * Also here: which events can move one account's risk, so the agent re-reads it only then.
 */
import WebSocket from 'ws';

export interface StreamEvent {
  readonly seq: number;
  readonly event: { readonly type: string; readonly [k: string]: unknown };
}

export interface EventStreamOptions {
  /** http(s)://host:port of the service. */
  readonly url: string;
  /** Account whose events to follow (public market events come too). */
  readonly account: string;
  /** Last seq already handled: events after it arrive. */
  readonly since: number;
  /** Headers signing a GET of `pathQuery`. */
  readonly sign: (pathQuery: string) => Record<string, string>;
  readonly onEvent: (e: StreamEvent) => void;
  /** After each (re)connect: the subscription is live from `since`. */
  readonly onSubscribed?: (since: number, head: number) => void;
  /** A connection ended (code, reason); the client reconnects unless stopped. */
  readonly onDisconnect?: (code: number, reason: string) => void;
  /** Reconnect delay, doubled after each failure up to 10 s (default 250 ms). */
  readonly retryMs?: number;
}

export class ResumableEventStream {
  /** Last seq received. */
  cursor: number;
  private ws: WebSocket | undefined;
  private stopped = false;
  private delay: number;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly opts: EventStreamOptions) {
    this.cursor = opts.since;
    this.delay = opts.retryMs ?? 250;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.ws?.close(1000, 'agent stopping');
  }

  private connect(): void {
    if (this.stopped) return;
    const path = `/v1/events?since=${this.cursor}&accounts=${encodeURIComponent(this.opts.account)}`;
    const base = this.opts.url.replace(/\/+$/, '').replace(/^http/, 'ws');
    const ws = new WebSocket(base + path, { headers: this.opts.sign(path) });
    this.ws = ws;
    ws.on('message', (data) => {
      let msg: { op?: string; seq?: number; event?: StreamEvent['event']; since?: number; head?: number };
      try {
        msg = JSON.parse(String(data));
      } catch {
        return;
      }
      if (msg.op === 'subscribed') {
        this.delay = this.opts.retryMs ?? 250;
        this.opts.onSubscribed?.(msg.since ?? this.cursor, msg.head ?? this.cursor);
      } else if (msg.op === 'event' && typeof msg.seq === 'number' && msg.event) {
        if (msg.seq <= this.cursor) return; // already handled before a reconnect
        this.cursor = msg.seq;
        this.opts.onEvent({ seq: msg.seq, event: msg.event });
      }
    });
    ws.on('error', () => {}); // 'close' follows and reconnects
    ws.on('close', (code, reason) => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      this.opts.onDisconnect?.(code, String(reason));
      if (this.stopped) return;
      this.timer = setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, 10_000);
    });
  }
}

/** The account named by a subaccount key `account/sub`. */
const accountOf = (key: unknown) => (typeof key === 'string' ? key.split('/')[0] : undefined);

/**
 * Whether an event can move `account`'s risk: prices, oracle steps, funding, expiry and socialized
 * losses (every position's), and the account's own trades, liquidations and ADL. The agent's own transfers and
 * orders are left out (they follow from a decision; re-reading after them would only log "hold").
 */
export function movesRisk(e: StreamEvent['event'], account: string): boolean {
  switch (e.type) {
    case 'prices_updated':
    case 'oracle_stepped':
    case 'funding_settled':
    case 'expiry_settled':
      return true;
    case 'traded':
      return accountOf(e.buyer) === account || accountOf(e.seller) === account;
    case 'liquidation_started':
    case 'liquidation_completed':
      return accountOf(e.sub) === account;
    case 'adl_ranked':
      return accountOf(e.bankrupt) === account || accountOf(e.counterparty) === account;
    case 'loss_socialized': // charged to the market's open positions pro rata
      return true;
    default:
      return false;
  }
}
