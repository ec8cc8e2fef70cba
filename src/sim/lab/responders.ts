/**
 * Traders who react to margin calls: who responds, when, and how — the decisions only.
 * The cascade simulator (cascade-sim.ts) scans, and executes each response through the
 * engine as ordinary commands: `deposit` (+ `adjust_isolated_margin` for an isolated
 * position) or a reducing `fill` against the book model's external liquidity.
 *
 * - Who: each trader is a responder with probability `share`, drawn once from the seed in
 *   the population's order — the same traders respond under every policy of a comparison.
 * - When: a scope is *called* when its margin ratio MM / equity reaches `callRatio` (or its
 *   equity is ≤ 0). The response is due `delay` minutes of simulated time later (drawn per
 *   call from `delayMinutes`); a scope has at most one response pending. After it executes,
 *   the scope can be called again at a later scan.
 * - How (drawn per call): with probability `depositProbability` a deposit of settlement cash
 *   bringing MM / equity down to `depositTargetRatio` at the figures of the moment it executes,
 *   capped so that the trader's deposits over the run stay within `maxDepositMultiple` × the
 *   initial collateral value; otherwise a market order closing `reduceFraction` of the position.
 *
 * - Late payers (a trader's `topUp`, from the population's behaviours, sim/population.ts): `'never'`
 *   never responds; `'late'` always responds, with a deposit, its own `topUpDelayMinutes` after the
 *   call. The share draw is still made for them, so the other traders' membership is unchanged.
 *
 * Defaults (`DEFAULT_RESPONSE_SPEC`), assumptions stated rather than measured — no public data on
 * how many retail traders answer a margin call was at hand, so they are round, middle-of-the-road
 * figures fixed before any run: 30 % of traders respond; the call goes out at a margin ratio of
 * 80 % (venues send margin-call notices before liquidation at a high margin ratio; 80 % is the
 * assumed level); the delay is lognormal with a median of 5 minutes (σ 1, between 30 s and
 * 2 hours: a notification read and acted on); half deposit, half reduce; a deposit brings the
 * ratio to 50 %, at most 1 × the initial collateral in total; a reduction closes half the position.
 *
 * @example
 * const desk = new MarginCallDesk({ ...DEFAULT_RESPONSE_SPEC, seed: 1 }, traders);
 * desk.call('trader-1/0|cross', { account: 'trader-1', sub: '0' }, undefined, t); // if a responder
 * desk.due(t + 3_600_000); // the responses due by then, in order
 */
import type { SubaccountRef } from '../../core/model/engine-config.ts';
import { type Distribution, sample } from '../population.ts';
import { Rng } from '../rng.ts';

export interface ResponseSpec {
  /** Share of traders who respond to margin calls, [0, 1]. */
  readonly share: number;
  /** Margin ratio (MM / equity) at which a call goes out, (0, 1]. */
  readonly callRatio: number;
  /** Minutes from the call to the response (simulated time). */
  readonly delayMinutes: Distribution;
  /** Probability that a response is a deposit (else a reduction), [0, 1]. */
  readonly depositProbability: number;
  /** A deposit brings MM / equity down to this, (0, callRatio]. */
  readonly depositTargetRatio: number;
  /** Cap on a trader's deposits over the run, multiple of its initial collateral value. */
  readonly maxDepositMultiple: number;
  /** Share of the position a reduction closes, (0, 1]. */
  readonly reduceFraction: number;
  /** Seed of the responders' draws (the comparison passes its population seed). */
  readonly seed: number;
}

export const DEFAULT_RESPONSE_SPEC: Omit<ResponseSpec, 'seed'> = {
  share: 0.3,
  callRatio: 0.8,
  delayMinutes: { kind: 'lognormal', median: 5, sigma: 1, min: 0.5, max: 120 },
  depositProbability: 0.5,
  depositTargetRatio: 0.5,
  maxDepositMultiple: 1,
  reduceFraction: 0.5,
};

/** Throws a RangeError naming the first field out of range. */
export function checkResponseSpec(s: ResponseSpec): void {
  const in01 = (x: number) => Number.isFinite(x) && x >= 0 && x <= 1;
  if (!in01(s.share)) throw new RangeError(`responders share must be in [0, 1], got ${s.share}`);
  if (!(s.callRatio > 0 && s.callRatio <= 1))
    throw new RangeError(`callRatio must be in (0, 1], got ${s.callRatio}`);
  if (!in01(s.depositProbability))
    throw new RangeError(`depositProbability must be in [0, 1], got ${s.depositProbability}`);
  if (!(s.depositTargetRatio > 0 && s.depositTargetRatio <= s.callRatio))
    throw new RangeError(`depositTargetRatio must be in (0, callRatio], got ${s.depositTargetRatio}`);
  if (!(s.maxDepositMultiple >= 0 && Number.isFinite(s.maxDepositMultiple)))
    throw new RangeError(`maxDepositMultiple must be ≥ 0, got ${s.maxDepositMultiple}`);
  if (!(s.reduceFraction > 0 && s.reduceFraction <= 1))
    throw new RangeError(`reduceFraction must be in (0, 1], got ${s.reduceFraction}`);
  if (!Number.isInteger(s.seed)) throw new RangeError(`seed must be an integer, got ${s.seed}`);
}

