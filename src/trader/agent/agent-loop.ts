/**
 * The live agent's loop: on each trigger (an event of the stream that can move the account's
 * risk) read the account, ask the strategy, carry its actions out through the service's API,
 * and log the decision — locally and on the service, so the console shows what the agent did.
 *
 * Plumbing, written by hand because its guarantees are the point:
 *   - one decision at a time: triggers that arrive while one runs are folded into one more run
 *     (the newest trigger), so a burst of prices is one re-read, never a queue of stale ones;
 *   - idempotency: every action goes out under a command id derived from the journal position
 *     the decision was made at (`agent.<account>.<sub>.<seq>.<i>`), and a failed request is
 *     retried with the same id — the engine answers a repeat with the first outcome, so a retry
 *     after a lost reply never moves money twice. Two decisions at one position saw the same
 *     state, so they can only mean the same action;
 *   - the snapshot is read between two reads of the journal head, and read again if the head
 *     moved, so the position named in the ids is the state the strategy saw;
 *   - the strategy keeps its own cool-down (it is told the engine's time).
 *
 * Top-ups are transfers from a reserve subaccount of the same account (the service lets a trader
 * move collateral between its own subaccounts); reductions are reduce-only limit orders at the
 * mark (size rounded up to the market's lot, price to its tick), which rest until the venue's
 * matching engine fills them. Repay and delever are lending
 * actions the perpetuals service does not offer, and collateral swaps and hedges are not yet
 * executable through it: they are logged as skipped.
 *
 * What is logged and posted: every decision that acts, and any change of verdict (started, hold,
 * cool-down) — not every unchanged "hold" on every price tick.
 */
import { createHash } from 'node:crypto';
import { formatDecimal, PRICE_DECIMALS, parseDecimalUnsafe, QTY_DECIMALS } from '../../core/num/index.ts';
import type { Action, Decision, Strategy } from '../strategies/strategy.ts';
import {
  type AccountSnapshot,
  managedPosition,
  observeSnapshot,
  onMarketGrid,
  reserveOf,
} from './wire-observe.ts';

/** A request the service refused or that never got an answer. */
export class PortError extends Error {
  override name = 'PortError';
  constructor(
    /** The service's error code, or UNREACHABLE when no answer came. */
    readonly code: string,
    message: string,
    /** Worth retrying with the same command id (no answer, 5xx, 429, shutting down). */
    readonly transient: boolean,
  ) {
    super(message);
  }
}

export interface ActionReply {
  readonly seq: number;
  readonly replayed?: boolean;
}

/** The service as the agent uses it (an HTTP client in production, a fake in tests). */
export interface AgentPort {
  snapshot(): Promise<AccountSnapshot>;
  /** Journal head (seq). */
  head(): Promise<number>;
  transfer(r: {
    fromSub: string;
    toSub: string;
    asset: string;
    amount: string;
    commandId: string;
  }): Promise<ActionReply>;
  placeOrder(r: {
    orderId: string;
    sub: string;
    symbol: string;
    side: 'buy' | 'sell';
    amount: string;
    price: string;
    commandId: string;
  }): Promise<ActionReply>;
  postDecision(d: DecisionRecord): Promise<void>;
}

export type Verdict = 'started' | 'act' | 'hold' | 'cooldown' | 'stopped';

export interface ActionRecord {
  readonly kind: Action['kind'];
  /** Money as a decimal of the settlement asset, or a size (reduce, hedge) in base units. */
  readonly amount: string;
  readonly commandId?: string;
  readonly outcome: 'applied' | 'replayed' | 'placed' | 'failed' | 'skipped';
  readonly seq?: number;
  readonly error?: string;
}

/** One decision as logged and posted (the body of POST /v1/accounts/{account}/agent-decisions). */
export interface DecisionRecord {
  readonly id: string;
  readonly timeMs: number;
  readonly strategy: string;
  readonly sub: string;
  readonly trigger: { readonly seq: number; readonly event: string };
  readonly figures: Readonly<Record<string, string | null>>;
  readonly verdict: Verdict;
  readonly actions: readonly ActionRecord[];
  readonly reason: string;
}

