/**
 * Recording one liquidation step, shared by every kind of step: the window caps that trim a step,
 * the ledger a scope's money sits in, and the events of a step — started, the insurance fund's
 * part, the trade to the liquidator, the liquidator's cash flows, completed with the health after.
 * The steps (partial, dYdX, waterfall, backstop) decide sizes and prices; this module writes them.
 */
import { type Scope, type ScopeFigures, scopeName, viewOf } from '../../account/figures.ts';
import { buySign, notionalValue, priceOfValue, sizeOfValue } from '../../margin/contract-value.ts';
import type { MarketState, ReadonlyMarketState, Subaccount } from '../../model/state.ts';
import { min, parseDecimalUnsafe } from '../../num/index.ts';
import type { CommandContext } from '../context.ts';
import { reject } from '../errors.ts';
import type { Ledger } from '../events.ts';
import { emitSideCashflows, planSide } from '../trade-plan.ts';

export interface Step {
  readonly sub: Subaccount;
  readonly scope: Scope;
  readonly before: ScopeFigures;
  readonly liquidator: Subaccount;
  readonly market: MarketState;
  /** Side of the liquidated position (1 long, −1 short). */
  readonly side: bigint;
  readonly qty: bigint;
  /** |quote| the liquidatee receives (long) or pays (short) for `qty`. */
  readonly value: bigint;
  readonly mark: bigint;
  /** The scope's only position closed in full. */
  readonly full: boolean;
  readonly timeMs: number;
  /** To the insurance fund from the scope (> 0), or from the fund to the scope (< 0). */
  readonly insuranceDelta: bigint;
  /** The liquidator's price discount, for the record. */
  readonly reward: bigint;
  /** Under a time-ramped penalty: when the scope entered liquidation, if it is still in it after the step. */
  readonly liquidationStartMs?: number;
  /** Under an insurance-loss cap: the fund's cover paid in this step (recorded against the window). */
  readonly insuranceCoverQuote?: bigint;
}

/**
 * Checks the liquidator can take the position, then records one liquidation step: started, the
 * insurance fund's part (settled before the fill, as the waterfall's cover — the closing fill
 * may release an isolated margin to the balance), the trade, the liquidator's cash flows, and
 * completed with the health after.
 */
export function executeStep(ctx: CommandContext, st: Step): void {
  const state = ctx.state;
  const { sub, scope, before, market, side, qty, value, insuranceDelta: delta } = st;
  const plan = planSide(
    ctx,
    st.liquidator,
    market,
    side * qty,
    side * buySign(market.config) * value,
    0n,
    'LIQUIDATOR_INSUFFICIENT_MARGIN',
  );
  if (plan.refusal) reject(plan.refusal.code, plan.refusal.message);
  const mode = st.full ? 'full' : 'partial';
  const name = scopeName(scope);
  const ledger = scopeLedger(sub, scope);
  ctx.emit({
    type: 'liquidation_started',
    sub: sub.key,
    scope: name,
    mode,
    equityQuote: before.equityQuote,
    maintenanceQuote: before.maintenanceMarginQuote,
  });
  if (delta !== 0n) {
    ctx.emit({
      type: 'moved',
      from: delta > 0n ? ledger : { kind: 'insurance' },
      to: delta > 0n ? { kind: 'insurance' } : ledger,
      asset: state.settlement.id,
      amount: delta > 0n ? delta : -delta,
      reason: delta > 0n ? 'liquidation_fee' : 'insurance_cover',
    });
  }
  emitTrade(ctx, market, sub.key, st.liquidator.key, side, qty, value, 'liquidation');
  emitSideCashflows(ctx, plan, market.config.id, 0n);
  const after = ctx.figures(viewOf(state, sub, scope));
  ctx.emit({
    type: 'liquidation_completed',
    sub: sub.key,
    scope: name,
    market: market.config.id,
    mode,
    timeMs: st.timeMs,
    closedQty9: qty,
    closedNotionalQuote: notionalValue(market.config, qty, st.mark, state.settlement.decimals, 'ceil'),
    liquidatorRewardQuote: st.reward,
    insuranceFeeQuote: delta > 0n ? delta : 0n,
    healthBeforeQuote: before.healthQuote,
    healthAfterQuote: after.healthQuote,
    ...(st.liquidationStartMs !== undefined ? { liquidationStartMs: st.liquidationStartMs } : {}),
    ...(st.insuranceCoverQuote !== undefined ? { insuranceCoverQuote: st.insuranceCoverQuote } : {}),
  });
}

