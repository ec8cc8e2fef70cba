/**
 * Portfolio margin of an engine scope: the positions of a subaccount in portfolio mode, put
 * through the risk matrix (portfolio/risk-matrix.ts) and rounded UP to quote units.
 *
 * Mapping engine positions to the portfolio model (one underlying per base asset):
 * - The reference price S of a base is the mark of the underlying market of the scope's first
 *   option on that base, else of its first linear position's market.
 * - A perpetual or future on market m (mark P_m) becomes a linear position of size q·P_m/S
 *   (same quote exposure, so a scenario move x costs q·P_m·x, as on its own market).
 * - An option with underlying mark U becomes an option on S with strike K·S/U and size q·U/S:
 *   Black-76 is homogeneous of degree one in (F, K), so value, delta and every scenario P&L
 *   are those of the option on U.
 * - Each option's volatility is the one its mark implies (Black-76 at F = U, time to expiry
 *   from the engine's clock), carried on the option (a call and a put at one strike and expiry
 *   share the mean); `fallbackVol` where a mark implies none (at intrinsic, expired).
 *
 * Float64 on purpose (risk screening, see portfolio/model.ts): the requirement is computed
 * on demand, never stored, and rounded against the account at this boundary.
 */
import type { EnginePortfolio } from '../model/engine-config.ts';
import type { ReadonlyEngineState, ReadonlyMarketState } from '../model/state.ts';
import { InvariantError, PRICE_DECIMALS, pow10, QTY_DECIMALS, toNumber } from '../num/index.ts';
import type { DeribitBookMargin } from '../portfolio/deribit-pm.ts';
import type { PortfolioAccount, PortfolioPosition } from '../portfolio/model.ts';
import {
  type PortfolioRequirement,
  portfolioMargin,
  portfolioMarginFigures,
  type RiskColumn,
  RiskColumnCache,
  unitColumnOf,
} from '../portfolio/risk-matrix.ts';
import {
  type PortfolioMarginConfig,
  type PortfolioPresetId,
  portfolioPreset,
} from '../portfolio/scenarios.ts';
import type { VolInput } from '../pricing/vol-surface.ts';
import { impliedVolOf } from './implied-vol-memo.ts';
import { deribitScopeRequirement } from './portfolio-deribit.ts';
import { assetPricePx8, markOf, type PositionLite } from './prices.ts';

const configCache = new WeakMap<EnginePortfolio, PortfolioMarginConfig>();
/** Priced risk-matrix columns across evaluations: a trade revalues only what changed. */
const columns = new RiskColumnCache();
export function scenarioConfig(p: EnginePortfolio): PortfolioMarginConfig {
  if (typeof p.model !== 'string') return p.model;
  let c = configCache.get(p);
  if (!c) {
    c = portfolioPreset(p.model as PortfolioPresetId);
    configCache.set(p, c);
  }
  return c;
}

/** px8 → float64 price. */
export const px = (px8: bigint) => toNumber(px8, PRICE_DECIMALS);

export { impliedVolOf };

const qty = (q9: bigint) => toNumber(q9, QTY_DECIMALS);

/**
 * One market's row of a scope's portfolio inputs, with what it was derived from: reused while
 * the position's size, the marks, the reference price and the clock are unchanged, so a book
 * is re-read without re-deriving 200 rows (bigint → float conversions, implied vols) per check.
 */
interface RowMemo {
  markPx8: bigint;
  uPx8: bigint;
  S: number;
  nowMs: number;
  sizeQ9: bigint;
  position: PortfolioPosition;
  /** The vol the option's own mark implies (before a call and a put at one strike share the mean). */
  ownVol: number;
  /** (expiry, strike) of an option, for sharing the vol; '' for linear rows. */
  pairKey: string;
  /** pairKey's id in the scope's PortfolioScopeRows (−1: linear). */
  pairId: number;
  /** The unit column priced for this row (valid for `columnVol` and this row's inputs). */
  column: RiskColumn | undefined;
  columnVol: number;
  config: PortfolioMarginConfig | undefined;
}

/**
 * The rows of one scope (a subaccount's cross book) kept across evaluations: the figures cache
 * holds one per portfolio-margin subaccount, so a pre-trade check re-derives and re-prices only
 * the traded market's row (portfolioFiguresQuote).
 */
