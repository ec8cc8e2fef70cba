/**
 * Command handlers (all but liquidation, see ../liquidation/). Each validates
 * first and emits after, so a rejection leaves the state untouched.
 */
import { crossView, isolatedView } from '../account/figures.ts';
import { lazyFunding, pendingFundingQuote, sideIndex } from '../account/lazy-funding.ts';
import { fundingIndexDelta18 } from '../margin/contract-value.ts';
import { createMarginModel } from '../margin/models.ts';
import { expiryPayoffPx8, optionGuardScalePx8, optionPriceBoundPx8 } from '../margin/option-margin.ts';
import { marketIssue } from '../model/config.ts';
import { marginArithmeticIssue } from '../model/drift-grid.ts';
import type { SubaccountRef } from '../model/engine-config.ts';
import { enginePortfolioIssue } from '../model/engine-config.ts';
import { inSafeMode, type MarketState, subaccountKey } from '../model/state.ts';
import { abs, clamp, divRound, mulDiv, PPM, parseDecimal, RATE_ONE } from '../num/index.ts';
import { step as oracleStep, oracleTwapPx8 } from '../oracle/oracle.ts';
import { increasesRisk } from '../oracle/safe-mode.ts';
import type { Command } from './commands.ts';
import type { CommandContext } from './context.ts';
import { reject } from './errors.ts';
import { tradedJson } from './event-json.ts';
import type { Ledger, MoveReason } from './events.ts';
import { inverseMarketIssue, inversePolicyIssue } from './inverse-checks.ts';
import { checkOpen, checkSizeAndTick } from './market-checks.ts';
import * as fmt from './message-units.ts';
import { cancelMarketOrders, restingOrderForFill } from './orders.ts';
import {
  commandNow,
  exposedMarkets,
  refuseAtAdversePrices,
  refuseWhileCrossUnsafe,
  refuseWhileUnsafe,
} from './price-trust.ts';
import { emitSideCashflows, planSide, tradeValue } from './trade-plan.ts';

type Cmd<T extends Command['type']> = Extract<Command, { type: T }>;

export function deposit(ctx: CommandContext, c: Cmd<'deposit'>): void {
  const asset = ctx.asset(c.asset);
  const amount = ctx.positiveAmount(c.amount, asset);
  ctx.checkTime(c.timeMs);
  const key = subaccountKey(c.to);
  if (!ctx.state.subaccounts.has(key)) ctx.emit({ type: 'subaccount_opened', ref: c.to });
  ctx.emit({
    type: 'moved',
    from: { kind: 'external' },
    to: { kind: 'balance', sub: key },
    asset: asset.id,
    amount,
    reason: 'deposit',
  });
}

/**
 * Refuses taking `amount` of `assetId` out of a subaccount if it would overdraw or leave free
 * collateral < 0, at the marks and at the credible prices least favourable to it (price-trust.ts).
 */
function checkCanRemove(
  ctx: CommandContext,
  subKey: string,
  assetId: string,
  amount: bigint,
  nowMs: number,
): void {
  const s = ctx.state.subaccounts.get(subKey)!;
  const balance = s.balances.get(assetId) ?? 0n;
  if (balance < amount)
    reject(
      'INSUFFICIENT_BALANCE',
      `balance ${fmt.amountOf(ctx.state, assetId, balance)} < ${fmt.amountOf(ctx.state, assetId, amount)}`,
      { asset: assetId },
    );
  const balances = new Map(s.balances);
  balances.set(assetId, balance - amount);
  const after = { ...crossView(s), balances };
  const f = ctx.figures(after);
  if (f.freeCollateralQuote < 0n) {
    reject(
      'INSUFFICIENT_MARGIN',
      `free collateral after removing ${fmt.amountOf(ctx.state, assetId, amount)} would be ${fmt.quote(ctx.state, f.freeCollateralQuote)}`,
    );
  }
  refuseAtAdversePrices(ctx, after, nowMs, `removing ${fmt.amountOf(ctx.state, assetId, amount)}`);
}

