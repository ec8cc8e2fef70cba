/**
 * One liquidation step for one margin scope (a subaccount's cross scope or one
 * isolated position).
 *
 * Solvent scope (net value ≥ 0): PARTIAL by default. Take the position with the
 * largest maintenance requirement and close the least size (a multiple of the
 * market step) that brings the scope back to the policy target — equity ≥
 * MM × (1 + buffer), or equity ≥ IM — closing in full when the rest would be dust
 * or the target is out of reach. The liquidator takes the size at the oracle price
 * minus a discount (its reward) and the insurance fund charges a fee; together
 * they are the penalty, which grows from minPenalty to maxPenalty as equity falls
 * from MM to 0, never exceeds a share (default half) of the maintenance margin the
 * step releases (so a step always leaves the scope healthier) and never exceeds the scope's net value
 * (so the fill never goes past the bankruptcy price).
 *
 * Bankrupt scope (net value < 0): the waterfall. Non-settlement collateral is
 * seized into the insurance fund; the insurance fund covers what it can; the rest
 * of the deficit is absorbed by closing the largest position at its bankruptcy
 * price against the ADL queue (opposing profitable positions); what ADL cannot
 * absorb is written off to the socialized-loss ledger. Every step is an event.
 */
import {
  evaluate,
  isLiquidatable,
  type PositionFigures,
  type Scope,
  type ScopeFigures,
  type ScopeView,
  scopeName,
  viewOf,
} from '../account/figures.ts';
import { applyTrade, positionValue, valueDivisor } from '../account/position.ts';
import type { Command } from '../engine/commands.ts';
import type { CommandContext } from '../engine/context.ts';
import { reject } from '../engine/errors.ts';
import type { Ledger } from '../engine/events.ts';
import * as fmt from '../engine/message-units.ts';
import { emitSideCashflows, planSide, withPosition } from '../engine/trade-plan.ts';
import { type EngineState, inSafeMode, type MarketState, type Position, type Subaccount } from '../model/state.ts';
import { clamp, divRound, max, min, mulDiv, PPM, parseDecimalUnsafe, roundToStep } from '../num/index.ts';
import { adlQueue } from './adl.ts';
import { dydxBankruptcyQuote, dydxFillablePx8, dydxInsuranceDelta } from './fill-price.ts';
import { liquidateLending } from './lending.ts';

type LiquidateCmd = Extract<Command, { type: 'liquidate' }>;

export function liquidate(ctx: CommandContext, c: LiquidateCmd): void {
  const state = ctx.state;
  ctx.checkTime(c.timeMs);
  const sub = ctx.subaccount(c.subaccount);
  const scope: Scope = c.isolatedMarket ? { kind: 'isolated', market: c.isolatedMarket } : { kind: 'cross' };
  if (scope.kind === 'isolated') {
    ctx.market(scope.market);
    if (!sub.positions.get(scope.market)?.isolated)
      reject('NOT_LIQUIDATABLE', `no isolated position in ${scope.market}`);
  }
  const view = viewOf(state, sub, scope);
  const before = ctx.figures(view);
  if (!isLiquidatable(before)) {
    reject(
      'NOT_LIQUIDATABLE',
      `equity ${fmt.quote(state, before.equityQuote)} ≥ maintenance ${fmt.quote(state, before.maintenanceMarginQuote)}`,
    );
  }
  for (const p of view.positions) {
    const m = state.markets.get(p.market)!;
    if (m.liquidationsPaused) reject('LIQUIDATIONS_PAUSED', `liquidations paused in ${p.market}`);
    if (inSafeMode(m))
      reject(
        'LIQUIDATIONS_PAUSED',
        `${p.market} is in oracle safe mode: liquidations wait for a sound price`,
      );
  }
  const liqRef = c.liquidator ?? state.config.backstop;
  if (!liqRef) reject('NO_LIQUIDATOR', 'no liquidator named and no backstop configured');
  const liquidator = ctx.subaccount(liqRef);
  if (liquidator.key === sub.key) reject('SAME_SUBACCOUNT', 'an account cannot liquidate itself');
  const timeMs = Math.max(c.timeMs ?? 0, state.timeMs);

  if (c.fillPrice !== undefined && state.policy.penalty.kind !== 'dydx_fillable')
    reject('MALFORMED_COMMAND', "fillPrice is for the liquidation policy penalty 'dydx_fillable' only");
  if (state.policy.lending && scope.kind === 'cross' && before.positions.length === 0) {
    // Aave v3: repay debt for collateral plus a bonus; with no collateral left, the waterfall below.
    if (liquidateLending(ctx, sub, before, liquidator, c.collateralAsset)) return;
  }
  if (c.collateralAsset !== undefined)
    reject('MALFORMED_COMMAND', 'collateralAsset is for lending liquidations (policy.lending) only');
  if (before.netValueQuote >= 0n && before.positions.length === 0) {
    // Only collateral and a debt, still covered at full value: nothing a perp liquidation can close.
    reject('NOT_LIQUIDATABLE', 'no positions to liquidate; the debt is covered by collateral at full value');
  }
  if (state.policy.penalty.kind === 'dydx_fillable' && before.positions.length > 0) {
    // dYdX v4: close at the fillable price; the waterfall only when the fund cannot pay a bankrupt close.
    if (dydxStep(ctx, sub, scope, view, before, liquidator, timeMs, c.fillPrice)) return;
  }
  const share = state.policy.backstopBelowMaintenanceShare;
  if (before.netValueQuote < 0n) bankrupt(ctx, sub, scope, before, liquidator, timeMs);
  else if (share !== undefined && before.equityQuote * PPM < before.maintenanceMarginQuote * share) {
    backstopTakeover(ctx, sub, scope, before, liquidator, timeMs);
  } else partial(ctx, sub, scope, view, before, liquidator, timeMs);
}

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

