/**
 * Deribit's portfolio margin (portfolio/deribit-pm.ts, the 2024 model) for an engine scope: the
 * positions of a subaccount in portfolio mode with the engine's `portfolio.model: 'deribit-pm'`,
 * as one settlement-currency book, rounded UP to settlement units.
 *
 * The book is the engine's settlement asset, as on Deribit: a BTC-settled engine's inverse
 * perpetuals and futures and coin-settled options form a BTC book whose scenario P&L and
 * requirement are in BTC (no quote conversion: the coin collateral carries no price risk in its
 * own currency); a USDC-settled engine's linear markets form a USD book. Mapping:
 * - an inverse perpetual or future of n contracts × cv USD at mark P is cv·n/P coins of Deribit
 *   size (its coin P&L at P(1+m) is cv·n/P · (1 − 1/(1+m)), Deribit's delta-one vector);
 * - a linear one is its size in base units at its mark;
 * - an option is its size in coins, on the forward U (its underlying market's mark), at the vol
 *   its mark implies (a coin-settled mark M is worth M·U in quote), `fallbackVol` where none;
 * - the index of a pair is the mark of the scope's first option's underlying on that base, else
 *   of its first delta-one market (the generic scope's reference price).
 * MMP and open-orders margin are not added here: the engine reserves open orders itself. Other
 * collateral balances count at their weighted value in equity, converted at their price, and are
 * not in the scenarios.
 *
 * Float64 on purpose (risk screening, see portfolio/model.ts): computed on demand, never stored,
 * rounded against the account at this boundary. Unit vectors are remembered per market for the
 * (mark, underlying mark, clock, parameters) they were priced at, so a check re-sums columns.
 */
import { isCoinSettled } from '../margin/option-margin.ts';
import type { MarketConfig } from '../model/config.ts';
import { bookCurrencyOf, coinSettled, pairOf } from '../model/deribit-scope-check.ts';
import type { EnginePortfolio } from '../model/engine-config.ts';
import type { ReadonlyEngineState, ReadonlyMarketState } from '../model/state.ts';
import { InvariantError, PRICE_DECIMALS, pow10, QTY_DECIMALS, toNumber } from '../num/index.ts';
import {
  type DeribitBookContext,
  type DeribitBookMargin,
  type DeribitInstrument,
  type DeribitModelParams,
  deribitBookMargin,
  deribitPublishedParams,
  deribitUnitVector,
  type Valued,
} from '../portfolio/deribit-pm.ts';
import { impliedVolOf } from './implied-vol-memo.ts';
import { markOf, type PositionLite } from './prices.ts';

const px = (px8: bigint) => toNumber(px8, PRICE_DECIMALS);
const qty = (q9: bigint) => toNumber(q9, QTY_DECIMALS);

let published: DeribitModelParams | undefined;
const paramsCache = new WeakMap<EnginePortfolio, DeribitModelParams>();
/** The engine's Deribit parameters: its own `deribitParams`, else Deribit's published ones. */
export function deribitParamsOf(p: EnginePortfolio): DeribitModelParams {
  if (p.deribitParams) return p.deribitParams;
  let c = paramsCache.get(p);
  if (!c) {
    published ??= deribitPublishedParams();
    c = published;
    paramsCache.set(p, c);
  }
  return c;
}

export interface ColumnMemo {
  markPx8: bigint;
  uPx8: bigint;
  nowMs: number;
  params: DeribitModelParams;
  fallbackVol: number;
  instrument: DeribitInstrument;
  unit: Valued['unit'];
  /** The unit vector as one array: the standard entries, then the extended ones (the kept book's). */
  flat: Float64Array;
  timeYears: number;
  delta: number;
}
const columnMemo = new WeakMap<ReadonlyMarketState, ColumnMemo>();

function instrumentOf(c: MarketConfig, settlementId: string): DeribitInstrument {
  const linear = !coinSettled(c);
  const base = {
    name: c.id,
    pair: pairOf(c.base),
    settlement: linear ? 'usd' : bookCurrencyOf(settlementId),
    linear,
  };
  if (c.option) {
    return {
      ...base,
      kind: 'option',
      expiryMs: c.expiryMs!,
      strike: px(c.option.strike),
      optionKind: c.option.right,
    };
  }
  if (c.kind === 'future') return { ...base, kind: 'future', expiryMs: c.expiryMs! };
  return { ...base, kind: 'perpetual' };
}