/** Moves a positive amount out of a subaccount's balance, refusing overdrafts and margin breaches. */
function moveOut(
  ctx: CommandContext,
  c: { asset: string; amount: string; timeMs?: number | undefined },
  fromRef: SubaccountRef,
  to: (fromKey: string) => Ledger,
  reason: MoveReason,
  beforeEmit?: () => void,
): void {
  const asset = ctx.asset(c.asset);
  const amount = ctx.positiveAmount(c.amount, asset);
  ctx.checkTime(c.timeMs);
  const from = ctx.subaccount(fromRef);
  const target = to(from.key);
  const now = commandNow(ctx.state, c.timeMs);
  refuseWhileUnsafe(ctx, exposedMarkets(ctx.state, crossView(from)), now, reason, from.key);
  checkCanRemove(ctx, from.key, asset.id, amount, now);
  beforeEmit?.();
  ctx.emit({
    type: 'moved',
    from: { kind: 'balance', sub: from.key },
    to: target,
    asset: asset.id,
    amount,
    reason,
  });
}

export function withdraw(ctx: CommandContext, c: Cmd<'withdraw'>): void {
  moveOut(ctx, c, c.from, () => ({ kind: 'external' }), 'withdrawal');
}

export function fundInsurance(ctx: CommandContext, c: Cmd<'fund_insurance'>): void {
  moveOut(ctx, c, c.from, () => ({ kind: 'insurance' }), 'insurance_funding');
}

export function transfer(ctx: CommandContext, c: Cmd<'transfer'>): void {
  const toKey = subaccountKey(c.to);
  const opens = !ctx.state.subaccounts.has(toKey);
  const target = (fromKey: string): Ledger => {
    if (toKey === fromKey) reject('SAME_SUBACCOUNT', 'transfer to the same subaccount');
    // A new subaccount of the same account is opened on first transfer; other accounts must exist.
    if (opens && c.to.account !== c.from.account) ctx.subaccount(c.to);
    return { kind: 'balance', sub: toKey };
  };
  moveOut(ctx, c, c.from, target, 'transfer', () => {
    if (opens) ctx.emit({ type: 'subaccount_opened', ref: c.to });
  });
}

export function setMarginMode(ctx: CommandContext, c: Cmd<'set_margin_mode'>): void {
  const s = ctx.subaccount(c.subaccount);
  ctx.market(c.market);
  if (s.positions.has(c.market))
    reject('MODE_CHANGE_WITH_POSITION', `close the ${c.market} position before changing its margin mode`);
  ctx.emit({ type: 'margin_mode_set', sub: s.key, market: c.market, isolated: c.mode === 'isolated' });
}

export function setLeverage(ctx: CommandContext, c: Cmd<'set_leverage'>): void {
  const s = ctx.subaccount(c.subaccount);
  ctx.market(c.market);
  ctx.emit({ type: 'leverage_set', sub: s.key, market: c.market, maxLeverage: c.maxLeverage });
}

/**
 * Portfolio margin on or off for a subaccount's cross scope. The switch may not leave the
 * scope short of initial margin unless it lowers the requirement (switching to the model
 * that asks less is always allowed).
 */
export function setPortfolioMargin(ctx: CommandContext, c: Cmd<'set_portfolio_margin'>): void {
  if (!ctx.state.portfolio) reject('INVALID_CONFIG', 'this engine offers no portfolio margin');
  const s = ctx.subaccount(c.subaccount);
  if (s.portfolioMargin === c.enabled) return;
  const before = ctx.figures(crossView(s));
  const after = ctx.figures(crossView({ ...s, portfolioMargin: c.enabled }));
  if (after.freeCollateralQuote < 0n && after.initialMarginQuote > before.initialMarginQuote)
    reject(
      'INSUFFICIENT_MARGIN',
      `${s.key}: free collateral would be ${fmt.quote(ctx.state, after.freeCollateralQuote)} under the ${c.enabled ? 'portfolio' : 'standard'} model`,
    );
  ctx.emit({ type: 'portfolio_margin_set', sub: s.key, enabled: c.enabled });
}