export interface AgentOptions {
  readonly account: string;
  /** The subaccount managed (default '0'). */
  readonly sub?: string;
  /** The subaccount top-ups come from; undefined: none (the strategy can only reduce). */
  readonly reserveSub?: string;
  /** The market whose position is managed (default: the only cross position). */
  readonly market?: string;
  readonly strategy: Strategy;
  /** Attempts per request on a transient failure (default 4), waiting retryDelayMs · 2^k between. */
  readonly attempts?: number;
  readonly retryDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Wall clock of the decisions' timeMs (default Date.now). */
  readonly now?: () => number;
  /** Every logged decision (the command line prints it). */
  readonly onDecision?: (d: DecisionRecord) => void;
  /** A decision that could not be made or posted (the loop goes on). */
  readonly onError?: (e: unknown) => void;
}

const MAX_ID = 128;

/** `agent.<account>.<sub>.<seq>[.<suffix>]`, hashed when it would exceed the engine's 128 characters. */
export function agentId(account: string, sub: string, seq: number, suffix?: string): string {
  const tail = `${seq}${suffix === undefined ? '' : `.${suffix}`}`;
  const plain = `agent.${account}.${sub}.${tail}`;
  if (plain.length <= MAX_ID) return plain;
  const h = createHash('sha256').update(`${account}/${sub}`).digest('hex').slice(0, 32);
  return `agent.${h}.${tail}`;
}

const verdictOf = (d: Decision): Verdict =>
  d.actions.length > 0 ? 'act' : /^cool-down/.test(d.reason) ? 'cooldown' : 'hold';

export class AgentLoop {
  readonly sub: string;
  private running: Promise<void> | undefined;
  private pending: { seq: number; event: string } | undefined;
  private lastVerdict: Verdict | undefined;
  private stopped = false;
  private readonly attempts: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;

  constructor(
    private readonly port: AgentPort,
    private readonly opts: AgentOptions,
  ) {
    this.sub = opts.sub ?? '0';
    this.attempts = opts.attempts ?? 4;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.now = opts.now ?? Date.now;
  }

  /**
   * Reads the account and posts the 'started' decision: throws (a PortError, a StrategyError)
   * when the account cannot be read, the position cannot be chosen, or the key may not post for
   * the account — before anything was done.
   */
  async start(): Promise<DecisionRecord> {
    const snap = await this.retry(() => this.port.snapshot());
    const obs = observeSnapshot(snap, this.opts.market);
    const position = managedPosition(snap.sub, this.opts.market);
    const record: DecisionRecord = {
      id: agentId(this.opts.account, this.sub, snap.seq, `start.${this.now()}`),
      timeMs: this.now(),
      strategy: this.opts.strategy.name,
      sub: this.sub,
      trigger: { seq: snap.seq, event: 'start' },
      figures: figuresOf(snap, position?.symbol),
      verdict: 'started',
      actions: [],
      reason:
        obs === undefined
          ? `watching ${this.opts.account}/${this.sub}: no open cross position${this.opts.market ? ` in ${this.opts.market}` : ''} yet`
          : `watching ${this.opts.account}/${this.sub} ${position!.symbol} ${position!.side} ${position!.contracts}; reserve ${this.opts.reserveSub === undefined ? 'none' : `${this.opts.reserveSub} (${formatDecimal(obs.reserve, snap.decimals)} ${snap.settlementAsset})`}`,
    };
    await this.retry(() => this.port.postDecision(record));
    this.lastVerdict = 'started';
    this.opts.onDecision?.(record);
    return record;
  }

  /** Asks for a decision after event `seq` (coalesced with any already waiting). */
  trigger(seq: number, event: string): void {
    if (this.stopped) return;
    if (!this.pending || seq >= this.pending.seq) this.pending = { seq, event };
    this.running ??= this.drain();
  }

