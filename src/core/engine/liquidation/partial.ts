/**
 * The partial step (solvent scope, the default policy), recorded as events; its pricing and size
 * are pure functions in core/liquidation/partial-step.ts: close the least size of the target
 * position (a multiple of the market step) that brings the scope back to the policy target —
 * equity ≥ MM × (1 + buffer), or equity ≥ IM — closing in full when the rest would be dust or
 * the target is out of reach; or a fixed fraction of a large position (sizing 'fraction'); or
 * the whole position at the bankruptcy price (penalty 'to_bankruptcy', Binance; with `closeAll`
 * every position of the scope in the one command, largest MM first). Under penalty 'drift' the
 * two rates are Drift's ramped liquidator fee and implied IF fee (liquidation/drift-fees.ts), and
 * the step records when the scope entered liquidation while it stays short of the target.
 *
 * The liquidator takes the size at the oracle price minus a discount (its reward) and the
 * insurance fund charges a fee; together they are the penalty, which grows from minPenalty to
 * maxPenalty as equity falls from MM to 0, never exceeds a share (default half) of the
 * maintenance margin the step releases (so a step always leaves the scope healthier) and never
 * exceeds the scope's net value (so the fill never goes past the bankruptcy price).
 */
import type { Scope, ScopeFigures, ScopeView } from '../../account/figures.ts';
import { scopeName, viewOf } from '../../account/figures.ts';
import {
  partialOutcome,
  partialPricing,
  partialStepSize,
  reachesTarget,
} from '../../liquidation/partial-step.ts';
import { pickTarget } from '../../liquidation/target.ts';
import type { Subaccount } from '../../model/state.ts';
import type { CommandContext } from '../context.ts';
import { applyWindowCaps, executeStep } from './step.ts';

export function partial(
  ctx: CommandContext,
  sub: Subaccount,
  scope: Scope,
  view: ScopeView,
  before: ScopeFigures,
  liquidator: Subaccount,
  timeMs: number,
): void {
  partialStep(ctx, sub, scope, view, before, liquidator, timeMs, false);
  const penalty = ctx.state.policy.penalty;
  if (penalty.kind !== 'to_bankruptcy' || !penalty.closeAll) return;
  // Binance's whole-scope clearance: the scope's other positions close in the same command, largest
  // MM first, each at its bankruptcy price (its share of the margin left, so the scope ends at net
  // value 0), until a window cap is used up.
  for (;;) {
    const v = viewOf(ctx.state, sub, scope);
    if (v.positions.length === 0) return;
    const f = ctx.figures(v);
    if (f.maintenanceMarginQuote <= 0n || f.netValueQuote < 0n) return;
    if (!partialStep(ctx, sub, scope, v, f, liquidator, timeMs, true)) return;
  }
}

/** One step on the scope's largest-MM position; false when `softly` and a window cap is used up. */
function partialStep(
  ctx: CommandContext,
  sub: Subaccount,
  scope: Scope,
  view: ScopeView,
  before: ScopeFigures,
  liquidator: Subaccount,
  timeMs: number,
  softly: boolean,
): boolean {
  const state = ctx.state;
  const target = pickTarget(state, view, before);
  const market = state.markets.get(target.market)!;
  const scopeKey = `${sub.key}|${scopeName(scope)}`;
  const pricing = partialPricing(state, view, before, target, { scopeKey, timeMs });
  const { mark, side } = pricing;
  const absSize = side * target.size;
  let qty = partialStepSize(pricing, market.config.stepSize, scopeKey, timeMs);
  qty = applyWindowCaps(ctx, sub.key, market, mark, qty, timeMs, softly);
  if (qty === 0n) return false;
  const result = partialOutcome(pricing, qty);
  // A time-ramped penalty (Drift) remembers when the scope entered liquidation while it stays
  // below the target; a step that reaches it (Drift: exit_liquidation) or closes the scope ends it.
  const stillIn =
    state.policy.penalty.kind === 'drift' &&
    result.after.positions.length > 0 &&
    !reachesTarget(state.policy, result.after);
  const liquidationStartMs = stillIn ? (state.liquidationStartMs?.get(scopeKey) ?? timeMs) : undefined;

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
    ...(liquidationStartMs !== undefined ? { liquidationStartMs } : {}),
  });
  return true;
}