function partial(
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

/**
 * The position a partial step reduces. Per-position margin: the one carrying the most
 * maintenance requirement. Portfolio margin (one requirement for the book, where closing a
 * hedge can raise it): greedy by marginal requirement — the position whose full close releases
 * the most maintenance margin per unit of notional (the penalty, the step's cost, is
 * proportional to notional); positions whose close releases nothing are not candidates.
 */
function pickTarget(state: EngineState, view: ScopeView, before: ScopeFigures): PositionFigures {
  const target = largestMaintenance(before);
  if (view.scope.kind !== 'cross' || !view.sub.portfolioMargin || !state.portfolio) return target;
  const mm = before.maintenanceMarginQuote;
  let best: { p: PositionFigures; released: bigint; notional: bigint } | undefined;
  for (const p of before.positions) {
    if (p.notionalQuote === 0n) continue;
    const without = withPosition(view, { market: p.market, size: 0n, entryValue: 0n }, 0n);
    const released = mm - evaluate(state, without).maintenanceMarginQuote;
    if (released <= 0n) continue;
    // released / notional > best.released / best.notional, compared exactly
    if (!best || released * best.notional > best.released * p.notionalQuote)
      best = { p, released, notional: p.notionalQuote };
  }
  return best?.p ?? target;
}

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
function dydxStep(
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
  });
  return true;
}

/** The position carrying the most maintenance requirement (the first of equals). */
function largestMaintenance(f: ScopeFigures): PositionFigures {
  let target = f.positions[0]!;
  for (const p of f.positions) if (p.maintenanceQuote > target.maintenanceQuote) target = p;
  return target;
}

interface Step {
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
}

/**
 * Checks the liquidator can take the position, then records one liquidation step: started, the
 * insurance fund's part (settled before the fill, as the waterfall's cover — the closing fill
 * may release an isolated margin to the balance), the trade, the liquidator's cash flows, and
 * completed with the health after.
 */
function executeStep(ctx: CommandContext, st: Step): void {
  const state = ctx.state;
  const { sub, scope, before, market, side, qty, value, insuranceDelta: delta } = st;
  const plan = planSide(
    ctx,
    st.liquidator,
    market,
    side * qty,
    side * value,
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
    closedNotionalQuote: positionValue(qty, st.mark, state.settlement.decimals, 'ceil'),
    liquidatorRewardQuote: st.reward,
    insuranceFeeQuote: delta > 0n ? delta : 0n,
    healthBeforeQuote: before.healthQuote,
    healthAfterQuote: after.healthQuote,
  });
}

function closed(
  target: { market: string; size: bigint; entryValue: bigint },
  qty: bigint,
  signedValue: bigint,
) {
  const r = applyTrade(target.size, target.entryValue, target.size > 0n ? -qty : qty, -signedValue);
  return { market: target.market, size: r.size, entryValue: r.entryValue };
}

