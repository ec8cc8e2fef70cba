/**
 * What-if: a subaccount's figures before and after hypothetical trades, price moves and
 * deposits or withdrawals — what Deribit's `private/simulate_portfolio` (simulated positions)
 * and OKX's position builder (`simPos`, `simAsset`, `idxVol`) answer, on the engine's own
 * exact figures.
 *
 * Pure: it builds a hypothetical copy of the few things that change (the subaccount, the
 * markets it trades or whose marks move, the asset prices) on top of the read-only state, and
 * reports both with `subaccountReport`. The engine state is never touched.
 *
 * Exact: a hypothetical trade does what a `fill` does to this side — the trade value at the
 * price (rounded half-even), the fee (taker by default, rounded up), the realized PnL into the
 * balance (cross) or the isolated margin, the isolated top-up a risk-increasing isolated trade
 * draws from the balance, a closed position's isolated margin released — so the figures after
 * a what-if trade at price P are those after executing the fill at P. Open interest grows as if
 * the other side opened a new position (it only matters to open-interest-scaled margin).
 * What-if does not refuse a trade the engine would refuse for margin (that is the question it
 * answers: free collateral after < 0 shows it); it does refuse what the engine could never
 * execute (an unknown market, a size off the step, a price off the tick or further from the mark
 * than the fill-deviation guard, a withdrawal beyond the balance).
 *
 * Order: deposits/withdrawals first, then the trades in the order given (a trade without a
 * price fills at the market's current mark), then the price moves.
 * Price moves: `marks` sets a market's mark; `shockPct` moves every other non-option mark and
 * every directly priced collateral asset by that percentage (yield-bearing tokens follow their
 * underlying). Option marks move only when given in `marks`: their value is not linear in the
 * underlying, and the engine does not reprice them.
 */

import { evaluate, isolatedView, withPosition } from '../account/figures.ts';
import { applyTrade } from '../account/position.ts';
import { type ScopeReport, type SubaccountReport, subaccountReport } from '../account/report.ts';
import { buySign, notionalValue } from '../margin/contract-value.ts';
import type { SubaccountRef } from '../model/engine-config.ts';
import { InlineMap, InlineMap2 } from '../model/inline-map.ts';
import type {
  Position,
  ReadonlyEngineState,
  ReadonlyMarketState,
  ReadonlySubaccount,
} from '../model/state.ts';
import { subaccountKey } from '../model/state.ts';
import {
  divRound,
  formatDecimal,
  max,
  mulDiv,
  PPM,
  PRICE_DECIMALS,
  parseDecimal,
  QTY_DECIMALS,
} from '../num/index.ts';

/** A hypothetical trade of the subaccount (OKX `simPos`; Deribit `simulated_positions`). */
export interface WhatIfTrade {
  readonly market: string;
  readonly side: 'buy' | 'sell';
  /** Base units, decimal string, > 0, a multiple of the market's step. */
  readonly size: string;
  /** Fill price, decimal string; default: the market's current mark. */
  readonly price?: string;
  /** Which fee the subaccount pays: 'taker' (default) or 'maker'. */
  readonly liquidity?: 'taker' | 'maker';
}

/** A hypothetical deposit (amount > 0) or withdrawal (amount < 0) (OKX `simAsset`). */
export interface WhatIfCashflow {
  readonly asset: string;
  /** Signed decimal string in whole units of the asset. */
  readonly amount: string;
}

export interface WhatIfScenario {
  readonly trades?: readonly WhatIfTrade[];
  readonly deposits?: readonly WhatIfCashflow[];
  /** Marks to set, per market (decimal strings). */
  readonly marks?: Readonly<Record<string, string>>;
  /** Uniform move in percent ("-10" = every price 10% lower), as OKX's `idxVol` (a fraction there). */
  readonly shockPct?: string;
}

export interface ScopeChange {
  readonly equity: string;
  readonly initialMargin: string;
  readonly maintenanceMargin: string;
  readonly freeCollateral: string;
  /** after − before; null when either side has no ratio (equity ≤ 0, or the scope does not exist). */
  readonly marginRatio: string | null;
}

export interface WhatIfResult {
  readonly before: SubaccountReport;
  readonly after: SubaccountReport;
  /** after − before, per scope (an isolated scope that exists on one side only counts as 0 on the other). */
  readonly changes: { readonly cross: ScopeChange; readonly isolated: Readonly<Record<string, ScopeChange>> };
}