export class PortfolioScopeRows {
  readonly byMarket = new Map<string, RowMemo>();
  /**
   * (base, expiry, strike) → a small integer, kept across calls: the per-call vol sharing and the
   * risk matrix's per-strike netting index scratch arrays with it instead of building string-keyed
   * maps of boxed sums (the allocations behind a pre-trade check's GC tail).
   */
  readonly pairIds = new Map<string, number>();
  pairSums = new Float64Array(16);
  pairCounts = new Int32Array(16);
  /**
   * Reused per call by portfolioInputs (its account's positions and memos are these arrays: a
   * caller with rows reads them before the next call, as the margin checks do).
   */
  readonly scratchLive: ReadonlyMarketState[] = [];
  readonly scratchSizes: bigint[] = [];
  readonly scratchOut: PortfolioPosition[] = [];
  readonly scratchMemos: (RowMemo | undefined)[] = [];
  /** Reused per call: each account position's pair id (−1: not an option) and unit column. */
  readonly strikeIds: number[] = [];
  readonly unitColumns: (RiskColumn | undefined)[] = [];

  pairIdOf(key: string): number {
    let id = this.pairIds.get(key);
    if (id === undefined) {
      id = this.pairIds.size;
      this.pairIds.set(key, id);
      if (id >= this.pairSums.length) {
        const sums = new Float64Array(this.pairSums.length * 2);
        const counts = new Int32Array(this.pairCounts.length * 2);
        sums.set(this.pairSums);
        counts.set(this.pairCounts);
        this.pairSums = sums;
        this.pairCounts = counts;
      }
    }
    return id;
  }
}

function rowOf(
  state: ReadonlyEngineState,
  rows: PortfolioScopeRows | undefined,
  m: ReadonlyMarketState,
  sizeQ9: bigint,
  S: number,
  nowMs: number,
  marks: ReadonlyMap<string, bigint> | undefined,
): RowMemo {
  const markPx8 = markOf(m, marks);
  const terms = m.config.option;
  const uPx8 = terms ? markOf(state.markets.get(terms.underlying)!, marks) : 0n;
  const id = m.config.id;
  const hit = rows?.byMarket.get(id);
  if (hit && hit.markPx8 === markPx8 && hit.uPx8 === uPx8 && hit.S === S && hit.nowMs === nowMs) {
    if (hit.sizeQ9 !== sizeQ9) {
      hit.sizeQ9 = sizeQ9;
      hit.position.size = terms ? (qty(sizeQ9) * px(uPx8)) / S : (qty(sizeQ9) * px(markPx8)) / S;
    }
    return hit;
  }
  const base = m.config.base;
  const mark = px(markPx8);
  let row: RowMemo;
  if (!terms) {
    row = {
      markPx8,
      uPx8,
      S,
      nowMs,
      sizeQ9,
      position: { type: 'perpetual', id, underlying: base, size: (qty(sizeQ9) * mark) / S, entryPrice: S },
      ownVol: 0,
      pairKey: '',
      pairId: -1,
      column: undefined,
      columnVol: 0,
      config: undefined,
    };
  } else {
    const U = px(uPx8);
    const K = px(terms.strike);
    const expiryMs = m.config.expiryMs!;
    const strike = (K * S) / U;
    row = {
      markPx8,
      uPx8,
      S,
      nowMs,
      sizeQ9,
      position: {
        type: 'option',
        id,
        underlying: base,
        kind: terms.right,
        strike,
        expiryMs,
        size: (qty(sizeQ9) * U) / S,
        settlement: 'linear',
      },
      ownVol: impliedVolOf(m, mark, U, nowMs, state.portfolio!.fallbackVol),
      pairKey: `${base}|${expiryMs}|${strike}`,
      pairId: -1,
      column: undefined,
      columnVol: 0,
      config: undefined,
    };
  }
  if (rows) {
    if (row.pairKey !== '') row.pairId = rows.pairIdOf(row.pairKey);
    rows.byMarket.set(id, row);
  }
  return row;
}

/**
 * The portfolio account and market snapshot of a scope's positions (see the header), with the
 * row each option or linear position came from (`rows`: memo across calls, none by default).
 */
