/**
 * The dYdX v4 step (policy penalty `dydx_fillable`; the formulas are in
 * core/liquidation/fill-price.ts): the target position closes at the fillable price, and the
 * insurance fund takes the difference to the bankruptcy quote or pays the shortfall.
 */
import {
  evaluate,
  type Scope,
  type ScopeFigures,
  type ScopeView,
  withPosition,
} from '../../account/figures.ts';
import { positionValue } from '../../account/position.ts';
import { dydxBankruptcyQuote, dydxFillablePx8, dydxInsuranceDelta } from '../../liquidation/fill-price.ts';
import { closed, largestMaintenance } from '../../liquidation/target.ts';
import { valueDivisor } from '../../margin/notional.ts';
import type { Subaccount } from '../../model/state.ts';
import { max } from '../../num/index.ts';
import type { CommandContext } from '../context.ts';
import { reject } from '../errors.ts';
import * as fmt from '../message-units.ts';
import { applyWindowCaps, executeStep, insuranceLossRoom } from './step.ts';

/**
 * dYdX v4 liquidation step (policy penalty `dydx_fillable`, formulas in ./fill-price.ts): the
 * position with the largest MM closes in full (trimmed by the window caps unless the scope is
 * bankrupt) to the liquidator at the fillable price — or at the liquidator's `fillPrice` when
 * that is at least as good for the liquidatee — and the insurance fund receives fill −
 * bankruptcy quote capped at the max liquidation fee, or pays the shortfall. The fund pays at
 * most its balance: a bankrupt scope whose shortfall it cannot pay goes to the waterfall
 * (returns false, nothing emitted; dYdX deleverages), a solvent one fills closer to its
 * bankruptcy price by what the fund lacks.
 */
export function dydxStep(
  ctx: CommandContext,
  sub: Subaccount,
  scope: Scope,
  view: ScopeView,
  before: ScopeFigures,
  liquidator: Subaccount,
  timeMs: number,
  fillPrice: bigint | undefined,
): boolean {
  const state = ctx.state;
  const cfg = state.policy.penalty;
  if (cfg.kind !== 'dydx_fillable') return false;
  const qd = state.settlement.decimals;
  const target = largestMaintenance(before);
  const market = state.markets.get(target.market)!;
  const mark = target.markPx8;
  const side = target.size > 0n ? 1n : -1n;
  const absSize = side * target.size;
  const tnc = before.netValueQuote;
  const tmmr = before.maintenanceMarginQuote;
  const solvent = tnc >= 0n;
  const qty = solvent ? applyWindowCaps(ctx, sub.key, market, mark, absSize, timeMs) : absSize;

  const pnnv = target.entryValue + target.unrealizedPnlQuote; // signed value at the mark (floor)
  const fillable = dydxFillablePx8(
    pnnv,
    target.maintenanceQuote,
    target.size,
    tnc,
    tmmr,
    cfg,
    valueDivisor(qd),
    market.config.tickSize,
  );
  let px = fillable;
  if (fillPrice !== undefined) {
    if (fillPrice % market.config.tickSize !== 0n)
      reject(
        'INVALID_PRICE',
        `fillPrice ${fmt.px(fillPrice)} must be a multiple of the tick ${fmt.px(market.config.tickSize)}`,
      );
    if (side > 0n ? fillPrice < fillable : fillPrice > fillable)
      reject(
        'INVALID_PRICE',
        `fillPrice ${fmt.px(fillPrice)} must be ${side > 0n ? 'at or above' : 'at or below'} the fillable price ${fmt.px(fillable)}`,
      );
    px = fillPrice;
  }
  // Bankruptcy quote of the closed quantity: −DNNV − ⌊TNC × |DMMR| / TMMR⌋.
  const rest = withPosition(view, closed(target, qty, side * positionValue(qty, mark, qd, 'halfEven')), 0n);
  const dnnv = positionValue(target.size - side * qty, mark, qd, 'floor') - pnnv;
  const dmmr = evaluate(state, rest).maintenanceMarginQuote - tmmr;
  const bankruptcy = dydxBankruptcyQuote(tnc, tmmr, dnnv, dmmr);
  let value = positionValue(qty, px, qd, 'floor'); // |fill quote|
  let delta = dydxInsuranceDelta(value, side > 0n, bankruptcy, cfg.maxLiquidationFee);
  // dYdX's per-block limit on the fund's payout for one subaccount: a solvent scope waits for the
  // next window; a bankrupt one goes to the waterfall (its cover limited too; dYdX deleverages).
  const room = insuranceLossRoom(ctx, sub.key, timeMs);
  if (room !== undefined && -delta > room) {
    if (!solvent) return false;
    reject(
      'LIQUIDATION_CAP_REACHED',
      `the insurance fund would pay ${fmt.quote(state, -delta)}; ${fmt.quote(state, room)} is left of ${sub.key}'s insurance-loss cap in this window`,
    );
  }
  const fund = max(0n, state.insurance.get(state.settlement.id) ?? 0n);
  if (-delta > fund) {
    if (!solvent) return false;
    // The fund pays what it has; the fill moves towards the bankruptcy price by the rest.
    const lacking = -delta - fund;
    value = max(0n, side > 0n ? value + lacking : value - lacking);
    delta = -fund;
  }

  executeStep(ctx, {
    sub,
    scope,
    before,
    liquidator,
    market,
    side,
    qty,
    value,
    mark,
    full: qty === absSize && before.positions.length === 1,
    timeMs,
    insuranceDelta: delta,
    reward: 0n,
    ...(room !== undefined && delta < 0n ? { insuranceCoverQuote: -delta } : {}),
  });
  return true;
}