export type WhatIfErrorCode =
  | 'UNKNOWN_SUBACCOUNT'
  | 'UNKNOWN_MARKET'
  | 'UNKNOWN_ASSET'
  | 'INVALID_SIZE'
  | 'INVALID_PRICE'
  | 'INVALID_AMOUNT'
  | 'MARKET_EXPIRED'
  | 'NO_PRICE';

/** A what-if the engine could not execute; nothing was changed. */
export class WhatIfError extends Error {
  override name = 'WhatIfError';
  constructor(
    readonly code: WhatIfErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A read-only map with some entries replaced, without copying the base. */
class OverlayMap<K, V> implements ReadonlyMap<K, V> {
  constructor(
    private readonly base: ReadonlyMap<K, V>,
    private readonly over: ReadonlyMap<K, V>,
  ) {}
  get size(): number {
    let n = this.base.size;
    for (const k of this.over.keys()) if (!this.base.has(k)) n++;
    return n;
  }
  get(k: K): V | undefined {
    return this.over.has(k) ? this.over.get(k) : this.base.get(k);
  }
  has(k: K): boolean {
    return this.over.has(k) || this.base.has(k);
  }
  *entries(): MapIterator<[K, V]> {
    for (const [k, v] of this.base) yield [k, this.over.has(k) ? this.over.get(k)! : v];
    for (const [k, v] of this.over) if (!this.base.has(k)) yield [k, v];
  }
  *keys(): MapIterator<K> {
    for (const [k] of this.entries()) yield k;
  }
  *values(): MapIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }
  forEach(cb: (value: V, key: K, map: ReadonlyMap<K, V>) => void): void {
    for (const [k, v] of this.entries()) cb(v, k, this);
  }
  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }
}

interface MutableSub {
  readonly base: ReadonlySubaccount;
  readonly balances: InlineMap2<string, bigint>;
  readonly positions: InlineMap<string, Position>;
}

function parseOr(code: WhatIfErrorCode, text: string, decimals: number, what: string): bigint {
  const r = parseDecimal(text, decimals);
  if (!r.ok) throw new WhatIfError(code, `${what}: ${JSON.stringify(text)}: ${r.issue.reason}`);
  return r.value;
}

function marketOf(state: ReadonlyEngineState, id: string): ReadonlyMarketState {
  const m = state.markets.get(id);
  if (!m) throw new WhatIfError('UNKNOWN_MARKET', `unknown market ${JSON.stringify(id)}`);
  return m;
}

/** The hypothetical state: the subaccount and markets as changed, everything else shared. */
function hypothetical(
  state: ReadonlyEngineState,
  sub: MutableSub,
  markets: Map<string, ReadonlyMarketState>,
  assetPrices: Map<string, bigint>,
): { state: ReadonlyEngineState; sub: ReadonlySubaccount } {
  const s: ReadonlySubaccount = { ...sub.base, balances: sub.balances, positions: sub.positions };
  return {
    sub: s,
    state: {
      ...state,
      subaccounts: new OverlayMap(state.subaccounts, new Map([[s.key, s]])),
      markets: new OverlayMap(state.markets, markets),
      assetPricesPx8: new OverlayMap(state.assetPricesPx8, assetPrices),
    },
  };
}