export interface PendingResponse {
  /** `account/sub|cross` or `account/sub|isolated:MARKET`. */
  readonly scopeId: string;
  readonly ref: SubaccountRef;
  readonly isolatedMarket: string | undefined;
  readonly calledMs: number;
  readonly dueMs: number;
  readonly action: 'deposit' | 'reduce';
  readonly order: number;
}

/** Decides who responds, when and how (see the module header); holds the pending responses. */
export class MarginCallDesk {
  private readonly responders = new Set<string>();
  /** Late payers: account → delay (ms) of their deposit. */
  private readonly late = new Map<string, number>();
  private readonly rng: Rng;
  private readonly pending = new Map<string, PendingResponse>();
  private order = 0;
  calls = 0;

  constructor(
    readonly spec: ResponseSpec,
    traders: readonly {
      readonly ref: SubaccountRef;
      readonly topUp?: 'late' | 'never';
      readonly topUpDelayMinutes?: number;
    }[],
  ) {
    checkResponseSpec(spec);
    // One stream for membership (fixed by the population), one for the per-call draws.
    const who = new Rng(spec.seed ^ 0x2545f491);
    for (const t of traders) {
      const drawn = who.chance(spec.share);
      if (t.topUp === 'late') {
        this.responders.add(t.ref.account);
        this.late.set(t.ref.account, Math.round((t.topUpDelayMinutes ?? 0) * 60_000));
      } else if (t.topUp !== 'never' && drawn) this.responders.add(t.ref.account);
    }
    this.rng = new Rng(spec.seed ^ 0x5bd1e995);
  }

  /** Number of responding traders. */
  get responderCount(): number {
    return this.responders.size;
  }

  /** A late payer's deposit delay (ms), or undefined. */
  lateDelayMs(account: string): number | undefined {
    return this.late.get(account);
  }

  isResponder(account: string): boolean {
    return this.responders.has(account);
  }

  isPending(scopeId: string): boolean {
    return this.pending.has(scopeId);
  }

  /** A margin call on a scope at `timeMs`: schedules the response of a responder (none if one is pending). */
  call(scopeId: string, ref: SubaccountRef, isolatedMarket: string | undefined, timeMs: number): boolean {
    if (!this.responders.has(ref.account) || this.pending.has(scopeId)) return false;
    let delayMs = Math.round(sample(this.rng, this.spec.delayMinutes) * 60_000);
    let action: 'deposit' | 'reduce' = this.rng.chance(this.spec.depositProbability) ? 'deposit' : 'reduce';
    const late = this.late.get(ref.account);
    if (late !== undefined) {
      delayMs = late;
      action = 'deposit';
    }
    this.pending.set(scopeId, {
      scopeId,
      ref,
      isolatedMarket,
      calledMs: timeMs,
      dueMs: timeMs + Math.max(0, delayMs),
      action,
      order: this.order++,
    });
    this.calls++;
    return true;
  }

  /** Removes and returns the responses due at or before `timeMs`, by due time then call order. */
  due(timeMs: number): PendingResponse[] {
    const out = [...this.pending.values()].filter((p) => p.dueMs <= timeMs);
    out.sort((a, b) => a.dueMs - b.dueMs || a.order - b.order);
    for (const p of out) this.pending.delete(p.scopeId);
    return out;
  }

  /** Earliest due time of a pending response, or undefined. */
  nextDueMs(): number | undefined {
    let t: number | undefined;
    for (const p of this.pending.values()) if (t === undefined || p.dueMs < t) t = p.dueMs;
    return t;
  }

  /** Responses still waiting (e.g. at the end of the run). */
  get pendingCount(): number {
    return this.pending.size;
  }
}

/**
 * The command lines' response flags (`--responders F`, `--response-delay MIN`,
 * `--response-deposit P`) as a partial spec; undefined without `--responders`. Bad values
 * throw a RangeError naming the flag.
 */
export function responseOptions(flags: {
  responders?: string | undefined;
  delay?: string | undefined;
  deposit?: string | undefined;
}): Partial<Omit<ResponseSpec, 'seed'>> | undefined {
  const num = (text: string, flag: string, ok: (x: number) => boolean, what: string) => {
    const x = Number(text);
    if (!/^[0-9]*\.?[0-9]+$/.test(text) || !ok(x))
      throw new RangeError(`${flag} must be ${what}, got ${text}`);
    return x;
  };
  if (flags.responders === undefined) {
    if (flags.delay !== undefined || flags.deposit !== undefined)
      throw new RangeError('--response-delay and --response-deposit need --responders');
    return undefined;
  }
  const share = num(flags.responders, '--responders', (x) => x >= 0 && x <= 1, 'a share in [0, 1]');
  const out: { -readonly [K in keyof ResponseSpec]?: ResponseSpec[K] } = { share };
  if (flags.delay !== undefined) {
    const median = num(flags.delay, '--response-delay', (x) => x >= 0 && x <= 1440, 'minutes in [0, 1440]');
    out.delayMinutes =
      median === 0
        ? { kind: 'constant', value: 0 }
        : ({ ...DEFAULT_RESPONSE_SPEC.delayMinutes, median } as ResponseSpec['delayMinutes']);
  }
  if (flags.deposit !== undefined)
    out.depositProbability = num(
      flags.deposit,
      '--response-deposit',
      (x) => x >= 0 && x <= 1,
      'a probability in [0, 1]',
    );
  return out;
}