/** Trims a partial step to the per-window caps; rejects when a cap is already used up. */
function applyWindowCaps(
  ctx: CommandContext,
  subKey: string,
  market: MarketState,
  mark: bigint,
  qty: bigint,
  timeMs: number,
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
      room <= 0n
        ? 0n
        : roundToStep(divRound(room * valueDivisor(qd), mark, 'floor'), market.config.stepSize, 'floor');
    if (roomQty <= 0n)
      reject('LIQUIDATION_CAP_REACHED', `liquidation cap for ${key} is used up in this window`);
    qty = min(qty, roomQty);
  }
  return qty;
}

function scopeLedger(sub: Subaccount, scope: Scope): Ledger {
  return scope.kind === 'cross'
    ? { kind: 'balance', sub: sub.key }
    : { kind: 'isolated', sub: sub.key, market: scope.market };
}

/** The liquidatee (side = sign of its position) closes `qty` to `counterparty` for `value` quote. */
function emitTrade(
  ctx: CommandContext,
  market: MarketState,
  liquidatee: string,
  counterparty: string,
  side: bigint,
  qty: bigint,
  value: bigint,
  reason: 'liquidation' | 'backstop' | 'adl',
): void {
  if (qty === 0n) return;
  const pricePx8 = divRound(value * valueDivisor(ctx.state.settlement.decimals), qty, 'halfEven');
  ctx.emit({
    type: 'traded',
    market: market.config.id,
    buyer: side > 0n ? counterparty : liquidatee,
    seller: side > 0n ? liquidatee : counterparty,
    sizeQty9: qty,
    pricePx8,
    valueQuote: value,
    reason,
  });
}

interface PlannedClose {
  readonly market: MarketState;
  readonly position: Position;
  readonly side: bigint;
  readonly absSize: bigint;
  /** Closes to ADL counterparties at the bankruptcy value, then the rest to the backstop at the mark. */
  readonly adl: { counterparty: string; qty: bigint; value: bigint; score: bigint }[];
  readonly backstopQty: bigint;
  readonly backstopValue: bigint;
}