/** One hypothetical trade, as a fill does it to this side (engine/handlers.ts fill, trade-plan.ts, evolve). */
function applyWhatIfTrade(
  state: ReadonlyEngineState,
  sub: MutableSub,
  markets: Map<string, ReadonlyMarketState>,
  assetPrices: Map<string, bigint>,
  t: WhatIfTrade,
  i: number,
): void {
  const at = `trades[${i}]`;
  const qd = state.settlement.decimals;
  const market = markets.get(t.market) ?? marketOf(state, t.market);
  const cfg = market.config;
  if (market.settledPx8 !== undefined || (cfg.expiryMs !== undefined && state.timeMs >= cfg.expiryMs))
    throw new WhatIfError('MARKET_EXPIRED', `${at}: market ${cfg.id} has expired`);
  if (t.side !== 'buy' && t.side !== 'sell')
    throw new WhatIfError('INVALID_SIZE', `${at}.side: must be 'buy' or 'sell'`);
  const size = parseOr('INVALID_SIZE', t.size, QTY_DECIMALS, `${at}.size`);
  if (size <= 0n || size % cfg.stepSize !== 0n || size % cfg.contractSize !== 0n)
    throw new WhatIfError(
      'INVALID_SIZE',
      `${at}.size: ${t.size} must be positive and a multiple of the step ${formatDecimal(cfg.stepSize, QTY_DECIMALS)}`,
    );
  const mark = market.markPx8;
  if (mark === undefined) throw new WhatIfError('NO_PRICE', `${at}: market ${cfg.id} has no mark price yet`);
  const price =
    t.price === undefined ? mark : parseOr('INVALID_PRICE', t.price, PRICE_DECIMALS, `${at}.price`);
  if (price <= 0n || (t.price !== undefined && price % cfg.tickSize !== 0n))
    throw new WhatIfError(
      'INVALID_PRICE',
      `${at}.price: ${t.price} must be positive and a multiple of the tick ${formatDecimal(cfg.tickSize, PRICE_DECIMALS)}`,
    );
  const deviation = price > mark ? price - mark : mark - price;
  if (deviation * PPM > mark * state.guards.maxFillDeviation)
    throw new WhatIfError(
      'INVALID_PRICE',
      `${at}.price: ${formatDecimal(price, PRICE_DECIMALS)} is too far from the mark ${formatDecimal(mark, PRICE_DECIMALS)} (maxFillDeviation)`,
    );
  const absValue = notionalValue(cfg, size, price, qd, 'halfEven');
  const fee = mulDiv(absValue, t.liquidity === 'maker' ? cfg.makerFee : cfg.takerFee, PPM, 'ceil');
  const qtyDelta = t.side === 'buy' ? size : -size;
  const value = (t.side === 'buy' ? absValue : -absValue) * buySign(cfg);
  const settlement = state.settlement.id;
  const current = sub.positions.get(cfg.id);
  const before = current?.size ?? 0n;
  const isolated = current?.isolated ?? sub.base.isolatedMarkets.has(cfg.id);
  const r = applyTrade(before, current?.entryValue ?? 0n, qtyDelta, value);
  const absBefore = before < 0n ? -before : before;
  const absAfter = r.size < 0n ? -r.size : r.size;
  const flips = before !== 0n && r.size !== 0n && before > 0n !== r.size > 0n;
  const addsRisk = absAfter > absBefore || flips;
  // The isolated top-up is planned on the state before the trade (trade-plan.ts planSide).
  let topUp = 0n;
  if (isolated && addsRisk && r.size !== 0n) {
    const h = hypothetical(state, sub, markets, assetPrices);
    const view = withPosition(
      isolatedView(h.state, h.sub, cfg.id),
      { market: cfg.id, size: r.size, entryValue: r.entryValue },
      r.realized,
    );
    topUp = max(0n, -evaluate(h.state, view).freeCollateralQuote);
  }
  // evolve: traded
  const p: Position = current
    ? { ...current }
    : {
        market: cfg.id,
        size: 0n,
        entryValue: 0n,
        fundingIndex: market.fundingIndex,
        isolatedMargin: 0n,
        isolated,
      };
  p.size = r.size;
  p.entryValue = r.entryValue;
  const credit = (amount: bigint) => {
    if (p.isolated) p.isolatedMargin += amount;
    else sub.balances.set(settlement, (sub.balances.get(settlement) ?? 0n) + amount);
  };
  credit(r.realized);
  // Open interest: this side's change in longs, and the other side opening (a sell is bought by a new long).
  const longBefore = before > 0n ? before : 0n;
  const longAfter = r.size > 0n ? r.size : 0n;
  const oi = market.openInterestQty9 + (longAfter - longBefore) + (t.side === 'sell' ? size : 0n);
  markets.set(cfg.id, { ...market, openInterestQty9: oi });
  if (p.size === 0n) {
    if (p.isolated && p.isolatedMargin !== 0n)
      sub.balances.set(settlement, (sub.balances.get(settlement) ?? 0n) + p.isolatedMargin);
    sub.positions.delete(cfg.id);
  } else sub.positions.set(cfg.id, p);
  // moved: fee, then the isolated top-up (trade-plan.ts emitSideCashflows)
  sub.balances.set(settlement, (sub.balances.get(settlement) ?? 0n) - fee);
  if (topUp > 0n && p.size !== 0n) {
    sub.balances.set(settlement, (sub.balances.get(settlement) ?? 0n) - topUp);
    p.isolatedMargin += topUp;
  }
}

function delta(before: ScopeReport | undefined, after: ScopeReport | undefined, qd: number): ScopeChange {
  const d = (
    f: keyof Pick<ScopeReport, 'equity' | 'initialMargin' | 'maintenanceMargin' | 'freeCollateral'>,
  ) => {
    const a = after ? parseOr('INVALID_AMOUNT', after[f], qd, f) : 0n;
    const b = before ? parseOr('INVALID_AMOUNT', before[f], qd, f) : 0n;
    return formatDecimal(a - b, qd);
  };
  const rb = before?.marginRatio ?? null;
  const ra = after?.marginRatio ?? null;
  return {
    equity: d('equity'),
    initialMargin: d('initialMargin'),
    maintenanceMargin: d('maintenanceMargin'),
    freeCollateral: d('freeCollateral'),
    marginRatio:
      rb === null || ra === null
        ? null
        : formatDecimal(
            parseOr('INVALID_AMOUNT', ra, 6, 'ratio') - parseOr('INVALID_AMOUNT', rb, 6, 'ratio'),
            6,
          ),
  };
}