export function portfolioInputs(
  state: ReadonlyEngineState,
  positions: readonly PositionLite[],
  marks?: ReadonlyMap<string, bigint>,
  balances?: ReadonlyMap<string, bigint>,
  rows?: PortfolioScopeRows,
): {
  account: PortfolioAccount;
  snapshot: Parameters<typeof portfolioMargin>[1];
  /** The memo row of each account position (undefined for collateral balances). */
  memos: (RowMemo | undefined)[];
} {
  const cfg = state.portfolio;
  if (!cfg) throw new InvariantError('portfolio margin is not configured');
  const nowMs = Math.max(state.timeMs, 1);
  // One pass: each live position's market, and per base the first option's underlying market
  // and the first linear market (the reference is the former when the base has an option).
  // With the caller's rows, the per-call arrays are theirs, reused (emptied) from call to call.
  const live: ReadonlyMarketState[] = rows ? rows.scratchLive : [];
  const sizes: bigint[] = rows ? rows.scratchSizes : [];
  // written by index and trimmed once: emptying an array first frees its backing store
  let nLive = 0;
  const firstOption = new Map<string, ReadonlyMarketState>();
  const firstLinear = new Map<string, ReadonlyMarketState>();
  for (const p of positions) {
    if (p.size === 0n) continue;
    const m = state.markets.get(p.market)!;
    live[nLive] = m;
    sizes[nLive++] = p.size;
    const b = m.config.base;
    if (m.config.option) {
      if (!firstOption.has(b)) firstOption.set(b, state.markets.get(m.config.option.underlying)!);
    } else if (!firstLinear.has(b)) firstLinear.set(b, m);
  }
  live.length = sizes.length = nLive;
  const reference = new Map<string, number>();
  for (const [b, u] of firstOption) reference.set(b, px(markOf(u, marks)));
  for (const [b, m] of firstLinear) if (!reference.has(b)) reference.set(b, px(markOf(m, marks)));
  const out: PortfolioPosition[] = rows ? rows.scratchOut : [];
  const memos: (RowMemo | undefined)[] = rows ? rows.scratchMemos : [];
  let k = 0;
  // Without the caller's rows, a scratch set of them (the pair ids index the vol sums below).
  const r = rows ?? new PortfolioScopeRows();
  for (let i = 0; i < live.length; i++) {
    const m = live[i]!;
    const row = rowOf(state, r, m, sizes[i]!, reference.get(m.config.base)!, nowMs, marks);
    out[k] = row.position;
    memos[k++] = row;
  }
  out.length = memos.length = k;
  // (base, expiry, strike) → Σ and count of the vols their marks imply, summed from 0 in book
  // order, in scratch arrays indexed by the pair's id
  const volSums = r.pairSums;
  const volCounts = r.pairCounts;
  for (const row of memos) if (row!.pairId >= 0) volSums[row!.pairId] = volCounts[row!.pairId] = 0;
  for (const row of memos) {
    if (row!.pairId < 0) continue;
    volSums[row!.pairId]! += row!.ownVol;
    volCounts[row!.pairId]! += 1;
  }
  // Non-settlement balances: their price risk is in the scenarios (a coin held against a short
  // perpetual on it is a hedge), as a linear exposure of the same quote value on their
  // underlying (a yield-bearing token on the token it accrues). Debts are short exposures.
  for (const [assetId, balance] of balances ?? []) {
    if (assetId === state.settlement.id || balance === 0n) continue;
    const asset = state.assets.get(assetId);
    const pricePx8 = assetPricePx8(state, assetId);
    if (!asset || pricePx8 === undefined) continue; // unpriced: worth nothing, risks nothing
    const underlying = asset.yieldBearing?.underlying ?? assetId;
    if (!reference.has(underlying)) {
      const u = assetPricePx8(state, underlying);
      if (u === undefined) continue;
      reference.set(underlying, px(u));
    }
    const S = reference.get(underlying)!;
    const value = (Number(balance) / 10 ** asset.decimals) * px(pricePx8);
    out.push({ type: 'perpetual', id: `balance:${assetId}`, underlying, size: value / S, entryPrice: S });
    memos.push(undefined);
  }
  // Each option carries the vol its mark implies (a call and a put at one strike: the mean of
  // what their marks imply), so the surface that passes through every point is never read and
  // the risk matrix can reuse each option's priced column across calls.
  for (let i = 0; i < memos.length; i++) {
    const row = memos[i];
    if (row === undefined || row.position.type !== 'option') continue;
    const n = volCounts[row.pairId]!;
    const vol = n === 1 ? row.ownVol : volSums[row.pairId]! / n;
    // written only when it changes: storing a double into an object boxes it anew
    if (row.position.vol !== vol) row.position.vol = vol;
  }
  const underlyings: Record<string, { spot: number; basisRate: number; vol: VolInput }> = {};
  for (const [base, S] of reference)
    underlyings[base] = { spot: S, basisRate: 0, vol: { kind: 'flat', vol: cfg.fallbackVol } };
  return { account: { collateral: 0, positions: out }, snapshot: { nowMs, rate: 0, underlyings }, memos };
}

