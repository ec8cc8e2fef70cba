/**
 * The live connection: the event stream (ws /v1/events), resumed with `since` after a drop.
 * Every committed engine event the key may see arrives here; the pages do not decode money from
 * events — an event only says "this changed", and the page re-reads the exact figures from the
 * API (throttled, one request in flight per view). So the console shows the engine's own numbers
 * and never polls: without events nothing is fetched.
 */
import type { Api } from './api.ts';

export interface StreamEvent {
  readonly seq: number;
  readonly event: { type: string; [k: string]: unknown };
}

type Listener = (events: readonly StreamEvent[]) => void;

export class Live {
  /** The journal position the console has seen (a cluster gateway's: the sum over its partitions). */
  head = 0;
  /**
   * A cluster gateway's stream position: one journal sequence per partition ("39,41"), what its
   * stream resumes from (a single number is not a position there); undefined for `plimsoll serve`.
   */
  private cursor: string | undefined;
  /** Events received, and when the last one arrived (performance.now()). */
  received = 0;
  lastEventAt = 0;
  state: 'connecting' | 'open' | 'closed' = 'connecting';
  private ws: WebSocket | undefined;
  private readonly listeners = new Set<Listener>();
  private readonly statusListeners = new Set<() => void>();
  private pending: StreamEvent[] = [];
  private flushScheduled = false;
  private stopped = false;
  private retryMs = 500;

  constructor(private readonly api: Api) {}

  onEvents(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  onStatus(l: () => void): void {
    this.statusListeners.add(l);
  }

  /** Connects from the journal head now (the pages load the current state over HTTP). */
  async start(since: number, cursor?: string): Promise<void> {
    this.head = since;
    this.cursor = cursor;
    await this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.ws?.close(1000, 'bye');
  }

  private status(s: Live['state']): void {
    this.state = s;
    for (const l of this.statusListeners) l();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.status('connecting');
    const ws = new WebSocket(await this.api.streamUrl(this.cursor ?? String(this.head)));
    this.ws = ws;
    ws.onopen = () => {
      this.retryMs = 500;
      this.status('open');
    };
    ws.onmessage = (m) => {
      const msg = JSON.parse(String(m.data)) as {
        op: string;
        seq?: number;
        event?: StreamEvent['event'];
        cursor?: string;
      };
      if (msg.op !== 'event' || msg.seq === undefined || !msg.event) return;
      if (typeof msg.cursor === 'string') {
        this.cursor = msg.cursor;
        this.head = msg.cursor.split(',').reduce((t, x) => t + Number(x), 0);
      } else this.head = Math.max(this.head, msg.seq);
      this.received++;
      this.lastEventAt = performance.now();
      this.pending.push({ seq: msg.seq, event: msg.event });
      // deliver in batches once per frame: a burst of thousands of events is one update (a hidden
      // tab gets no frames, so there every quarter second)
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        if (document.hidden) setTimeout(() => this.flush(), 250);
        else requestAnimationFrame(() => this.flush());
      }
    };
    ws.onclose = () => {
      this.status('closed');
      if (this.stopped) return;
      setTimeout(() => void this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 10_000);
    };
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.pending;
    this.pending = [];
    for (const l of this.listeners) l(batch);
    for (const l of this.statusListeners) l();
  }
}

/**
 * Re-runs `load` when asked, at most one run in flight and at most every `minGapMs`; a request
 * made during a run is coalesced into one more run after it. `stale` (the answer's journal
 * position is behind the stream's head) schedules another run: the server's risk snapshot may be
 * up to a second old while the engine moves.
 */
export class Refresher {
  private running = false;
  private again = false;
  private last = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  runs = 0;

  constructor(
    private readonly load: () => Promise<boolean | undefined>,
    private readonly minGapMs = 300,
  ) {}

  request(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) return;
    const wait = Math.max(0, this.last + this.minGapMs - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.run();
    }, wait);
  }

  private async run(): Promise<void> {
    this.running = true;
    this.last = performance.now();
    let stale = false;
    try {
      stale = (await this.load()) === true;
      this.runs++;
    } catch (e) {
      console.warn('refresh failed', e);
    } finally {
      this.running = false;
    }
    if (this.again || stale) {
      this.again = false;
      if (stale) setTimeout(() => this.request(), 600);
      else this.request();
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.again = false;
  }
}