  /** Resolves when no decision runs and none waits. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Stops taking triggers, lets the running decision finish, and posts 'stopped'. */
  async stop(reason = 'stopped'): Promise<void> {
    this.stopped = true;
    this.pending = undefined;
    await this.idle();
    const seq = await this.port.head().catch(() => 0);
    const record: DecisionRecord = {
      id: agentId(this.opts.account, this.sub, seq, `stop.${this.now()}`),
      timeMs: this.now(),
      strategy: this.opts.strategy.name,
      sub: this.sub,
      trigger: { seq, event: 'stop' },
      figures: {},
      verdict: 'stopped',
      actions: [],
      reason,
    };
    this.opts.onDecision?.(record);
    await this.port.postDecision(record).catch((e: unknown) => this.opts.onError?.(e));
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending && !this.stopped) {
        const t = this.pending;
        this.pending = undefined;
        try {
          await this.decide(t.seq, t.event);
        } catch (e) {
          this.opts.onError?.(e);
        }
      }
    } finally {
      this.running = undefined;
    }
  }

  /** One decision: read, decide, act, log. Returns the record (logged or not). */
  async decide(triggerSeq: number, event: string): Promise<DecisionRecord> {
    const snap = await this.stableSnapshot();
    const position = managedPosition(snap.sub, this.opts.market);
    const obs = observeSnapshot(snap, this.opts.market);
    const decision: Decision =
      obs === undefined ? { actions: [], reason: 'no open position' } : this.opts.strategy.decide(obs);
    const actions: ActionRecord[] = [];
    for (const [i, a] of decision.actions.entries())
      actions.push(await this.act(a, agentId(this.opts.account, this.sub, snap.seq, String(i)), snap));
    const verdict = verdictOf(decision);
    const record: DecisionRecord = {
      id: agentId(this.opts.account, this.sub, snap.seq),
      timeMs: this.now(),
      strategy: this.opts.strategy.name,
      sub: this.sub,
      trigger: { seq: triggerSeq, event },
      figures: figuresOf(snap, position?.symbol),
      verdict,
      actions,
      reason: decision.reason,
    };
    if (verdict === 'act' || verdict !== this.lastVerdict) {
      this.lastVerdict = verdict;
      this.opts.onDecision?.(record);
      await this.retry(() => this.port.postDecision(record)).catch((e: unknown) => this.opts.onError?.(e));
    }
    return record;
  }

  /** The account read between two equal journal heads (so the ids name the state seen). */
  private async stableSnapshot(): Promise<AccountSnapshot> {
    for (let i = 0; ; i++) {
      const snap = await this.retry(() => this.port.snapshot());
      const after = await this.retry(() => this.port.head());
      if (after === snap.seq || i >= 4) return snap;
    }
  }

  private async act(a: Action, commandId: string, snap: AccountSnapshot): Promise<ActionRecord> {
    const asset = snap.settlementAsset;
    if (a.kind === 'top_up') {
      const amount = formatDecimal(a.amount, snap.decimals);
      if (this.opts.reserveSub === undefined || reserveOf(snap) < a.amount)
        return { kind: a.kind, amount, outcome: 'skipped', error: 'no reserve to top up from' };
      return this.send(a.kind, amount, commandId, () =>
        this.port.transfer({ fromSub: this.opts.reserveSub!, toSub: this.sub, asset, amount, commandId }),
      );
    }
    if (a.kind === 'reduce') {
      const p = managedPosition(snap.sub, this.opts.market)!;
      const side = p.side === 'long' ? 'sell' : 'buy';
      const order = onMarketGrid(
        snap.markets.find((m) => m.symbol === p.symbol),
        side,
        a.sizeQty9,
        parseDecimalUnsafe(p.contracts, QTY_DECIMALS),
        parseDecimalUnsafe(p.markPrice, PRICE_DECIMALS),
      );
      const amount = formatDecimal(order.sizeQty9, QTY_DECIMALS);
      const r = await this.send(a.kind, amount, commandId, () =>
        this.port.placeOrder({
          orderId: commandId,
          sub: this.sub,
          symbol: p.symbol,
          side,
          amount,
          price: formatDecimal(order.pricePx8, PRICE_DECIMALS),
          commandId,
        }),
      );
      return r.outcome === 'applied' ? { ...r, outcome: 'placed' } : r;
    }
    switch (a.kind) {
      case 'repay':
      case 'delever':
        return {
          kind: a.kind,
          amount: formatDecimal(a.amount, snap.decimals),
          outcome: 'skipped',
          error: `${a.kind} is a lending action; the service margins perpetuals`,
        };
      case 'swap':
        return {
          kind: a.kind,
          amount: formatDecimal(a.amount, snap.decimals),
          outcome: 'skipped',
          error: `swap ${a.fromAsset} → ${a.toAsset}: not executable through the service yet`,
        };
      case 'hedge':
        return {
          kind: a.kind,
          amount: formatDecimal(a.deltaQty9, QTY_DECIMALS),
          outcome: 'skipped',
          error: `hedge on ${a.market}: not executable through the service yet`,
        };
      default: {
        const unknown: never = a;
        throw new Error(
          `unknown action ${JSON.stringify(unknown, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`,
        );
      }
    }
  }

  private async send(
    kind: Action['kind'],
    amount: string,
    commandId: string,
    request: () => Promise<ActionReply>,
  ): Promise<ActionRecord> {
    try {
      const reply = await this.retry(request);
      return { kind, amount, commandId, outcome: reply.replayed ? 'replayed' : 'applied', seq: reply.seq };
    } catch (e) {
      const error = e instanceof PortError ? `${e.code}: ${e.message}` : String(e);
      return { kind, amount, commandId, outcome: 'failed', error: error.slice(0, 500) };
    }
  }

  /** Runs `f`, again on a transient PortError (same request, so the same command id). */
  private async retry<T>(f: () => Promise<T>): Promise<T> {
    for (let k = 0; ; k++) {
      try {
        return await f();
      } catch (e) {
        if (!(e instanceof PortError) || !e.transient || k + 1 >= this.attempts) throw e;
        await this.sleep((this.opts.retryDelayMs ?? 200) * 2 ** k);
      }
    }
  }
}

