/**
 * Planning one side of a trade before it happens: the position after it, the PnL
 * it realizes, whether it adds risk, the isolated margin it needs, and whether
 * the subaccount stays within initial margin. Used by fills and by liquidators
 * taking over positions, so both obey one rule: a trade that adds risk must
 * leave free collateral ≥ 0; a trade that only reduces risk is always allowed.
 */
import { crossView, isolatedView, type ScopeView, withPosition } from '../account/figures.ts';
import { applyTrade } from '../account/position.ts';
import type { PositionLite } from '../account/prices.ts';
import { type ContractTerms, signedValue } from '../margin/contract-value.ts';
import type { MarketState, Subaccount } from '../model/state.ts';
import { max } from '../num/index.ts';
import type { CommandContext } from './context.ts';
import type { RejectionCode } from './errors.ts';
import { feeMovedJson } from './event-json.ts';
import * as fmt from './message-units.ts';
import { ordersAfterFill } from './orders.ts';

const NO_ORDER_VIEW: Partial<ScopeView> = Object.freeze({});

export interface SidePlan {
  readonly sub: Subaccount;
  readonly isolated: boolean;
  readonly addsRisk: boolean;
  readonly newSize: bigint;
  /** Settlement units moved from the cross balance into the isolated position (≥ 0). */
  readonly isolatedTopUp: bigint;
  /** Why the side may not trade, or undefined if it may. */
  readonly refusal: { code: RejectionCode; message: string } | undefined;
}

/** The part of a resting order a trade executes (docs/orders.md). */
export interface RestingFill {
  readonly orderId: string;
  readonly filled: bigint;
}

/**
 * @param resting the side's own resting order this trade fills: its reservation is released
 *   by the part that fills, and the side may trade when free collateral after the trade is
 *   ≥ 0 or no lower than before it (the fill only used margin the order had reserved).
 */
export function planSide(
  ctx: CommandContext,
  sub: Subaccount,
  market: MarketState,
  qtyDelta: bigint,
  value: bigint,
  fee: bigint,
  failCode: RejectionCode = 'INSUFFICIENT_MARGIN',
  resting?: RestingFill,
): SidePlan {
  const state = ctx.state;
  const id = market.config.id;
  const current = sub.positions.get(id);
  const size = current?.size ?? 0n;
  const isolated = current?.isolated ?? sub.isolatedMarkets.has(id);
  const r = applyTrade(size, current?.entryValue ?? 0n, qtyDelta, value);
  const absBefore = size < 0n ? -size : size;
  const absAfter = r.size < 0n ? -r.size : r.size;
  const flips = size !== 0n && r.size !== 0n && size > 0n !== r.size > 0n;
  const addsRisk = absAfter > absBefore || flips;
  const next: PositionLite = { market: id, size: r.size, entryValue: r.entryValue };
  let isolatedTopUp = 0n;
  let refusal: SidePlan['refusal'];
  // Orders as they rest after the trade (only when this side has orders: otherwise the figures
  // are exactly those of a subaccount without any).
  const orderView: Partial<ScopeView> = resting
    ? { orders: ordersAfterFill(state, sub.key, resting.orderId, resting.filled) }
    : NO_ORDER_VIEW;

  if (absAfter > market.config.maxPositionSize && addsRisk) {
    return {
      sub,
      isolated,
      addsRisk,
      newSize: r.size,
      isolatedTopUp,
      refusal: {
        code: 'POSITION_TOO_LARGE',
        message: `position ${fmt.qty(r.size)} would exceed the market's maximum size ${fmt.qty(market.config.maxPositionSize)}`,
      },
    };
  }

  if (isolated) {
    if (addsRisk && r.size !== 0n) {
      const iso = withPosition(isolatedView(state, sub, id), next, r.realized);
      const f = ctx.figures(iso);
      isolatedTopUp = max(0n, -f.freeCollateralQuote);
      const cross = ctx.figures({
        ...crossView(sub, -fee - isolatedTopUp),
        ...orderView,
        // this market's orders are reserved against the position the trade leaves
        orderPositionSizes: new Map([[id, r.size]]),
      });
      const balance = sub.balances.get(state.settlement.id) ?? 0n;
      const short =
        cross.freeCollateralQuote < 0n &&
        !(resting && cross.freeCollateralQuote >= ctx.crossFigures(sub).freeCollateralQuote);
      if (short || balance < isolatedTopUp + fee) {
        refusal = {
          code: failCode,
          message: `isolated position needs ${fmt.quote(state, isolatedTopUp)} more margin than the subaccount can spare`,
        };
      }
    }
  } else if (addsRisk) {
    // Only this market changes (its position, and the resting order the trade fills here).
    const marketOrders = resting ? orderView.orders!.filter((o) => o.market === id) : undefined;
    const f = ctx.crossChange(sub, id, next, marketOrders, r.realized - fee);
    if (
      f.freeCollateralQuote < 0n &&
      !(resting && f.freeCollateralQuote >= ctx.crossFigures(sub).freeCollateralQuote)
    ) {
      refusal = {
        code: failCode,
        message: `free collateral after the trade would be ${fmt.quote(state, f.freeCollateralQuote)}`,
      };
    }
  }
  return { sub, isolated, addsRisk, newSize: r.size, isolatedTopUp, refusal };
}

export function tradeValue(
  ctx: CommandContext,
  sizeQty9: bigint,
  pricePx8: bigint,
  market: ContractTerms,
): bigint {
  return signedValue(market, sizeQty9, pricePx8, ctx.state.settlement.decimals, 'halfEven');
}

/** Fees and isolated top-ups after a trade (the position exists by then). */
export function emitSideCashflows(ctx: CommandContext, plan: SidePlan, market: string, fee: bigint): void {
  const asset = ctx.state.settlement.id;
  const bal = { kind: 'balance', sub: plan.sub.key } as const;
  if (fee > 0n)
    ctx.emit(
      { type: 'moved', from: bal, to: { kind: 'fees' }, asset, amount: fee, reason: 'trading_fee' },
      feeMovedJson(plan.sub.key, asset, fee, 'trading_fee'),
    );
  if (plan.isolatedTopUp > 0n && plan.newSize !== 0n) {
    ctx.emit({
      type: 'moved',
      from: bal,
      to: { kind: 'isolated', sub: plan.sub.key, market },
      asset,
      amount: plan.isolatedTopUp,
      reason: 'isolated_margin',
    });
  }
}
