/**
 * The partial step (solvent scope, the default policy): close the least size of the target
 * position (a multiple of the market step) that brings the scope back to the policy target —
 * equity ≥ MM × (1 + buffer), or equity ≥ IM — closing in full when the rest would be dust or
 * the target is out of reach; or a fixed fraction of a large position (sizing 'fraction'); or
 * the whole position at the bankruptcy price (penalty 'to_bankruptcy', Binance).
 *
 * The liquidator takes the size at the oracle price minus a discount (its reward) and the
 * insurance fund charges a fee; together they are the penalty, which grows from minPenalty to
 * maxPenalty as equity falls from MM to 0, never exceeds a share (default half) of the
 * maintenance margin the step releases (so a step always leaves the scope healthier) and never
 * exceeds the scope's net value (so the fill never goes past the bankruptcy price).
 */
import {
  evaluate,
  type Scope,
  type ScopeFigures,
  type ScopeView,
  scopeName,
  withPosition,
} from '../../account/figures.ts';
import { applyTrade, positionValue } from '../../account/position.ts';
import { closed, pickTarget } from '../../liquidation/target.ts';
import type { Subaccount } from '../../model/state.ts';
import { clamp, max, min, mulDiv, PPM, parseDecimalUnsafe, roundToStep } from '../../num/index.ts';
import type { CommandContext } from '../context.ts';
import { applyWindowCaps, executeStep } from './step.ts';

interface StepOutcome {
  qty: bigint;
  /** Quote the liquidatee receives (long) or pays (short) for `qty`, at the discounted price. */
  value: bigint;
  reward: bigint;
  insuranceFee: bigint;
  after: ScopeFigures;
}

function reachesTarget(ctx: CommandContext, f: ScopeFigures): boolean {
  const p = ctx.state.policy;
  if (p.target === 'initial') return f.equityInitialQuote >= f.initialMarginQuote;
  return f.equityQuote * PPM >= f.maintenanceMarginQuote * (PPM + p.targetBuffer);
}

export function partial(
  ctx: CommandContext,
  sub: Subaccount,
  scope: Scope,
  view: ScopeView,
  before: ScopeFigures,
  liquidator: Subaccount,
  timeMs: number,
): void {
  const state = ctx.state;
  const policy = state.policy;
  const qd = state.settlement.decimals;
  const target = pickTarget(state, view, before);
  const market = state.markets.get(target.market)!;
  const mark = target.markPx8;
  const side = target.size > 0n ? 1n : -1n;
  const absSize = side * target.size;
  const step = market.config.stepSize;

  // Penalty rate: min → max as equity falls from MM to 0 (linear in the shortfall).
  const mm = before.maintenanceMarginQuote;
  const shortfallPpm = clamp(mulDiv(mm - before.equityQuote, PPM, mm, 'ceil'), 0n, PPM);
  const penaltyPpm =
    policy.minPenalty + mulDiv(policy.maxPenalty - policy.minPenalty, shortfallPpm, PPM, 'floor');
  const rewardPpm = mulDiv(penaltyPpm, policy.liquidatorShare, PPM, 'floor');
  const feePpm = penaltyPpm - rewardPpm;
  const feeCap =
    policy.maxInsuranceFeePerStep === undefined
      ? undefined
      : parseDecimalUnsafe(policy.maxInsuranceFeePerStep, qd);

  const toBankruptcy = policy.penalty.kind === 'to_bankruptcy' ? policy.penalty : undefined;

  const outcome = (qty: bigint): StepOutcome => {
    const atMark = positionValue(qty, mark, qd, 'halfEven');
    if (toBankruptcy) {
      // Closed at the bankruptcy price: the remaining margin of the closed part (net value ×
      // the share of MM the step releases; all of it for a whole-scope close) is the penalty.
      const rest = withPosition(view, closed(target, qty, side * atMark), 0n);
      const released = mm - evaluate(state, rest).maintenanceMarginQuote;
      const penalty = max(0n, mulDiv(before.netValueQuote, released, mm, 'floor'));
      let fee = mulDiv(penalty, toBankruptcy.insuranceShare, PPM, 'floor');
      let reward = penalty - fee;
      if (side > 0n && reward > atMark) {
        fee += reward - atMark; // a long never sells below zero
        reward = atMark;
      }
      if (feeCap !== undefined) fee = min(fee, feeCap);
      const value = atMark - side * reward;
      const r = applyTrade(target.size, target.entryValue, -side * qty, -side * value);
      const after = evaluate(
        state,
        withPosition(
          view,
          { market: target.market, size: r.size, entryValue: r.entryValue },
          r.realized - fee,
        ),
      );
      return { qty, value, reward, insuranceFee: fee, after };
    }
    let reward = mulDiv(atMark, rewardPpm, PPM, 'ceil');
    let fee = mulDiv(atMark, feePpm, PPM, 'ceil');
    if (feeCap !== undefined) fee = min(fee, feeCap);
    // Never more than the maintenance margin this step releases, nor more than the net value.
    const remaining = withPosition(view, closed(target, qty, side * atMark), 0n);
    const released = mm - evaluate(state, remaining).maintenanceMarginQuote;
    const budget = max(
      0n,
      min(mulDiv(released, policy.maxPenaltyShareOfReleasedMargin, PPM, 'floor'), before.netValueQuote),
    );
    reward = min(reward, budget);
    fee = min(fee, budget - reward);
    const value = atMark - side * reward; // long sells below the mark, short buys above it
    const r = applyTrade(target.size, target.entryValue, -side * qty, -side * value);
    const after = evaluate(
      state,
      withPosition(view, { market: target.market, size: r.size, entryValue: r.entryValue }, r.realized - fee),
    );
    return { qty, value, reward, insuranceFee: fee, after };
  };

  let qty = absSize;
  let result = outcome(absSize);
  const sizing = policy.sizing;
  if (toBankruptcy) {
    // Binance closes the whole position (only the window caps below may trim it).
  } else if (sizing.kind === 'fraction') {
    // Fixed share of a large position, unless a partial step happened within the cooldown.
    const last = state.lastPartialMs.get(`${sub.key}|${scopeName(scope)}`);
    const cooling = last !== undefined && timeMs < last + sizing.cooldownMs;
    const large = target.notionalQuote > parseDecimalUnsafe(sizing.aboveNotional, qd);
    if (large && !cooling) {
      qty = max(step, roundToStep(mulDiv(absSize, sizing.fraction, PPM, 'floor'), step, 'floor'));
    }
  } else if (reachesTarget(ctx, result.after)) {
    // Smallest step multiple that reaches the target (binary search on exact figures).
    let lo = 0n;
    let hi = absSize / step;
    while (hi - lo > 1n) {
      const mid = (lo + hi) / 2n;
      if (reachesTarget(ctx, outcome(mid * step).after)) hi = mid;
      else lo = mid;
    }
    qty = hi * step;
    const dust = parseDecimalUnsafe(policy.dustNotional, qd);
    if (positionValue(absSize - qty, mark, qd, 'ceil') < dust) qty = absSize;
  }
  qty = applyWindowCaps(ctx, sub.key, market, mark, qty, timeMs);
  result = outcome(qty);

  executeStep(ctx, {
    sub,
    scope,
    before,
    liquidator,
    market,
    side,
    qty,
    value: result.value,
    mark,
    full: qty === absSize && before.positions.length === 1,
    timeMs,
    insuranceDelta: result.insuranceFee,
    reward: result.reward,
  });
}
