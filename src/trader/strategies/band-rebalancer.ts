/**
 * The band rebalancer: when an account's risk metric crosses a trigger, act to bring it back to
 * a target — top up collateral from a reserve, repay debt, or partially deleverage — with a
 * cool-down between actions and a minimum action size.
 *
 * Metric. Perpetuals: the margin ratio MM / equity (ppm; the venue liquidates at 100%), which
 * rises with risk: act when ratio ≥ trigger, aim for ratio = target < trigger. Lending: the
 * health factor HF = collateral · LT / debt (ppm; liquidation below 1), which falls with risk:
 * act when HF ≤ trigger, aim for HF = target > trigger > 0, target > 1. A band whose target is
 * not on the safe side of its trigger is a `StrategyError('TARGET_NOT_SAFER')` at construction.
 * Comparisons cross-multiply (no division), amounts round up (the target is always reached).
 *
 * Amounts, exactly (E equity, MM maintenance margin, τ = target; C collateral value, D debt,
 * LT liquidation threshold, h = target HF):
 *   perps, top up A:      (MM / (E + A) ≤ τ)          A = ⌈MM / τ⌉ − E
 *   perps, reduce f of the position at the mark, paying taker fee φ on the notional N:
 *                         MM(1 − f) ≤ τ(E − φ f N)    f = (MM − τE) / (MM − τφN)
 *     (MM taken proportional to size: within a tier MM = N·mmr − cum falls at least in
 *     proportion when N falls, so the reduction is never too small; the size is rounded up to
 *     1e-9, not to the market's step — round the order up to the step before sending it)
 *   lending, repay r:     C·LT / (D − r) ≥ h          r = D − ⌊C·LT / h⌋
 *   lending, top up ΔC:   (C + ΔC)·LT / D ≥ h         ΔC = ⌈h·D / LT⌉ − C   (new collateral at the same LT)
 *   lending, delever x (sell x of collateral, repay x):
 *                         (C − x)·LT / (D − x) ≥ h    x = ⌈(h·D − C·LT) / (h − LT)⌉
 * The preferred action draws on the reserve first; what the reserve cannot cover is done by
 * deleveraging (perps: reduce; lending: delever). An amount below the minimum action size is
 * raised to it (acting a little more is on the safe side); the cool-down suppresses any action
 * within `cooldownMs` of the last one.
 */
import { divRound, max, min } from '../../core/num/index.ts';
import {
  type Action,
  ceilDiv,
  type Decision,
  type LendingObservation,
  notionalOf,
  type Observation,
  type PerpObservation,
  PPM,
  type Strategy,
  StrategyError,
} from './strategy.ts';

export interface BandRebalancerConfig {
  readonly account: 'perp' | 'lending';
  /** Perps: margin ratio (ppm) that triggers; lending: health factor (ppm) that triggers. */
  readonly triggerPpm: bigint;
  /** The ratio / health factor to restore (ppm). */
  readonly targetPpm: bigint;
  readonly cooldownMs: number;
  /** Smallest amount worth an action (settlement units at the observation's decimals). */
  readonly minAction: bigint;
  /** First action: perps 'top_up' (default) or 'reduce'; lending 'repay' (default), 'top_up' or 'delever'. */
  readonly prefer?: 'top_up' | 'repay' | 'reduce' | 'delever';
}

const fmtPct = (ppm: bigint) => `${Number(ppm) / 10_000}%`;

export class BandRebalancer implements Strategy {
  readonly name = 'band-rebalancer';
  private lastActionMs: number | null = null;

  constructor(readonly config: BandRebalancerConfig) {
    const { account, triggerPpm: trig, targetPpm: tgt, cooldownMs, minAction } = config;
    if (!(cooldownMs >= 0) || minAction < 0n)
      throw new StrategyError('BAD_PARAMETER', 'cool-down and minimum action must be ≥ 0');
    if (account === 'perp') {
      if (tgt <= 0n || trig > PPM)
        throw new StrategyError(
          'BAD_PARAMETER',
          'perps: need 0 < target and trigger ≤ 100% (the venue liquidates at 100%)',
        );
      if (tgt >= trig)
        throw new StrategyError(
          'TARGET_NOT_SAFER',
          `perps: the target margin ratio ${fmtPct(tgt)} must be below the trigger ${fmtPct(trig)}`,
        );
      if (config.prefer !== undefined && config.prefer !== 'top_up' && config.prefer !== 'reduce')
        throw new StrategyError(
          'BAD_PARAMETER',
          `perps: prefer 'top_up' or 'reduce', not '${config.prefer}'`,
        );
    } else {
      if (trig <= 0n)
        throw new StrategyError('BAD_PARAMETER', 'lending: the trigger health factor must be > 0');
      if (tgt <= trig || tgt <= PPM)
        throw new StrategyError(
          'TARGET_NOT_SAFER',
          `lending: the target health factor ${Number(tgt) / 1e6} must exceed the trigger ${Number(trig) / 1e6} and 1`,
        );
      if (config.prefer === 'reduce')
        throw new StrategyError('BAD_PARAMETER', "lending: prefer 'repay', 'top_up' or 'delever'");
    }
  }