export function unitOf(
  state: ReadonlyEngineState,
  m: ReadonlyMarketState,
  params: DeribitModelParams,
  nowMs: number,
  marks: ReadonlyMap<string, bigint> | undefined,
): ColumnMemo {
  const c = m.config;
  const markPx8 = markOf(m, marks);
  const uPx8 = c.option ? markOf(state.markets.get(c.option.underlying)!, marks) : markPx8;
  const fallbackVol = state.portfolio!.fallbackVol;
  const hit = columnMemo.get(m);
  if (
    hit &&
    hit.markPx8 === markPx8 &&
    hit.uPx8 === uPx8 &&
    hit.nowMs === nowMs &&
    hit.params === params &&
    hit.fallbackVol === fallbackVol
  )
    return hit;
  const instrument = instrumentOf(c, state.settlement.id);
  const pair = params.currency_pair[instrument.pair];
  if (!pair) throw new InvariantError(`deribit-pm: no parameters for ${instrument.pair}`);
  const mark = px(markPx8);
  const U = px(uPx8);
  let vol = 0;
  if (c.option) {
    // a coin premium M is worth M·U in quote: the implied vol is the quote price's
    const quotePrice = isCoinSettled(c.option) ? mark * U : mark;
    vol = impliedVolOf(m, quotePrice, U, nowMs, fallbackVol);
    if (!(vol > 0)) vol = fallbackVol;
  }
  const u = deribitUnitVector(instrument, pair, params.general.buckets_count, nowMs, mark, U, vol);
  const memo: ColumnMemo = {
    markPx8,
    uPx8,
    nowMs,
    params,
    fallbackVol,
    instrument,
    unit: u.unit,
    flat: Float64Array.from([...u.unit.standard, ...u.unit.extended]),
    timeYears: u.timeYears,
    delta: u.delta,
  };
  columnMemo.set(m, memo);
  return memo;
}

/** Deribit size of a position: coins for inverse delta-one (cv·n/P), else its size. */
export function deribitSize(c: MarketConfig, sizeQ9: bigint, markPx8: bigint): number {
  if (c.contractType === 'inverse') return (qty(sizeQ9) * px(c.contractValue!)) / px(markPx8);
  return qty(sizeQ9);
}

export function toUnits(state: ReadonlyEngineState, x: number): bigint {
  if (!Number.isFinite(x) || x < 0) throw new InvariantError(`deribit-pm requirement ${x} is not usable`);
  return BigInt(Math.ceil(x * Number(pow10(state.settlement.decimals))));
}

/**
 * Deribit PM of a scope's positions, IM and MM in settlement units rounded up (the coin for a
 * coin-settled book), with Deribit's breakdown of the book.
 */
export function deribitScopeRequirement(
  state: ReadonlyEngineState,
  positions: readonly PositionLite[],
  marks?: ReadonlyMap<string, bigint>,
): { initialQuote: bigint; maintenanceQuote: bigint; detail: DeribitBookMargin | null } {
  const cfg = state.portfolio;
  if (!cfg) throw new InvariantError('portfolio margin is not configured');
  const params = deribitParamsOf(cfg);
  const nowMs = Math.max(state.timeMs, 1);
  const columns: Valued[] = [];
  const index: Record<string, number> = {};
  const firstDeltaOne = new Map<string, number>();
  for (const p of positions) {
    if (p.size === 0n) continue;
    const m = state.markets.get(p.market)!;
    const memo = unitOf(state, m, params, nowMs, marks);
    const pair = memo.instrument.pair;
    if (m.config.option) index[pair] ??= px(memo.uPx8);
    else if (!firstDeltaOne.has(pair)) firstDeltaOne.set(pair, px(memo.markPx8));
    columns.push({
      instrument: memo.instrument,
      size: deribitSize(m.config, p.size, memo.markPx8),
      unit: memo.unit,
      timeYears: memo.timeYears,
      delta: memo.delta,
      mark: px(memo.markPx8),
    });
  }
  if (columns.length === 0) return { initialQuote: 0n, maintenanceQuote: 0n, detail: null };
  for (const [pair, S] of firstDeltaOne) index[pair] ??= S;
  const ctx: DeribitBookContext = {
    nowMs,
    index,
    positions: {},
    ticker: {},
    mmp_margin: {},
    open_orders_margin: {},
    correlation_contingency: {},
  };
  const currency = columns[0]!.instrument.settlement;
  const book = deribitBookMargin(params, ctx, currency, columns);
  return {
    initialQuote: toUnits(state, book.initialMargin),
    maintenanceQuote: toUnits(state, book.maintenanceMargin),
    detail: book,
  };
}