export function toQuote(state: ReadonlyEngineState, x: number): bigint {
  if (!Number.isFinite(x) || x < 0) throw new InvariantError(`portfolio requirement ${x} is not usable`);
  return BigInt(Math.ceil(x * Number(pow10(state.settlement.decimals))));
}

/** Portfolio IM and MM of a scope's positions in quote units (rounded up), with the breakdown. */
export function portfolioRequirementQuote(
  state: ReadonlyEngineState,
  positions: readonly PositionLite[],
  marks?: ReadonlyMap<string, bigint>,
  opts: { includeMatrix?: boolean; balances?: ReadonlyMap<string, bigint> } = {},
): {
  initialQuote: bigint;
  maintenanceQuote: bigint;
  detail: PortfolioRequirement | null;
  /** With the 'deribit-pm' model: Deribit's breakdown of the book (in its currency). */
  deribit?: DeribitBookMargin | null;
} {
  if (state.portfolio?.model === 'deribit-pm') {
    const d = deribitScopeRequirement(state, positions, marks);
    return {
      initialQuote: d.initialQuote,
      maintenanceQuote: d.maintenanceQuote,
      detail: null,
      deribit: d.detail,
    };
  }
  const { account, snapshot } = portfolioInputs(state, positions, marks, opts.balances);
  if (account.positions.length === 0) return { initialQuote: 0n, maintenanceQuote: 0n, detail: null };
  const detail = portfolioMargin(account, snapshot, scenarioConfig(state.portfolio!), {
    includeMatrix: opts.includeMatrix === true,
    columns,
  });
  return {
    initialQuote: toQuote(state, detail.initialMargin),
    maintenanceQuote: toQuote(state, detail.maintenanceMargin),
    detail,
  };
}

/**
 * The same IM and MM as `portfolioRequirementQuote`, to the unit, without the breakdown: the
 * lean path of the risk matrix (risk-matrix.ts portfolioMarginFigures), which re-adds cached
 * unit columns instead of building the matrix. What the margin checks read.
 */
export function portfolioFiguresQuote(
  state: ReadonlyEngineState,
  positions: readonly PositionLite[],
  marks?: ReadonlyMap<string, bigint>,
  balances?: ReadonlyMap<string, bigint>,
  rows?: PortfolioScopeRows,
): { initialQuote: bigint; maintenanceQuote: bigint } {
  if (state.portfolio?.model === 'deribit-pm') return deribitScopeRequirement(state, positions, marks);
  const { account, snapshot, memos } = portfolioInputs(state, positions, marks, balances, rows);
  if (account.positions.length === 0) return { initialQuote: 0n, maintenanceQuote: 0n };
  const config = scenarioConfig(state.portfolio!);
  let unitColumns: (RiskColumn | undefined)[] | undefined;
  let strikeIds: number[] | undefined;
  if (rows) {
    // the id of (base, expiry, strike): equal exactly when the risk matrix's own strike key is;
    // both arrays are the rows' own, reused from call to call
    strikeIds = rows.strikeIds;
    unitColumns = rows.unitColumns;
    strikeIds.length = unitColumns.length = memos.length;
    for (let i = 0; i < memos.length; i++) {
      const row = memos[i];
      strikeIds[i] = row?.pairId ?? -1;
      if (row === undefined) {
        unitColumns[i] = undefined;
        continue;
      }
      // A row's column holds while its inputs do (the row memo) and its vol and configuration match.
      const vol = row.position.type === 'option' ? row.position.vol! : 0;
      if (row.column === undefined || row.columnVol !== vol || row.config !== config) {
        row.column = unitColumnOf(account.positions[i]!, snapshot, config);
        row.columnVol = vol;
        row.config = config;
      }
      unitColumns[i] = row.column;
    }
  }
  const r = portfolioMarginFigures(account, snapshot, config, { columns, unitColumns, strikeIds });
  return {
    initialQuote: toQuote(state, r.initialMargin),
    maintenanceQuote: toQuote(state, r.maintenanceMargin),
  };
}
