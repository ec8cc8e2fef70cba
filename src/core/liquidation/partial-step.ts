/**
 * The partial step's pricing and size, pure functions of a read-only state (the engine's partial
 * step, engine/liquidation/partial.ts, records the result). The penalty rate grows from
 * minPenalty to maxPenalty as equity falls from MM to 0; the liquidator's share is a discount on
 * the mark, the rest an insurance fee; both are capped by a share of the maintenance margin the
 * step releases and by the scope's net value. With penalty 'to_bankruptcy' (Binance) the close is
 * at the bankruptcy price and the margin left in the closed part is the penalty. The size is the
 * least multiple of the market step that reaches the policy target (binary search on exact
 * figures), a fixed fraction of a large position (sizing 'fraction'), or all of it.
 */
import {
  evaluate,
  type PositionFigures,
  type ScopeFigures,
  type ScopeView,
  withPosition,
} from '../account/figures.ts';
import { applyTrade } from '../account/position.ts';
import { buySign, notionalValue } from '../margin/contract-value.ts';
import type { LiquidationPolicy } from '../model/engine-config.ts';
import type { ReadonlyEngineState } from '../model/state.ts';
import {
  clamp,
  InvariantError,
  max,
  min,
  mulDiv,
  PPM,
  parseDecimalUnsafe,
  roundToStep,
} from '../num/index.ts';
import { impliedInsuranceFeePpm, rampedLiquidatorFeePpm } from './drift-fees.ts';
import { closed } from './target.ts';

export interface StepOutcome {
  qty: bigint;
  /** Quote the liquidatee receives (long) or pays (short) for `qty`, at the discounted price. */
  value: bigint;
  reward: bigint;
  insuranceFee: bigint;
  after: ScopeFigures;
}

/** Everything a partial step's outcome depends on but its size. */
export interface PartialPricing {
  readonly state: ReadonlyEngineState;
  readonly view: ScopeView;
  readonly before: ScopeFigures;
  readonly target: PositionFigures;
  readonly mark: bigint;
  /** Side of the target position (1 long, −1 short). */
  readonly side: bigint;
  readonly rewardPpm: bigint;
  readonly feePpm: bigint;
  readonly feeCap: bigint | undefined;
}

export function partialPricing(
  state: ReadonlyEngineState,
  view: ScopeView,
  before: ScopeFigures,
  target: PositionFigures,
  at?: { readonly scopeKey: string; readonly timeMs: number },
): PartialPricing {
  const policy = state.policy;
  const { rewardPpm, feePpm } =
    policy.penalty.kind === 'drift' ? driftRates(state, before, target, at) : rampRates(policy, before);
  const feeCap =
    policy.maxInsuranceFeePerStep === undefined
      ? undefined
      : parseDecimalUnsafe(policy.maxInsuranceFeePerStep, state.settlement.decimals);
  return {
    state,
    view,
    before,
    target,
    mark: target.markPx8,
    side: target.size > 0n ? 1n : -1n,
    rewardPpm,
    feePpm,
    feeCap,
  };
}

/** Penalty rate min → max as equity falls from MM to 0 (linear in the shortfall), split by liquidatorShare. */
function rampRates(policy: LiquidationPolicy, before: ScopeFigures): { rewardPpm: bigint; feePpm: bigint } {
  const mm = before.maintenanceMarginQuote;
  const shortfallPpm = clamp(mulDiv(mm - before.equityQuote, PPM, mm, 'ceil'), 0n, PPM);
  const penaltyPpm =
    policy.minPenalty + mulDiv(policy.maxPenalty - policy.minPenalty, shortfallPpm, PPM, 'floor');
  const rewardPpm = mulDiv(penaltyPpm, policy.liquidatorShare, PPM, 'floor');
  return { rewardPpm, feePpm: penaltyPpm - rewardPpm };
}

/**
 * Drift v2 (penalty `drift`, ./drift-fees.ts): the liquidator fee ramped by the time since the
 * scope entered liquidation (now, when it has no entry yet), and the IF fee implied by the
 * shortage to the policy target. The margin ratio is the target position's requirement at the
 * policy target over its value at the mark — for `maintenance_plus_notional` Drift's margin ratio
 * plus the liquidation buffer.
 */