function bankrupt(
  ctx: CommandContext,
  sub: Subaccount,
  scope: Scope,
  before: ScopeFigures,
  liquidator: Subaccount,
  timeMs: number,
): void {
  const state = ctx.state;
  const qd = state.settlement.decimals;
  const settlement = state.settlement.id;
  const ledger = scopeLedger(sub, scope);
  const name = scopeName(scope);
  ctx.emit({
    type: 'liquidation_started',
    sub: sub.key,
    scope: name,
    mode: 'bankrupt',
    equityQuote: before.equityQuote,
    maintenanceQuote: before.maintenanceMarginQuote,
  });

  // 1. Seize non-settlement collateral into the insurance fund (its value reduces the fund's loss).
  if (scope.kind === 'cross') {
    for (const [asset, bal] of [...sub.balances]) {
      if (asset !== settlement && bal > 0n) {
        ctx.emit({
          type: 'moved',
          from: ledger,
          to: { kind: 'insurance' },
          asset,
          amount: bal,
          reason: 'collateral_seized',
        });
      }
    }
  }
  // 2. Cash deficit if every position closed at the mark.
  const cashView = viewOf(state, sub, scope);
  const cash = evaluate(state, cashView).netValueQuote;
  const deficit = max(0n, -cash);
  // 3. Insurance fund covers what it can.
  const cover = min(deficit, max(0n, state.insurance.get(settlement) ?? 0n));
  if (cover > 0n)
    ctx.emit({
      type: 'moved',
      from: { kind: 'insurance' },
      to: ledger,
      asset: settlement,
      amount: cover,
      reason: 'insurance_cover',
    });
  let uncovered = deficit - cover;

  // 4. Plan the closes: the largest position absorbs the uncovered deficit at its bankruptcy value via ADL.
  const positions = [...cashView.positions].map(
    (p) => state.subaccounts.get(sub.key)!.positions.get(p.market)!,
  );
  positions.sort((a, b) => {
    const na = a.size < 0n ? -a.size : a.size;
    const nb = b.size < 0n ? -b.size : b.size;
    const va = positionValue(na, state.markets.get(a.market)!.markPx8!, qd, 'floor');
    const vb = positionValue(nb, state.markets.get(b.market)!.markPx8!, qd, 'floor');
    return va === vb ? (a.market < b.market ? -1 : 1) : va > vb ? -1 : 1;
  });
  const plans: PlannedClose[] = [];
  for (const p of positions) {
    const market = state.markets.get(p.market)!;
    const side = p.size > 0n ? 1n : -1n;
    const absSize = side * p.size;
    const atMark = positionValue(absSize, market.markPx8!, qd, 'halfEven');
    const adl: PlannedClose['adl'] = [];
    let rest = absSize;
    let restValue = atMark;
    if (uncovered > 0n) {
      // Bankruptcy value: a long sells for more, a short buys back for less, by the deficit.
      const bkrValue = side > 0n ? atMark + uncovered : max(0n, atMark - uncovered);
      let valueLeft = bkrValue;
      for (const cand of adlQueue(state, market, side as 1n | -1n, sub.key, state.policy.adlRanking)) {
        if (rest === 0n) break;
        const q = min(rest, cand.available);
        const v = q === rest ? valueLeft : mulDiv(bkrValue, q, absSize, 'halfEven');
        adl.push({ counterparty: cand.sub, qty: q, value: v, score: cand.score });
        rest -= q;
        valueLeft -= v;
      }
      const absorbed = absSize - rest;
      uncovered = absorbed === absSize ? 0n : uncovered - mulDiv(uncovered, absorbed, absSize, 'floor');
      restValue = rest === absSize ? atMark : mulDiv(atMark, rest, absSize, 'halfEven');
    }
    plans.push({ market, position: p, side, absSize, adl, backstopQty: rest, backstopValue: restValue });
  }

  // 5. Whatever the closes leave negative is socialized (recorded before the closes so the scope never goes below 0).
  // Re-read the scope: the insurance cover above changed it (an isolated view is a copy).
  let finalCash = evaluate(state, { ...viewOf(state, sub, scope), positions: [] }).netValueQuote;
  for (const plan of plans) {
    let size = plan.side * plan.absSize;
    let entry = plan.position.entryValue;
    const legs = [
      ...plan.adl.map((a) => [a.qty, a.value] as const),
      [plan.backstopQty, plan.backstopValue] as const,
    ];
    for (const [q, v] of legs) {
      if (q === 0n) continue;
      const r = applyTrade(size, entry, -plan.side * q, -plan.side * v);
      size = r.size;
      entry = r.entryValue;
      finalCash += r.realized;
    }
  }
  const payers = plans[0] ? socializationPayers(ctx, plans[0], sub.key) : undefined;
  if (finalCash < 0n && state.policy.socializeVia === 'funding_index' && payers) {
    // Drift v2: the open positions of the bankrupt position's market pay, pro rata to size —
    // the opposite side, or (socializeSides 'both') every other position, long and short.
    ctx.emit({
      type: 'loss_socialized',
      market: plans[0]!.market.config.id,
      side: payers,
      to: ledger,
      amount: -finalCash,
      ...(payers === 'both' ? { exclude: sub.key } : {}),
    });
  } else if (finalCash < 0n) {
    ctx.emit({
      type: 'moved',
      from: { kind: 'socialized' },
      to: ledger,
      asset: settlement,
      amount: -finalCash,
      reason: 'socialized_loss',
    });
  }

  // 6. Execute.
  for (const plan of plans) {
    for (const a of plan.adl) {
      ctx.emit({
        type: 'adl_ranked',
        market: plan.market.config.id,
        bankrupt: sub.key,
        counterparty: a.counterparty,
        score: a.score,
      });
      emitTrade(ctx, plan.market, sub.key, a.counterparty, plan.side, a.qty, a.value, 'adl');
    }
    emitTrade(
      ctx,
      plan.market,
      sub.key,
      liquidator.key,
      plan.side,
      plan.backstopQty,
      plan.backstopValue,
      'backstop',
    );
    const absSize = plan.absSize;
    ctx.emit({
      type: 'liquidation_completed',
      sub: sub.key,
      scope: name,
      market: plan.market.config.id,
      mode: 'bankrupt',
      timeMs,
      closedQty9: absSize,
      closedNotionalQuote: positionValue(absSize, plan.market.markPx8!, qd, 'ceil'),
      liquidatorRewardQuote: 0n,
      insuranceFeeQuote: 0n,
      healthBeforeQuote: before.healthQuote,
      healthAfterQuote: evaluate(state, viewOf(state, sub, scope)).healthQuote,
    });
  }
}