export function adjustIsolatedMargin(ctx: CommandContext, c: Cmd<'adjust_isolated_margin'>): void {
  const s = ctx.subaccount(c.subaccount);
  ctx.market(c.market);
  ctx.checkTime(c.timeMs);
  const settlement = ctx.state.settlement;
  const r = parseDecimal(c.amount, settlement.decimals);
  if (!r.ok) reject('INVALID_AMOUNT', `amount ${JSON.stringify(c.amount)}: ${r.issue.reason}`);
  if (r.value === 0n || abs(r.value) >= 10n ** 38n)
    reject('INVALID_AMOUNT', `amount must be non-zero and sane, got ${c.amount}`);
  const p = s.positions.get(c.market);
  if (!p?.isolated) reject('UNKNOWN_MARKET', `no isolated position in ${c.market}`);
  const iso = { kind: 'isolated', sub: s.key, market: c.market } as const;
  const bal = { kind: 'balance', sub: s.key } as const;
  const out = r.value > 0n ? crossView(s) : isolatedView(ctx.state, s, c.market);
  const now = commandNow(ctx.state, c.timeMs);
  refuseWhileUnsafe(
    ctx,
    exposedMarkets(ctx.state, out),
    now,
    'moving margin out',
    `${s.key} ${r.value > 0n ? 'cross' : c.market}`,
  );
  if (r.value > 0n) {
    checkCanRemove(ctx, s.key, settlement.id, r.value, now);
    ctx.emit({
      type: 'moved',
      from: bal,
      to: iso,
      asset: settlement.id,
      amount: r.value,
      reason: 'isolated_margin',
    });
  } else {
    const amount = -r.value;
    if (amount > p.isolatedMargin)
      reject(
        'INSUFFICIENT_BALANCE',
        `isolated margin ${fmt.quote(ctx.state, p.isolatedMargin)} < ${fmt.quote(ctx.state, amount)}`,
      );
    const after = isolatedView(ctx.state, s, c.market, -amount);
    const f = ctx.figures(after);
    if (f.freeCollateralQuote < 0n)
      reject(
        'INSUFFICIENT_MARGIN',
        `isolated free collateral would be ${fmt.quote(ctx.state, f.freeCollateralQuote)}`,
      );
    refuseAtAdversePrices(ctx, after, now, `releasing ${fmt.quote(ctx.state, amount)}`);
    ctx.emit({ type: 'moved', from: iso, to: bal, asset: settlement.id, amount, reason: 'isolated_margin' });
  }
}

