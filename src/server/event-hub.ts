/**
 * The event hub: every committed engine event, in sequence order, to every subscriber that may
 * see it — exactly once, with no gap, resuming from the subscriber's last seen sequence.
 *
 * Committed events arrive from the command sink (`publish`, wired to `sink.onCommitted`) and
 * go into a bounded ring of recent events, each serialized once into its wire message (full,
 * and for liquidations an anonymous public one: event-audience.ts). A subscriber starts from
 * `since` (its last seen seq): older events than the ring holds are read from the durable
 * journal (`readRange`) page by page, then the ring, and from then on it is live — `publish`
 * hands it each new event synchronously. The switch from catching up to live happens with no
 * await in between, so nothing is sent twice or skipped.
 *
 * Backpressure: the transport reports how much it has buffered; a live subscriber whose
 * buffer passes `maxBufferedBytes` is closed with CLOSE_TOO_SLOW and a reason naming the seq
 * to resume from. While catching up, the hub waits for the buffer to drain between pages
 * (up to `catchUpStallMs`), so a resume never floods a socket.
 */
import { decodeEvent, encodeEvent } from '../core/engine/codec.ts';
import type { EngineEvent, Sequenced } from '../core/engine/events.ts';
import { type Audience, eventAudience, redactEvent } from './event-audience.ts';

/** A durable event as the journal returns it (json without the seq). */
export interface JournalRecord {
  readonly seq: number;
  readonly type: string;
  readonly json: string;
}

/** Who is looking: the operator sees everything; a trader key sees its accounts' events and public ones. */
export type Viewer =
  | { readonly operator: true }
  | {
      readonly operator: false;
      readonly accounts: readonly string[];
      /** Receives the keeper's liquidation orders (a liquidator key). */
      readonly orders?: boolean;
    };

/** The transport side of a subscriber (a WebSocket, or a fake in tests). */
export interface SubscriberTransport {
  send(text: string): void;
  /** Bytes queued but not yet written to the network. */
  bufferedAmount(): number;
  close(code: number, reason: string): void;
}

export interface SubscribeOptions {
  readonly viewer: Viewer;
  /** Last seq the client has seen (0: from the start). Default: the current head (live only). */
  readonly since?: number;
  /** Only these accounts' events (each must be the viewer's unless operator); public events still come. */
  readonly accounts?: readonly string[];
  /** Public market events too (default true). */
  readonly publicEvents?: boolean;
}

/** Close code: the subscriber fell too far behind; resume with `since`. */
export const CLOSE_TOO_SLOW = 4008;
/** Close code: the subscription asked for something it may not see or is malformed. */
export const CLOSE_FORBIDDEN = 4403;
export const CLOSE_BAD_REQUEST = 4400;
/** Close code: the journal could not serve a resume. */
export const CLOSE_INTERNAL = 4500;

export class SubscriptionError extends Error {
  override name = 'SubscriptionError';
  constructor(
    readonly closeCode: number,
    message: string,
  ) {
    super(message);
  }
}

export interface EventHubOptions {
  /** Seq of the last committed event when the hub starts (the ring starts after it). */
  readonly headSeq: number;
  /** Durable events after `afterSeq`, at most `limit` (DeferredJournal.readRange). */
  readonly readRange: (afterSeq: number, limit: number) => Promise<readonly JournalRecord[]>;
  /** Events kept in memory for resumes (default 10,000). */
  readonly ringSize?: number;
  /** A live subscriber with more than this buffered is disconnected (default 8 MiB). */
  readonly maxBufferedBytes?: number;
  /** Journal page size while catching up (default 1,000). */
  readonly pageSize?: number;
  /** How long a catching-up subscriber's buffer may stay full before it is disconnected (default 10 s). */
  readonly catchUpStallMs?: number;
}

/** Events a command marker may close: the accounts of this many recent events are kept for it. */
const MARKER_SPAN = 10_000;

interface Entry {
  readonly seq: number;
  readonly audience: Audience;
  /** The wire message with the event in full. */
  readonly full: string;
  /** The anonymous wire message (publicView 'redacted'). */
  readonly redacted?: string;
}

/** The wire message for one event: `{"op":"event","seq":N,"event":{...}}` (decimal strings). */
export function eventMessage(seq: number, eventJson: string): string {
  return `{"op":"event","seq":${seq},"event":${eventJson}}`;
}

class Subscription {
  /** Last seq handled (sent or filtered out). */
  cursor: number;
  live = false;
  closed = false;
  private readonly own: ReadonlySet<string> | undefined;
  readonly notices: boolean;

  constructor(
    readonly transport: SubscriberTransport,
    viewer: Viewer,
    since: number,
    accounts: readonly string[] | undefined,
    private readonly publicEvents: boolean,
  ) {
    this.cursor = since;
    this.notices = viewer.operator || viewer.orders === true;
    if (viewer.operator) this.own = accounts ? new Set(accounts) : undefined;
    else this.own = new Set(accounts ?? viewer.accounts);
  }