/** The side opposite to the planned close, when some other subaccount holds a position on it. */
/** Who pays a socialized loss under the policy, or undefined when nobody can (→ the ledger). */
function socializationPayers(
  ctx: CommandContext,
  plan: PlannedClose,
  bankruptKey: string,
): 'long' | 'short' | 'both' | undefined {
  const id = plan.market.config.id;
  const both = ctx.state.policy.socializeSides === 'both';
  for (const key of plan.market.holders) {
    if (key === bankruptKey) continue;
    const size = ctx.state.subaccounts.get(key)!.positions.get(id)!.size;
    if (both && size !== 0n) return 'both';
    if (plan.side > 0n ? size < 0n : size > 0n) return plan.side > 0n ? 'short' : 'long';
  }
  return undefined;
}

/**
 * Backstop takeover (Hyperliquid's backstop liquidation): the liquidator takes every position
 * of the scope at the mark, and all of the scope's collateral with it — the maintenance margin
 * left is its buffer for taking the positions on. The scope ends with nothing.
 */
function backstopTakeover(
  ctx: CommandContext,
  sub: Subaccount,
  scope: Scope,
  before: ScopeFigures,
  liquidator: Subaccount,
  timeMs: number,
): void {
  const state = ctx.state;
  const qd = state.settlement.decimals;
  const name = scopeName(scope);
  ctx.emit({
    type: 'liquidation_started',
    sub: sub.key,
    scope: name,
    mode: 'backstop',
    equityQuote: before.equityQuote,
    maintenanceQuote: before.maintenanceMarginQuote,
  });
  const ledger = scopeLedger(sub, scope);
  const positions = before.positions.map((p) => ({
    market: state.markets.get(p.market)!,
    size: p.size,
    mark: p.markPx8,
  }));
  // Collateral first (while an isolated position still holds its margin), then the positions at the mark.
  const settlement = state.settlement.id;
  const atMark = positions.map((p) => positionValue(p.size < 0n ? -p.size : p.size, p.mark, qd, 'halfEven'));
  let cash = evaluate(state, { ...viewOf(state, sub, scope), positions: [] }).netValueQuote;
  positions.forEach((p, i) => {
    const pos = sub.positions.get(p.market.config.id)!;
    cash += applyTrade(pos.size, pos.entryValue, -p.size, -(p.size > 0n ? atMark[i]! : -atMark[i]!)).realized;
  });
  if (scope.kind === 'cross') {
    for (const [asset, bal] of [...sub.balances]) {
      if (asset !== settlement && bal > 0n) {
        ctx.emit({
          type: 'moved',
          from: ledger,
          to: { kind: 'balance', sub: liquidator.key },
          asset,
          amount: bal,
          reason: 'backstop_takeover',
        });
      }
    }
  }
  if (cash > 0n) {
    ctx.emit({
      type: 'moved',
      from: ledger,
      to: { kind: 'balance', sub: liquidator.key },
      asset: settlement,
      amount: cash,
      reason: 'backstop_takeover',
    });
  }
  positions.forEach((p, i) => {
    emitTrade(
      ctx,
      p.market,
      sub.key,
      liquidator.key,
      p.size > 0n ? 1n : -1n,
      p.size < 0n ? -p.size : p.size,
      atMark[i]!,
      'backstop',
    );
  });
  const after = evaluate(state, viewOf(state, sub, scope));
  for (const p of positions) {
    ctx.emit({
      type: 'liquidation_completed',
      sub: sub.key,
      scope: name,
      market: p.market.config.id,
      mode: 'backstop',
      timeMs,
      closedQty9: p.size < 0n ? -p.size : p.size,
      closedNotionalQuote: positionValue(p.size < 0n ? -p.size : p.size, p.mark, qd, 'ceil'),
      liquidatorRewardQuote: 0n,
      insuranceFeeQuote: 0n,
      healthBeforeQuote: before.healthQuote,
      healthAfterQuote: after.healthQuote,
    });
  }
}