export function fill(ctx: CommandContext, c: Cmd<'fill'>): void {
  const market = ctx.market(c.market);
  ctx.checkTime(c.timeMs);
  checkOpen(ctx, c.market, c.timeMs);
  const buyer = ctx.subaccount(c.buyer);
  const seller = ctx.subaccount(c.seller);
  if (buyer.key === seller.key) reject('SAME_SUBACCOUNT', 'buyer and seller are the same subaccount');
  const cfg = market.config;
  checkSizeAndTick(market, c.size, c.price);
  const mark = market.markPx8;
  if (mark === undefined) reject('NO_PRICE', `market ${c.market} has no mark price yet`);
  if (abs(c.price - mark) * PPM > mark * ctx.state.guards.maxFillDeviation) {
    reject('FILL_PRICE_DEVIATION', `fill price ${fmt.px(c.price)} is too far from the mark ${fmt.px(mark)}`);
  }
  // The resting orders this fill executes (docs/orders.md): each side's own reservation is
  // released by the part that fills.
  const buyOrder =
    c.buyOrderId === undefined
      ? undefined
      : restingOrderForFill(ctx, c.buyOrderId, 'buy', buyer, cfg.id, c.size, c.price);
  const sellOrder =
    c.sellOrderId === undefined
      ? undefined
      : restingOrderForFill(ctx, c.sellOrderId, 'sell', seller, cfg.id, c.size, c.price);
  // The buyer's signed trade value (an inverse market's is negative: margin/contract-value.ts);
  // fees are on its size.
  const value = tradeValue(ctx, c.size, c.price, cfg);
  const takerFee = mulDiv(abs(value), cfg.takerFee, PPM, 'ceil');
  const makerFee = mulDiv(abs(value), cfg.makerFee, PPM, 'ceil');
  const buyerFee = c.taker === 'buyer' ? takerFee : makerFee;
  const sellerFee = c.taker === 'seller' ? takerFee : makerFee;
  const plans = [
    planSide(
      ctx,
      buyer,
      market,
      c.size,
      value,
      buyerFee,
      'INSUFFICIENT_MARGIN',
      buyOrder && { orderId: buyOrder.id, filled: c.size },
    ),
    planSide(
      ctx,
      seller,
      market,
      -c.size,
      -value,
      sellerFee,
      'INSUFFICIENT_MARGIN',
      sellOrder && { orderId: sellOrder.id, filled: c.size },
    ),
  ];
  for (const plan of plans) {
    if (plan.refusal) reject(plan.refusal.code, `${plan.sub.key}: ${plan.refusal.message}`);
    if (!increasesRisk(plan.sub.positions.get(cfg.id)?.size ?? 0n, plan.newSize)) continue;
    if (inSafeMode(market)) {
      reject(
        'SAFE_MODE',
        `${cfg.id} is in safe mode: only trades that reduce risk are accepted (${plan.sub.key})`,
      );
    }
    // Risk may not grow in a scope valued at a price nobody can vouch for (price-trust.ts);
    // an isolated position draws on the cross scope only through a top-up.
    const now = commandNow(ctx.state, c.timeMs);
    if (!plan.isolated || plan.isolatedTopUp > 0n)
      refuseWhileCrossUnsafe(ctx, cfg.id, plan.sub, now, 'a risk-increasing fill', plan.sub.key);
    else refuseWhileUnsafe(ctx, [cfg.id], now, 'a risk-increasing fill', plan.sub.key);
  }
  // with its journal text, written from the same values (event-json.ts tradedJson)
  ctx.emit(
    {
      type: 'traded',
      market: cfg.id,
      buyer: buyer.key,
      seller: seller.key,
      sizeQty9: c.size,
      pricePx8: c.price,
      valueQuote: value,
      reason: 'fill',
    },
    tradedJson(cfg.id, buyer.key, seller.key, c.size, c.price, value, 'fill'),
  );
  if (buyOrder) ctx.emit({ type: 'order_filled', orderId: buyOrder.id, sizeQty9: c.size });
  if (sellOrder) ctx.emit({ type: 'order_filled', orderId: sellOrder.id, sizeQty9: c.size });
  emitSideCashflows(ctx, plans[0]!, cfg.id, buyerFee);
  emitSideCashflows(ctx, plans[1]!, cfg.id, sellerFee);
}

export function prices(ctx: CommandContext, c: Cmd<'prices'>): void {
  ctx.checkTime(c.timeMs);
  const maxMove = ctx.state.guards.maxPriceMove;
  const guard = (what: string, prev: bigint | undefined, next: bigint) => {
    if (prev !== undefined && abs(next - prev) * PPM > prev * maxMove) {
      reject(
        'PRICE_MOVE_TOO_LARGE',
        `${what}: ${fmt.px(prev)} → ${fmt.px(next)} moves more than the guard allows`,
      );
    }
  };
  const marks: [string, bigint][] = [];
  for (const [id, px] of Object.entries(c.marks)) {
    const m = ctx.market(id);
    if (m.oracle) reject('MARK_FROM_ORACLE', `${id} takes its mark from its oracle: send an oracle command`);
    if (m.settledPx8 !== undefined) reject('MARKET_EXPIRED', `market ${id} is settled`);
    if (m.config.option) optionMarkGuard(ctx, m, px, c.marks, maxMove);
    else guard(`mark ${id}`, m.markPx8, px);
    marks.push([id, px]);
  }
  const assets: [string, bigint][] = [];
  for (const [id, px] of Object.entries(c.assets)) {
    const a = ctx.asset(id);
    if (a.id === ctx.state.settlement.id)
      reject('INVALID_PRICE', 'the settlement asset is priced at 1 by definition');
    if (a.yieldBearing) reject('INVALID_PRICE', `${id} is yield-bearing: give its exchange rate instead`);
    guard(`asset ${id}`, ctx.state.assetPricesPx8.get(id), px);
    assets.push([id, px]);
  }
  const rates: [string, bigint][] = [];
  for (const [id, rate] of Object.entries(c.exchangeRates)) {
    if (!ctx.asset(id).yieldBearing) reject('INVALID_PRICE', `${id} is not yield-bearing`);
    guard(`exchange rate ${id}`, ctx.state.exchangeRates18.get(id), rate);
    rates.push([id, rate]);
  }
  marks.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  assets.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  rates.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  ctx.emit({ type: 'prices_updated', timeMs: c.timeMs, marks, assets, exchangeRates: rates });
}