  decide(obs: Observation): Decision {
    if (obs.kind !== this.config.account)
      throw new StrategyError(
        'WRONG_ACCOUNT_KIND',
        `configured for a ${this.config.account} account, observed ${obs.kind}`,
      );
    const d = obs.kind === 'perp' ? this.perp(obs) : this.lending(obs);
    if (d.actions.length > 0) {
      if (this.lastActionMs !== null && obs.timeMs - this.lastActionMs < this.config.cooldownMs)
        return {
          actions: [],
          reason: `cool-down: last action ${obs.timeMs - this.lastActionMs} ms ago (${d.reason})`,
        };
      this.lastActionMs = obs.timeMs;
    }
    return d;
  }

  /** At least the minimum action size. */
  private sized(amount: bigint): bigint {
    return max(amount, this.config.minAction);
  }

  private perp(o: PerpObservation): Decision {
    const { triggerPpm: trig, targetPpm: tgt } = this.config;
    const E = o.equity;
    const MM = o.maintenanceMargin;
    // ratio ≥ trigger ⇔ MM·1e6 ≥ trigger·E (and any MM > 0 with E ≤ 0).
    const crossed = E <= 0n ? MM > 0n : MM * PPM >= trig * E;
    if (!crossed) return { actions: [], reason: `margin ratio below the trigger ${fmtPct(trig)}` };
    const actions: Action[] = [];
    let equity = E;
    if (this.config.prefer !== 'reduce') {
      const need = ceilDiv(MM * PPM, tgt) - E;
      const amount = this.sized(need);
      const t = amount <= o.reserve ? amount : o.reserve >= this.config.minAction ? o.reserve : 0n;
      if (t > 0n) {
        actions.push({ kind: 'top_up', amount: t });
        equity += t;
      }
      if (t >= need)
        return {
          actions,
          reason: `margin ratio ≥ ${fmtPct(trig)}: top up ${t} to bring it to ${fmtPct(tgt)}`,
        };
    }
    const size = o.position.sizeQty9;
    const N = notionalOf(o.position, o.decimals);
    const num = (MM * PPM - tgt * equity) * PPM;
    const den = MM * PPM * PPM - tgt * o.position.takerFeePpm * N;
    const cut = den <= 0n ? size : ceilDiv(size * num, den);
    const reduce = min(cut, size);
    if (reduce > 0n) actions.push({ kind: 'reduce', sizeQty9: reduce });
    return {
      actions,
      reason: `margin ratio ≥ ${fmtPct(trig)}: ${actions.some((a) => a.kind === 'top_up') ? 'the reserve falls short; ' : ''}reduce the position to bring it to ${fmtPct(tgt)}`,
    };
  }

  private lending(o: LendingObservation): Decision {
    const { triggerPpm: trig, targetPpm: h } = this.config;
    const C = o.collateralValue;
    const LT = o.liquidationThresholdPpm;
    let D = o.debt;
    if (D <= 0n) return { actions: [], reason: 'no debt' };
    // HF ≤ trigger ⇔ C·LT ≤ trigger·D (both in ppm).
    if (C * LT > trig * D)
      return { actions: [], reason: `health factor above the trigger ${Number(trig) / 1e6}` };
    const prefer = this.config.prefer ?? 'repay';
    const actions: Action[] = [];
    const target = `health factor ≤ ${Number(trig) / 1e6}: back to ${Number(h) / 1e6}`;
    if (prefer === 'repay') {
      const need = D - divRound(C * LT, h, 'floor'); // ⌊C·LT/h⌋: the repayment rounds up
      const amount = min(this.sized(need), D);
      const r = amount <= o.reserve ? amount : o.reserve >= this.config.minAction ? o.reserve : 0n;
      if (r > 0n) actions.push({ kind: 'repay', amount: r });
      if (r >= need) return { actions, reason: `${target} by repaying ${r}` };
      D -= r;
    } else if (prefer === 'top_up') {
      const need = ceilDiv(h * D, LT) - C;
      const amount = this.sized(need);
      const t = amount <= o.reserve ? amount : o.reserve >= this.config.minAction ? o.reserve : 0n;
      if (t > 0n) actions.push({ kind: 'top_up', amount: t });
      if (t >= need) return { actions, reason: `${target} by adding collateral worth ${t}` };
      return this.deleverAfterTopUp(o, C + t, D, actions, target);
    }
    return this.deleverAfterTopUp(o, C, D, actions, target);
  }

  private deleverAfterTopUp(
    o: LendingObservation,
    C: bigint,
    D: bigint,
    actions: Action[],
    target: string,
  ): Decision {
    const h = this.config.targetPpm;
    const LT = o.liquidationThresholdPpm;
    const need = ceilDiv(h * D - C * LT, h - LT);
    if (need > 0n) {
      const x = this.sized(need);
      actions.push({ kind: 'delever', amount: min(x, D) });
    }
    return {
      actions,
      reason: `${target}${actions.length > 1 ? ' (the reserve falls short)' : ''} by selling collateral to repay debt`,
    };
  }
}