function driftRates(
  state: ReadonlyEngineState,
  before: ScopeFigures,
  target: PositionFigures,
  at: { readonly scopeKey: string; readonly timeMs: number } | undefined,
): { rewardPpm: bigint; feePpm: bigint } {
  const policy = state.policy;
  const cfg = policy.penalty;
  if (cfg.kind !== 'drift') throw new InvariantError('drift rates under another penalty');
  const now = at?.timeMs ?? state.timeMs;
  const start = (at && state.liquidationStartMs?.get(at.scopeKey)) ?? now;
  const rewardPpm = rampedLiquidatorFeePpm(cfg, start, now);
  const value = target.entryValue + target.unrealizedPnlQuote;
  const absValue = value < 0n ? -value : value;
  let positionTarget: bigint; // the position's requirement at the target, ×PPM
  let scopeTarget: bigint; // the scope's, ×PPM
  let equity = before.equityQuote;
  if (policy.target === 'initial') {
    positionTarget = target.initialQuote * PPM;
    scopeTarget = before.initialMarginQuote * PPM;
    equity = before.equityInitialQuote;
  } else if (policy.target === 'maintenance_plus_notional') {
    let notional = 0n;
    for (const p of before.positions) {
      const v = p.entryValue + p.unrealizedPnlQuote;
      notional += v < 0n ? -v : v;
    }
    positionTarget = target.maintenanceQuote * PPM + policy.targetBuffer * absValue;
    scopeTarget = before.maintenanceMarginQuote * PPM + policy.targetBuffer * notional;
  } else {
    positionTarget = target.maintenanceQuote * (PPM + policy.targetBuffer);
    scopeTarget = before.maintenanceMarginQuote * (PPM + policy.targetBuffer);
  }
  const shortage = max(0n, ceilDiv(scopeTarget - equity * PPM, PPM));
  const marginRatioPpm = absValue === 0n ? 0n : positionTarget / absValue;
  const feePpm = impliedInsuranceFeePpm({
    shortageQuote: shortage,
    sizeQty9: target.size < 0n ? -target.size : target.size,
    pricePx8: target.markPx8,
    marginRatioPpm,
    liquidatorFeePpm: rewardPpm,
    maxInsuranceFeePpm: cfg.maxInsuranceFee,
    quoteDecimals: state.settlement.decimals,
  });
  return { rewardPpm, feePpm };
}

const ceilDiv = (a: bigint, b: bigint): bigint => (a <= 0n ? -(-a / b) : (a + b - 1n) / b);

/** Price, reward, fee and the figures after closing `qty` of the target. */
export function partialOutcome(p: PartialPricing, qty: bigint): StepOutcome {
  const { state, view, before, target, mark, side, rewardPpm, feePpm, feeCap } = p;
  const policy = state.policy;
  const qd = state.settlement.decimals;
  const mm = before.maintenanceMarginQuote;
  const toBankruptcy = policy.penalty.kind === 'to_bankruptcy' ? policy.penalty : undefined;
  const terms = state.markets.get(target.market)!.config;
  const atMark = notionalValue(terms, qty, mark, qd, 'halfEven');
  // The liquidatee's close has the signed value −ks·|value| (margin/contract-value.ts): a
  // discount lowers a linear long's |value| and raises an inverse long's.
  const ks = buySign(terms) * side;
  if (toBankruptcy) {
    // Closed at the bankruptcy price: the remaining margin of the closed part (net value ×
    // the share of MM the step releases; all of it for a whole-scope close) is the penalty.
    const rest = withPosition(view, closed(target, qty, ks * atMark), 0n);
    const released = mm - evaluate(state, rest).maintenanceMarginQuote;
    const penalty = max(0n, mulDiv(before.netValueQuote, released, mm, 'floor'));
    // A per-symbol clearance fee first (never more than the margin left), then insuranceShare of the rest.
    const rate = toBankruptcy.clearanceFeeByMarket?.[target.market] ?? toBankruptcy.clearanceFee ?? 0n;
    const clearance = min(penalty, mulDiv(atMark, rate, PPM, 'ceil'));
    let fee = clearance + mulDiv(penalty - clearance, toBankruptcy.insuranceShare, PPM, 'floor');
    let reward = penalty - fee;
    // A linear long never sells below zero; an inverse short never buys back at an infinite price.
    const most = terms.contractType === 'inverse' ? atMark - 1n : atMark;
    if (ks > 0n && reward > most) {
      fee += reward - max(0n, most);
      reward = max(0n, most);
    }
    if (feeCap !== undefined) fee = min(fee, feeCap);
    const value = atMark - ks * reward;
    const r = applyTrade(target.size, target.entryValue, -side * qty, -ks * value);
    const after = evaluate(
      state,
      withPosition(view, { market: target.market, size: r.size, entryValue: r.entryValue }, r.realized - fee),
    );
    return { qty, value, reward, insuranceFee: fee, after };
  }
  let reward = mulDiv(atMark, rewardPpm, PPM, 'ceil');
  let fee = mulDiv(atMark, feePpm, PPM, 'ceil');
  if (feeCap !== undefined) fee = min(fee, feeCap);
  // Never more than the maintenance margin this step releases, nor more than the net value.
  const remaining = withPosition(view, closed(target, qty, ks * atMark), 0n);
  const released = mm - evaluate(state, remaining).maintenanceMarginQuote;
  // Drift's fees are sized against the liquidation target (MM + buffer), not the MM released: its
  // IF fee may take most of the buffer, so only the net value caps them (penalty 'drift').
  const releasedCap =
    policy.penalty.kind === 'drift'
      ? before.netValueQuote
      : mulDiv(released, policy.maxPenaltyShareOfReleasedMargin, PPM, 'floor');
  const budget = max(0n, min(releasedCap, before.netValueQuote));
  reward = min(reward, budget);
  if (ks > 0n && terms.contractType === 'inverse' && reward >= atMark) reward = max(0n, atMark - 1n);
  fee = min(fee, budget - reward);
  const value = atMark - ks * reward; // long sells below the mark, short buys above it
  const r = applyTrade(target.size, target.entryValue, -side * qty, -ks * value);
  const after = evaluate(
    state,
    withPosition(view, { market: target.market, size: r.size, entryValue: r.entryValue }, r.realized - fee),
  );
  return { qty, value, reward, insuranceFee: fee, after };
}