  /** Whether this subscriber follows `account` (the operator unfiltered, or an own account). */
  follows(account: string): boolean {
    return this.own === undefined || this.own.has(account);
  }

  /** The message this subscriber gets for the entry, or undefined. */
  messageFor(e: Entry): string | undefined {
    const own = this.own;
    if (own === undefined) return e.full; // operator, unfiltered
    for (const a of e.audience.accounts) if (own.has(a)) return e.full;
    if (!this.publicEvents) return undefined;
    if (e.audience.publicView === 'full') return e.full;
    if (e.audience.publicView === 'redacted') return e.redacted;
    return undefined;
  }
}

export class EventHub {
  private readonly ring: Entry[] = [];
  /** Index in `ring` of the oldest entry (a circular buffer once full). */
  private ringStart = 0;
  private head: number;
  private readonly subs = new Set<Subscription>();
  private readonly ringSize: number;
  private readonly maxBuffered: number;
  private readonly pageSize: number;
  private readonly stallMs: number;
  /** Accounts touched by recent events, for the command markers that close them. */
  private readonly recentAccounts = new Map<number, readonly string[]>();

  constructor(private readonly opts: EventHubOptions) {
    this.head = opts.headSeq;
    this.ringSize = opts.ringSize ?? 10_000;
    this.maxBuffered = opts.maxBufferedBytes ?? 8 * 1024 * 1024;
    this.pageSize = opts.pageSize ?? 1_000;
    this.stallMs = opts.catchUpStallMs ?? 10_000;
  }

  /** Seq of the last published event. */
  get headSeq(): number {
    return this.head;
  }

  /** Subscribers connected now. */
  get subscriberCount(): number {
    return this.subs.size;
  }

  /** Committed events, in order (wire to `sink.onCommitted`). */
  publish(events: readonly Sequenced[]): void {
    for (const e of events) {
      if (e.seq <= this.head) continue; // already published (a repeat delivery)
      if (e.seq !== this.head + 1) throw new Error(`event hub: seq ${e.seq} after ${this.head} (gap)`);
      const { seq, ...event } = e;
      const entry = this.entryOf(
        seq,
        event as EngineEvent,
        encodeEvent(event as EngineEvent),
        this.recentAccounts,
      );
      this.push(entry);
      for (const s of this.subs) if (s.live) this.deliver(s, entry);
    }
  }

  /**
   * Starts a subscription; events flow to `transport` from `since` + 1. Returns a function that
   * ends it (call it when the transport closes). Throws SubscriptionError for a request the
   * viewer may not make.
   */
  subscribe(transport: SubscriberTransport, opts: SubscribeOptions): () => void {
    const since = this.checkSubscription(opts);
    const s = new Subscription(transport, opts.viewer, since, opts.accounts, opts.publicEvents ?? true);
    this.subs.add(s);
    void this.catchUp(s);
    return () => {
      s.closed = true;
      this.subs.delete(s);
    };
  }

  /**
   * Sends a message outside the event sequence (no seq: the keeper's liquidation orders) to the
   * live subscribers that take notices (operator and liquidator keys).
   */
  notice(message: Record<string, unknown>): void {
    const text = JSON.stringify(message);
    for (const s of this.subs) {
      if (!s.live || s.closed || !s.notices) continue;
      s.transport.send(text);
      if (s.transport.bufferedAmount() > this.maxBuffered)
        this.drop(s, CLOSE_TOO_SLOW, `too slow; resume with since=${s.cursor}`);
    }
  }

  /**
   * Sends a message outside the event sequence about one account (an agent's decision) to the
   * live subscribers that follow that account: its owner's keys and the operator.
   */
  accountNotice(account: string, message: Record<string, unknown>): void {
    const text = JSON.stringify(message);
    for (const s of this.subs) {
      if (!s.live || s.closed || !s.follows(account)) continue;
      s.transport.send(text);
      if (s.transport.bufferedAmount() > this.maxBuffered)
        this.drop(s, CLOSE_TOO_SLOW, `too slow; resume with since=${s.cursor}`);
    }
  }

  /** The `since` a subscription starts after; throws SubscriptionError for a request the viewer may not make. */
  checkSubscription(opts: SubscribeOptions): number {
    const since = opts.since ?? this.head;
    if (!Number.isSafeInteger(since) || since < 0)
      throw new SubscriptionError(CLOSE_BAD_REQUEST, 'since must be a non-negative integer');
    if (since > this.head)
      throw new SubscriptionError(
        CLOSE_BAD_REQUEST,
        `since ${since} is ahead of the last event ${this.head}`,
      );
    if (opts.accounts && !opts.viewer.operator) {
      const mine = new Set(opts.viewer.accounts);
      const other = opts.accounts.find((a) => !mine.has(a));
      if (other !== undefined)
        throw new SubscriptionError(CLOSE_FORBIDDEN, `this key may not see account ${other}`);
    }
    return since;
  }