/**
 * An option's mark is checked against its underlying (S: its mark in this update, else its
 * current mark): it stays within the no-arbitrage bounds (a call is worth at most S, a put at
 * most K; coin-settled: 1 coin and K/S coin), and it moves by at most the price guard's fraction
 * of S (coin-settled: of 1 coin) — an option's value moves
 * less than its underlying (|delta| ≤ 1) plus what a volatility change adds, so a relative
 * guard on the option's own price would refuse ordinary moves of cheap options.
 */
function optionMarkGuard(
  ctx: CommandContext,
  m: MarketState,
  px: bigint,
  marks: Readonly<Record<string, bigint>>,
  maxMove: bigint,
): void {
  const terms = m.config.option!;
  const S = marks[terms.underlying] ?? ctx.market(terms.underlying).markPx8;
  if (S === undefined)
    reject('NO_PRICE', `option ${m.config.id}: its underlying ${terms.underlying} has no mark yet`);
  const bound = optionPriceBoundPx8(terms, S);
  if (px > bound)
    reject(
      'INVALID_PRICE',
      `option ${m.config.id}: mark ${fmt.px(px)} above its no-arbitrage bound ${fmt.px(bound)}`,
    );
  if (m.markPx8 !== undefined && abs(px - m.markPx8) * PPM > optionGuardScalePx8(terms, S) * maxMove)
    reject(
      'PRICE_MOVE_TOO_LARGE',
      `option ${m.config.id}: ${fmt.px(m.markPx8)} → ${fmt.px(px)} moves more than the guard allows`,
    );
}

/**
 * Funding (Binance's published rule): rate = P + clamp(I − P, −clamp, +clamp), capped
 * at ±cap, where P is the premium index and I the interest rate per interval. Longs
 * pay shorts rate × mark per unit of size. The cumulative index steps by rate × mark.
 */
export function fundingRate9(premium9: bigint, interest9: bigint, clamp9: bigint, cap9: bigint): bigint {
  const rate = premium9 + clamp(interest9 - premium9, -clamp9, clamp9);
  return clamp(rate, -cap9, cap9);
}

export function fundingTick(ctx: CommandContext, c: Cmd<'funding_tick'>): void {
  const market = ctx.market(c.market);
  ctx.checkTime(c.timeMs);
  if (market.config.kind !== 'perpetual') reject('NOT_A_PERPETUAL', `${c.market} has no funding`);
  const mark = market.markPx8;
  if (mark === undefined) reject('NO_PRICE', `market ${c.market} has no mark price yet`);
  const due = market.lastFundingMs + market.config.funding.intervalMs;
  if (market.lastFundingMs > 0 && c.timeMs < due)
    reject('FUNDING_TOO_EARLY', `next funding is due at ${due}`);
  let premium: bigint;
  if (c.premiumIndex !== undefined) premium = c.premiumIndex;
  else if (c.indexPrice !== undefined)
    premium = divRound((mark - c.indexPrice) * RATE_ONE, c.indexPrice, 'halfEven');
  else if (market.oracle) {
    // The oracle's TWAP of the guarded mark against its index (the premium over the interval).
    const index = market.oracle.state.index.pricePx8;
    const twap = oracleTwapPx8(market.oracle.config, market.oracle.state, c.timeMs);
    if (index === null || !market.oracle.state.index.reliable || twap === null) {
      reject('NO_PRICE', `${c.market}: the oracle has no reliable index or TWAP for funding`);
    }
    premium = divRound((twap - index) * RATE_ONE, index, 'halfEven');
  } else
    reject('MALFORMED_COMMAND', 'funding_tick needs premiumIndex or indexPrice (or an oracle on the market)');
  const f = market.config.funding;
  if (abs(premium) > RATE_ONE) reject('INVALID_PRICE', 'premium index beyond ±100% per interval');
  const rate = fundingRate9(premium, f.interestRate, f.clamp, f.cap);
  // Settlement per whole size unit at 1e18: rate × price (linear), rate × cv / price (inverse).
  const indexDelta18 = fundingIndexDelta18(market.config, rate, mark);
  ctx.emit({ type: 'funding_settled', market: c.market, timeMs: c.timeMs, rate9: rate, indexDelta18 });
}