export function reachesTarget(policy: LiquidationPolicy, f: ScopeFigures): boolean {
  if (policy.target === 'initial') return f.equityInitialQuote >= f.initialMarginQuote;
  if (policy.target === 'maintenance_plus_notional') {
    // Drift's liquidation margin buffer: MM + buffer × each position's value at the mark.
    let notional = 0n;
    for (const p of f.positions) {
      const v = p.entryValue + p.unrealizedPnlQuote;
      notional += v < 0n ? -v : v;
    }
    return f.equityQuote * PPM >= f.maintenanceMarginQuote * PPM + policy.targetBuffer * notional;
  }
  return f.equityQuote * PPM >= f.maintenanceMarginQuote * (PPM + policy.targetBuffer);
}

/**
 * The size of a partial step before the window caps: all of the target under 'to_bankruptcy';
 * under sizing 'fraction' a fixed share of a large position unless the scope (`scopeKey`, as in
 * state.lastPartialMs) had a partial step within the cooldown; otherwise the least step multiple
 * that reaches the target, all of it when the rest would be dust or the target is out of reach.
 */
export function partialStepSize(
  p: PartialPricing,
  stepSize: bigint,
  scopeKey: string,
  timeMs: number,
): bigint {
  const { state, target, mark, side } = p;
  const policy = state.policy;
  const qd = state.settlement.decimals;
  const absSize = side * target.size;
  const sizing = policy.sizing;
  if (policy.penalty.kind === 'to_bankruptcy') return absSize; // Binance closes the whole position
  if (sizing.kind === 'fraction') {
    // Fixed share of a large position, unless a partial step happened within the cooldown.
    const last = state.lastPartialMs.get(scopeKey);
    const cooling = last !== undefined && timeMs < last + sizing.cooldownMs;
    const large = target.notionalQuote > parseDecimalUnsafe(sizing.aboveNotional, qd);
    if (large && !cooling) {
      return max(stepSize, roundToStep(mulDiv(absSize, sizing.fraction, PPM, 'floor'), stepSize, 'floor'));
    }
    return absSize;
  }
  if (!reachesTarget(policy, partialOutcome(p, absSize).after)) return absSize;
  // Smallest step multiple that reaches the target (binary search on exact figures).
  let lo = 0n;
  let hi = absSize / stepSize;
  while (hi - lo > 1n) {
    const mid = (lo + hi) / 2n;
    if (reachesTarget(policy, partialOutcome(p, mid * stepSize).after)) hi = mid;
    else lo = mid;
  }
  const qty = hi * stepSize;
  const dust = parseDecimalUnsafe(policy.dustNotional, qd);
  const terms = state.markets.get(target.market)!.config;
  return notionalValue(terms, absSize - qty, mark, qd, 'ceil') < dust ? absSize : qty;
}