  /** Closes every subscriber (server shutdown). */
  closeAll(code: number, reason: string): void {
    for (const s of this.subs) {
      s.closed = true;
      s.transport.close(code, reason);
    }
    this.subs.clear();
  }

  private oldestInRing(): number {
    return this.ring.length === 0 ? this.head + 1 : this.ring[this.ringStart]!.seq;
  }

  private entryAt(seq: number): Entry {
    const i = (this.ringStart + (seq - this.oldestInRing())) % this.ring.length;
    return this.ring[i]!;
  }

  private push(entry: Entry): void {
    if (this.ring.length < this.ringSize) this.ring.push(entry);
    else {
      const old = this.ring[this.ringStart]!;
      this.recentAccounts.delete(old.seq);
      this.ring[this.ringStart] = entry;
      this.ringStart = (this.ringStart + 1) % this.ring.length;
    }
    this.head = entry.seq;
  }

  /** `recent`: accounts of the events before this one (a command marker's audience comes from them). */
  private entryOf(
    seq: number,
    event: EngineEvent,
    json: string,
    recent: Map<number, readonly string[]>,
  ): Entry {
    let commandAccounts: string[] = [];
    if (event.type === 'command_accepted') {
      const acc = new Set<string>();
      for (let q = event.firstSeq; q < event.firstSeq + event.count; q++)
        for (const a of recent.get(q) ?? []) acc.add(a);
      commandAccounts = [...acc];
    }
    const audience = eventAudience(event, commandAccounts);
    if (audience.accounts.length > 0) recent.set(seq, audience.accounts);
    return {
      seq,
      audience,
      full: eventMessage(seq, json),
      ...(audience.publicView === 'redacted'
        ? { redacted: eventMessage(seq, encodeEvent(redactEvent(event))) }
        : {}),
    };
  }

  /** Sends one entry to a live subscriber; disconnects it when its buffer is too full. */
  private deliver(s: Subscription, e: Entry): void {
    if (s.closed || e.seq !== s.cursor + 1) return;
    s.cursor = e.seq;
    const msg = s.messageFor(e);
    if (msg === undefined) return;
    s.transport.send(msg);
    if (s.transport.bufferedAmount() > this.maxBuffered)
      this.drop(s, CLOSE_TOO_SLOW, `too slow; resume with since=${s.cursor}`);
  }

  private drop(s: Subscription, code: number, reason: string): void {
    if (s.closed) return;
    s.closed = true;
    this.subs.delete(s);
    s.transport.close(code, reason);
  }

  /** Journal pages, then the ring, then live (the last step is synchronous). */
  private async catchUp(s: Subscription): Promise<void> {
    // accounts of the events read from the journal, for the command markers that close them
    const recent = new Map<number, readonly string[]>();
    try {
      while (!s.closed) {
        if (s.cursor + 1 >= this.oldestInRing()) {
          // From the ring to the head and live, with no await: no event can slip in between.
          while (s.cursor < this.head && !s.closed) this.deliver(s, this.entryAt(s.cursor + 1));
          s.live = true;
          return;
        }
        const page = await this.opts.readRange(s.cursor, this.pageSize);
        if (s.closed) return;
        if (page.length === 0) throw new Error(`journal has no events after ${s.cursor}`);
        for (const r of page) {
          if (r.seq !== s.cursor + 1) {
            if (r.seq <= s.cursor) continue;
            throw new Error(`journal gap: ${r.seq} after ${s.cursor}`);
          }
          // Durable events the hub has not published yet wait for the live path.
          if (r.seq > this.head) break;
          const event = decodeEvent(r.json);
          const entry = this.entryOf(r.seq, event, r.json, recent);
          if (recent.size > 2 * MARKER_SPAN)
            for (const q of recent.keys()) {
              if (q > r.seq - MARKER_SPAN) break;
              recent.delete(q);
            }
          this.deliver(s, entry);
        }
        await this.waitForDrain(s);
      }
    } catch (e) {
      this.drop(
        s,
        CLOSE_INTERNAL,
        `resume failed: ${e instanceof Error ? e.message : String(e)}`.slice(0, 120),
      );
    }
  }

  private async waitForDrain(s: Subscription): Promise<void> {
    const until = Date.now() + this.stallMs;
    while (!s.closed && s.transport.bufferedAmount() > this.maxBuffered / 2) {
      if (Date.now() > until) {
        this.drop(s, CLOSE_TOO_SLOW, `too slow; resume with since=${s.cursor}`);
        return;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