/**
 * Lazy funding: settles the subaccount's unsettled funding (account/lazy-funding.ts), one event
 * per position that has some. Nothing pending is not an error: the command emits nothing.
 */
export function settleFunding(ctx: CommandContext, c: Cmd<'settle_funding'>): void {
  if (!lazyFunding(ctx.state))
    reject('INVALID_CONFIG', 'funding is settled eagerly on this engine (fundingSettlement is not lazy)');
  ctx.checkTime(c.timeMs);
  const s = ctx.subaccount(c.subaccount);
  if (c.market !== undefined) {
    ctx.market(c.market);
    if (!s.positions.has(c.market)) reject('UNKNOWN_MARKET', `${s.key} holds no position in ${c.market}`);
  }
  for (const p of s.positions.values()) {
    if (c.market !== undefined && p.market !== c.market) continue;
    const amount = pendingFundingQuote(ctx.state, ctx.market(p.market), p);
    if (amount !== 0n || p.fundingIndex !== sideIndex(ctx.market(p.market), p.size))
      ctx.emit({ type: 'position_funding_settled', sub: s.key, market: p.market, amountQuote: amount });
  }
}

export function settleExpiry(ctx: CommandContext, c: Cmd<'settle_expiry'>): void {
  const market = ctx.market(c.market);
  ctx.checkTime(c.timeMs);
  const expiry = market.config.expiryMs;
  if (market.config.kind === 'perpetual' || expiry === undefined)
    reject('NOT_A_FUTURE', `${c.market} is not a dated future or an option`);
  if (market.settledPx8 !== undefined) reject('MARKET_EXPIRED', `${c.market} is already settled`);
  if (Math.max(c.timeMs ?? 0, ctx.state.timeMs) < expiry)
    reject('MARKET_NOT_EXPIRED', `${c.market} expires at ${expiry}`);
  // The market's resting orders go with it (they could never fill).
  cancelMarketOrders(ctx, c.market, 'expiry');
  const terms = market.config.option;
  if (terms === undefined) {
    ctx.emit({ type: 'expiry_settled', market: c.market, pricePx8: c.price });
    return;
  }
  // An option settles in cash at its intrinsic value on the underlying's settlement price (a
  // coin-settled one at intrinsic/S in the coin).
  ctx.emit({
    type: 'expiry_settled',
    market: c.market,
    pricePx8: expiryPayoffPx8(terms, c.price),
    underlyingPx8: c.price,
  });
}

export function setMarket(ctx: CommandContext, c: Cmd<'set_market'>): void {
  try {
    createMarginModel(c.config.margin, ctx.state.settlement.decimals);
  } catch (e) {
    reject('INVALID_CONFIG', `margin model: ${(e as Error).message}`);
  }
  const existing = ctx.state.markets.get(c.config.id);
  if (existing && (existing.config.kind !== c.config.kind || existing.config.base !== c.config.base)) {
    reject('INVALID_CONFIG', 'a market keeps its kind and base asset');
  }
  const inverseIssue = inverseMarketIssue(ctx.state, c.config, existing?.config);
  if (inverseIssue) reject('INVALID_CONFIG', inverseIssue);
  // A new option that has already expired could only be settled: refuse it (its time value is 0).
  if (!existing && c.config.kind === 'option' && (c.config.expiryMs ?? 0) <= ctx.state.timeMs)
    reject('INVALID_CONFIG', `option market ${c.config.id} expired at ${c.config.expiryMs}`);
  if (ctx.state.portfolio) {
    const others = [...ctx.state.markets.values()].map((m) => m.config).filter((m) => m.id !== c.config.id);
    const scopeIssue = enginePortfolioIssue(ctx.state.portfolio, ctx.state.settlement.id, [
      ...others,
      c.config,
    ]);
    if (scopeIssue) reject('INVALID_CONFIG', scopeIssue);
  }
  const issue = marketIssue(c.config, (id) =>
    id === c.config.id ? c.config : ctx.state.markets.get(id)?.config,
  );
  if (issue) reject('INVALID_CONFIG', issue);
  const gridIssue = marginArithmeticIssue(
    ctx.state.config.marginArithmetic,
    ctx.state.settlement.decimals,
    [c.config],
    [],
  );
  if (gridIssue) reject('INVALID_CONFIG', gridIssue);
  ctx.emit({ type: 'market_configured', config: c.config });
}