/** The figures a decision shows: the scope's, the position's, the reserve. */
function figuresOf(s: AccountSnapshot, symbol: string | undefined): Record<string, string | null> {
  const c = s.sub.cross;
  const p = symbol === undefined ? undefined : c.positions.find((x) => x.symbol === symbol);
  return {
    equity: c.equity,
    maintenanceMargin: c.maintenanceMargin,
    marginRatio: c.marginRatio,
    reserve: formatDecimal(reserveOf(s), s.decimals),
    ...(c.liquidatable === true ? { state: 'liquidatable' } : {}),
    ...(p
      ? {
          symbol: p.symbol,
          side: p.side,
          size: p.contracts,
          markPrice: p.markPrice,
          liquidationPrice: p.liquidationPrice,
        }
      : {}),
  };
}

/** "83.33%" from a wire ratio ("0.833333"), for logs. */
export function ratioText(ratio: string | null | undefined): string {
  if (ratio === null || ratio === undefined) return 'n/a';
  const n = Number(ratio);
  return Number.isFinite(n) ? `${(n * 100).toFixed(2)}%` : ratio;
}

/** One readable log line per decision. */
export function formatDecision(d: DecisionRecord, account: string): string {
  const f = d.figures;
  const when = new Date(d.timeMs).toISOString();
  const head = `${when} ${account}/${d.sub} ${d.verdict.toUpperCase()} after ${d.trigger.event} #${d.trigger.seq}`;
  const figs =
    f.equity === undefined
      ? ''
      : ` · equity ${f.equity} MM ${f.maintenanceMargin} ratio ${ratioText(f.marginRatio)} reserve ${f.reserve}${f.markPrice ? ` · ${f.symbol} mark ${f.markPrice} liq ${f.liquidationPrice ?? 'none'}` : ''}`;
  const acts = d.actions
    .map(
      (a) =>
        `\n    ${a.kind} ${a.amount} → ${a.outcome}${a.seq === undefined ? '' : ` (seq ${a.seq})`}${a.commandId ? ` [${a.commandId}]` : ''}${a.error ? `: ${a.error}` : ''}`,
    )
    .join('');
  const flag = f.state === 'liquidatable' ? ' · LIQUIDATABLE: below maintenance margin now' : '';
  return `${head}${figs}${flag}\n    ${d.reason}${acts}`;
}