/**
 * Figures of a subaccount before and after a hypothetical scenario (see the module header).
 *
 * @param state the engine state (read only; not changed)
 * @param ref the subaccount
 * @param scenario trades, deposits/withdrawals and price moves, decimal strings
 * @throws WhatIfError (typed `code`) for anything the engine could not execute
 * @example
 *   whatIf(engine.state, { account: 'alice', sub: '0' },
 *     { trades: [{ market: 'BTC-PERP', side: 'buy', size: '0.1' }], shockPct: '-10' }).changes.cross
 */
export function whatIf(
  state: ReadonlyEngineState,
  ref: SubaccountRef,
  scenario: WhatIfScenario,
): WhatIfResult {
  const base = state.subaccounts.get(subaccountKey(ref));
  if (!base) throw new WhatIfError('UNKNOWN_SUBACCOUNT', `unknown subaccount ${subaccountKey(ref)}`);
  const before = subaccountReport(state, base);
  const sub: MutableSub = {
    base,
    balances: InlineMap2.from(base.balances),
    positions: InlineMap.from(base.positions as ReadonlyMap<string, Position>),
  };
  const markets = new Map<string, ReadonlyMarketState>();
  const assetPrices = new Map<string, bigint>();

  for (const [i, c] of (scenario.deposits ?? []).entries()) {
    const asset = state.assets.get(c.asset);
    if (!asset)
      throw new WhatIfError(
        'UNKNOWN_ASSET',
        `deposits[${i}].asset: unknown asset ${JSON.stringify(c.asset)}`,
      );
    const amount = parseOr('INVALID_AMOUNT', c.amount, asset.decimals, `deposits[${i}].amount`);
    const next = (sub.balances.get(asset.id) ?? 0n) + amount;
    if (amount < 0n && next < 0n)
      throw new WhatIfError(
        'INVALID_AMOUNT',
        `deposits[${i}].amount: withdraws more ${asset.id} than the balance`,
      );
    sub.balances.set(asset.id, next);
  }
  for (const [i, t] of (scenario.trades ?? []).entries())
    applyWhatIfTrade(state, sub, markets, assetPrices, t, i);

  const setMark = (m: ReadonlyMarketState, px: bigint) =>
    markets.set(m.config.id, { ...(markets.get(m.config.id) ?? m), markPx8: px });
  const given = new Map<string, bigint>();
  for (const [id, text] of Object.entries(scenario.marks ?? {})) {
    marketOf(state, id);
    const px = parseOr('INVALID_PRICE', text, PRICE_DECIMALS, `marks.${id}`);
    if (px <= 0n) throw new WhatIfError('INVALID_PRICE', `marks.${id}: must be positive`);
    given.set(id, px);
  }
  if (scenario.shockPct !== undefined) {
    const pct = parseOr('INVALID_PRICE', scenario.shockPct, 6, 'shockPct'); // percent × 1e6
    const factor = 100_000_000n + pct; // (100 + pct) % at 1e6
    if (factor <= 0n) throw new WhatIfError('INVALID_PRICE', 'shockPct: must be above -100');
    const shock = (px: bigint) => divRound(px * factor, 100_000_000n, 'halfEven');
    for (const m of state.markets.values()) {
      if (given.has(m.config.id) || m.config.option !== undefined || m.markPx8 === undefined) continue;
      if (m.settledPx8 !== undefined) continue;
      setMark(m, shock(m.markPx8));
    }
    for (const [asset, px] of state.assetPricesPx8) assetPrices.set(asset, shock(px));
  }
  for (const [id, px] of given) setMark(marketOf(state, id), px);

  const h = hypothetical(state, sub, markets, assetPrices);
  const after = subaccountReport(h.state, h.sub);
  const qd = state.settlement.decimals;
  const isolated: Record<string, ScopeChange> = {};
  const names = new Set([...before.isolated, ...after.isolated].map((s) => s.scope));
  for (const name of names)
    isolated[name] = delta(
      before.isolated.find((s) => s.scope === name),
      after.isolated.find((s) => s.scope === name),
      qd,
    );
  return { before, after, changes: { cross: delta(before.cross, after.cross, qd), isolated } };
}