export function setAsset(ctx: CommandContext, c: Cmd<'set_asset'>): void {
  const existing = ctx.state.assets.get(c.config.id);
  if (existing && existing.decimals !== c.config.decimals)
    reject('INVALID_CONFIG', 'an asset keeps its decimals');
  if (c.config.yieldBearing && !ctx.state.assets.has(c.config.yieldBearing.underlying)) {
    reject('UNKNOWN_ASSET', `unknown underlying ${c.config.yieldBearing.underlying}`);
  }
  if (c.config.id === ctx.state.settlement.id && c.config.initWeightScaling !== undefined)
    reject('INVALID_CONFIG', 'the settlement asset counts at face value and cannot scale its init weights');
  const gridIssue = marginArithmeticIssue(
    ctx.state.config.marginArithmetic,
    ctx.state.settlement.decimals,
    [],
    [c.config],
  );
  if (gridIssue) reject('INVALID_CONFIG', gridIssue);
  ctx.emit({ type: 'asset_configured', config: c.config });
}

export function pauseLiquidations(ctx: CommandContext, c: Cmd<'pause_liquidations'>): void {
  ctx.market(c.market);
  ctx.emit({ type: 'market_paused', market: c.market, paused: c.paused });
}

export function forceSafeMode(ctx: CommandContext, c: Cmd<'force_safe_mode'>): void {
  ctx.market(c.market);
  ctx.emit({ type: 'safe_mode_forced', market: c.market, forced: c.forced });
}

export function setPolicy(ctx: CommandContext, c: Cmd<'set_policy'>): void {
  if (c.portfolio === null) {
    for (const s of ctx.state.subaccounts.values())
      if (s.portfolioMargin)
        reject(
          'INVALID_CONFIG',
          `${s.key} is in portfolio margin: switch it off before withdrawing the model`,
        );
  }
  const inverseIssue = c.liquidation ? inversePolicyIssue(ctx.state, c.liquidation) : undefined;
  if (inverseIssue) reject('INVALID_CONFIG', inverseIssue);
  if (c.portfolio) {
    const markets = [...ctx.state.markets.values()].map((m) => m.config);
    const scopeIssue = enginePortfolioIssue(c.portfolio, ctx.state.settlement.id, markets);
    if (scopeIssue) reject('INVALID_CONFIG', scopeIssue);
  }
  ctx.emit({
    type: 'policy_set',
    policy: c.liquidation ?? ctx.state.policy,
    guards: c.guards ?? ctx.state.guards,
  });
  if (c.portfolio !== undefined) ctx.emit({ type: 'portfolio_model_set', portfolio: c.portfolio });
}

/** True while the market's oracle holds it in safe mode (index unreliable, breaker tripped, recovering). */
/**
 * Oracle inputs for one market at timeMs: the pure oracle step runs now to refuse a
 * step that goes back in time; evolve re-runs it from the event (replay is exact).
 * Individual bad inputs are not a rejection: the oracle counts them and applies none.
 */
export function oracle(ctx: CommandContext, c: Cmd<'oracle'>): void {
  const market = ctx.market(c.market);
  if (!market.oracle) reject('NO_ORACLE', `${c.market} has no oracle configured`);
  ctx.checkTime(c.timeMs);
  const r = oracleStep(market.oracle.config, market.oracle.state, { nowMs: c.timeMs, inputs: c.inputs });
  if (r.outputs === null) reject('STALE_TIME', r.rejections[0]?.message ?? 'oracle step refused');
  ctx.emit({ type: 'oracle_stepped', market: c.market, timeMs: c.timeMs, inputs: c.inputs });
  for (const transition of r.outputs.transitions)
    ctx.emit({ type: 'oracle_transition', market: c.market, transition });
}

export function setOracle(ctx: CommandContext, c: Cmd<'set_oracle'>): void {
  ctx.market(c.config.market);
  ctx.emit({ type: 'oracle_configured', config: c.config });
}
