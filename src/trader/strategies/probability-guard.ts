/**
 * Liquidation avoidance by probability: act when the probability that the mark touches the
 * liquidation price within a horizon exceeds a threshold, and act just enough to bring it back
 * to the threshold.
 *
 * Probability: first passage of a GBM mark (analytics/first-passage.ts: continuous monitoring,
 * drift μ, volatility σ per year). Float64 — a screen; the amounts below are exact.
 *
 * Action. The distance d* at which the probability equals the threshold is found by bisection
 * (arrival.ts `distanceForTarget` with a fixed delay = the horizon); the liquidation price must
 * move to the band edge P = mark·(1 − d*) for a long (rounded down), mark·(1 + d*) for a short
 * (rounded up). With s = ±1 the side, the account's health at P is
 *
 *     H(P) = E + s·size·(P − mark) − MM·P/mark
 *
 * (maintenance margin taken proportional to the price: a fixed rate; for tiered venues
 * recompute the top-up with the engine, e.g. venue-risk.ts), so the top-up is A = ⌈−H(P)⌉ when
 * H(P) < 0. If the reserve falls short, the rest is a reduction by the fraction f of the
 * position (taker fee φ on the notional N): with L = MM·P/mark − s·size·(P − mark) > 0 the loss
 * plus requirement at P of the whole position, H ≥ 0 needs f = (L − E′) / (L − φN), E′ the
 * equity after the top-up. Cool-down and minimum action size as the band rebalancer.
 */
import { liquidationProbability } from '../../analytics/first-passage.ts';
import { divRound, max, min } from '../../core/num/index.ts';
import { distanceForTarget } from '../arrival.ts';
import {
  type Action,
  ceilDiv,
  type Decision,
  notionalOf,
  type Observation,
  PPM,
  PX_SCALE,
  QTY_SCALE,
  type Strategy,
  StrategyError,
} from './strategy.ts';

export interface ProbabilityGuardConfig {
  /** Act when P(liquidated within the horizon) exceeds this (0 < threshold < 1). */
  readonly threshold: number;
  readonly horizonYears: number;
  readonly sigmaPerYear: number;
  readonly muPerYear?: number;
  readonly cooldownMs: number;
  readonly minAction: bigint;
}

const MINUTES_PER_YEAR = 525_600;

export class ProbabilityGuard implements Strategy {
  readonly name = 'probability-guard';
  private lastActionMs: number | null = null;

  constructor(readonly config: ProbabilityGuardConfig) {
    const { threshold, horizonYears, sigmaPerYear, cooldownMs, minAction } = config;
    if (!(threshold > 0 && threshold < 1))
      throw new StrategyError('BAD_PARAMETER', 'threshold must be in (0, 1)');
    if (!(horizonYears > 0) || !(sigmaPerYear > 0))
      throw new StrategyError('BAD_PARAMETER', 'horizon and volatility must be > 0');
    if (!(cooldownMs >= 0) || minAction < 0n)
      throw new StrategyError('BAD_PARAMETER', 'cool-down and minimum action must be ≥ 0');
    if ((config.muPerYear ?? 0) !== 0)
      throw new StrategyError('BAD_PARAMETER', 'the action sizing assumes a driftless mark (muPerYear 0)');
  }

  /** P(liquidated within the horizon) of an observation's position. */
  probability(obs: Observation): number {
    if (obs.kind !== 'perp')
      throw new StrategyError('WRONG_ACCOUNT_KIND', 'the probability guard manages a perpetual position');
    const p = obs.position;
    if (p.liquidationPx8 === null) return 0;
    return liquidationProbability(
      p.side,
      Number(p.markPx8) / 1e8,
      Number(p.liquidationPx8) / 1e8,
      this.config.sigmaPerYear,
      this.config.horizonYears,
    );
  }

  decide(obs: Observation): Decision {
    const prob = this.probability(obs);
    const { threshold } = this.config;
    if (prob <= threshold || obs.kind !== 'perp')
      return {
        actions: [],
        reason: `P(liquidation within the horizon) = ${prob.toPrecision(4)} ≤ ${threshold}`,
      };
    if (this.lastActionMs !== null && obs.timeMs - this.lastActionMs < this.config.cooldownMs)
      return { actions: [], reason: `cool-down (P = ${prob.toPrecision(4)} > ${threshold})` };
    const pos = obs.position;
    const long = pos.side === 'long';
    const d = distanceForTarget(pos.side, threshold, this.config.sigmaPerYear, {
      medianMinutes: this.config.horizonYears * MINUTES_PER_YEAR,
      sigma: 0,
    });
    const dPpm = BigInt(Math.ceil(d * 1e6));
    const edge = long
      ? divRound(pos.markPx8 * (PPM - dPpm), PPM, 'floor')
      : ceilDiv(pos.markPx8 * (PPM + dPpm), PPM);
    const scale = 10n ** BigInt(obs.decimals);
    const unit = QTY_SCALE * PX_SCALE; // size × price → quote units
    // L·unit·mark (exact), the loss plus requirement at the edge for the whole position.
    const s = long ? 1n : -1n;
    const mmAtEdgeTimes = obs.maintenanceMargin * edge * unit; // MM·P/mark, × mark·unit
    const pnlTimes = s * pos.sizeQty9 * (edge - pos.markPx8) * scale * pos.markPx8; // × mark·unit
    const denom = unit * pos.markPx8;
    const L = ceilDiv(mmAtEdgeTimes - pnlTimes, denom);
    const need = L - obs.equity;
    const actions: Action[] = [];
    let equity = obs.equity;
    if (need > 0n) {
      const amount = max(need, this.config.minAction);
      const t = amount <= obs.reserve ? amount : obs.reserve >= this.config.minAction ? obs.reserve : 0n;
      if (t > 0n) {
        actions.push({ kind: 'top_up', amount: t });
        equity += t;
      }
      if (t < need) {
        const N = notionalOf(pos, obs.decimals);
        const num = (L - equity) * PPM;
        const den = L * PPM - pos.takerFeePpm * N;
        const cut = den <= 0n ? pos.sizeQty9 : ceilDiv(pos.sizeQty9 * num, den);
        actions.push({ kind: 'reduce', sizeQty9: min(cut, pos.sizeQty9) });
      }
    }
    if (actions.length > 0) this.lastActionMs = obs.timeMs;
    return {
      actions,
      reason: `P(liquidation within the horizon) = ${prob.toPrecision(4)} > ${threshold}: move the liquidation price ${(Number(dPpm) / 1e4).toFixed(2)}% from the mark`,
    };
  }
}