/** Trims a partial step to the per-window caps; rejects when a cap is already used up. */
export function applyWindowCaps(
  ctx: CommandContext,
  subKey: string,
  market: MarketState,
  mark: bigint,
  qty: bigint,
  timeMs: number,
  /** Return 0 instead of refusing when a cap is used up (the further closes of a whole-scope step). */
  softly = false,
): bigint {
  const p = ctx.state.policy;
  const qd = ctx.state.settlement.decimals;
  const caps: [Map<string, { startMs: number; notionalQuote: bigint }>, string, string | undefined][] = [
    [ctx.state.accountWindows, subKey, p.maxAccountNotionalPerWindow],
    [ctx.state.marketWindows, market.config.id, p.maxMarketNotionalPerWindow],
  ];
  for (const [windows, key, capText] of caps) {
    if (capText === undefined) continue;
    const cap = parseDecimalUnsafe(capText, qd);
    const w = windows.get(key);
    const used = w && timeMs < w.startMs + p.windowMs ? w.notionalQuote : 0n;
    const room = cap - used;
    const roomQty =
      room <= 0n ? 0n : sizeOfValue(market.config, room, mark, qd, market.config.stepSize, 'floor');
    if (roomQty <= 0n) {
      if (softly) return 0n;
      reject('LIQUIDATION_CAP_REACHED', `liquidation cap for ${key} is used up in this window`);
    }
    qty = min(qty, roomQty);
  }
  return qty;
}

/**
 * What the insurance fund may still pay to `subKey` in the current window under the policy's
 * `maxInsuranceLossPerWindow` (dYdX's per-block limit); undefined without the cap.
 */
export function insuranceLossRoom(ctx: CommandContext, subKey: string, timeMs: number): bigint | undefined {
  const p = ctx.state.policy;
  if (p.maxInsuranceLossPerWindow === undefined) return undefined;
  const cap = parseDecimalUnsafe(p.maxInsuranceLossPerWindow, ctx.state.settlement.decimals);
  const w = ctx.state.insuranceLossWindows?.get(subKey);
  const used = w && timeMs < w.startMs + p.windowMs ? w.notionalQuote : 0n;
  return cap > used ? cap - used : 0n;
}

export function scopeLedger(sub: Subaccount, scope: Scope): Ledger {
  return scope.kind === 'cross'
    ? { kind: 'balance', sub: sub.key }
    : { kind: 'isolated', sub: sub.key, market: scope.market };
}

/**
 * The liquidatee (side = sign of its position) closes `qty` to `counterparty` for `value`
 * settlement units (a magnitude; the buyer's signed value is buySign × value).
 */
export function emitTrade(
  ctx: CommandContext,
  market: ReadonlyMarketState,
  liquidatee: string,
  counterparty: string,
  side: bigint,
  qty: bigint,
  value: bigint,
  reason: 'liquidation' | 'backstop' | 'adl',
): void {
  if (qty === 0n) return;
  const pricePx8 = priceOfValue(market.config, qty, value, ctx.state.settlement.decimals, 'halfEven');
  ctx.emit({
    type: 'traded',
    market: market.config.id,
    buyer: side > 0n ? counterparty : liquidatee,
    seller: side > 0n ? liquidatee : counterparty,
    sizeQty9: qty,
    pricePx8,
    valueQuote: buySign(market.config) * value,
    reason,
  });
}
