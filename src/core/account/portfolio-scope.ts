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
import { yearFraction } from '../pricing/black76.ts';
import { impliedVolBlack76 } from '../pricing/implied-vol.ts';
import type { VolInput } from '../pricing/vol-surface.ts';
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

/**
 * The volatility an option's mark implies, remembered per market for the last (mark, underlying,
 * time) it was solved for: a book is re-evaluated far more often than its marks change.
 */
const ivCache = new WeakMap<ReadonlyMarketState, { mark: number; U: number; nowMs: number; vol: number }>();
export function impliedVolOf(
  m: ReadonlyMarketState,
  mark: number,
  U: number,
  nowMs: number,
  fallbackVol: number,
): number {
  const hit = ivCache.get(m);
  if (hit && hit.mark === mark && hit.U === U && hit.nowMs === nowMs) return hit.vol;
  const terms = m.config.option!;
  const iv = impliedVolBlack76({
    kind: terms.right,
    price: mark,
    forward: U,
    strike: px(terms.strike),
    timeYears: yearFraction(nowMs, m.config.expiryMs!),
  });
  const vol = iv.ok ? iv.vol : fallbackVol;
  ivCache.set(m, { mark, U, nowMs, vol });
  return vol;
}
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
      column: undefined,
      columnVol: 0,
      config: undefined,
    };
  }
  rows?.byMarket.set(id, row);
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
  const live: ReadonlyMarketState[] = [];
  const sizes: bigint[] = [];
  const firstOption = new Map<string, ReadonlyMarketState>();
  const firstLinear = new Map<string, ReadonlyMarketState>();
  for (const p of positions) {
    if (p.size === 0n) continue;
    const m = state.markets.get(p.market)!;
    live.push(m);
    sizes.push(p.size);
    const b = m.config.base;
    if (m.config.option) {
      if (!firstOption.has(b)) firstOption.set(b, state.markets.get(m.config.option.underlying)!);
    } else if (!firstLinear.has(b)) firstLinear.set(b, m);
  }
  const reference = new Map<string, number>();
  for (const [b, u] of firstOption) reference.set(b, px(markOf(u, marks)));
  for (const [b, m] of firstLinear) if (!reference.has(b)) reference.set(b, px(markOf(m, marks)));
  const out: PortfolioPosition[] = [];
  const memos: (RowMemo | undefined)[] = [];
  // (base, expiry, strike) → Σ and count of the vols their marks imply, summed from 0 in book order
  const volSums = new Map<string, number>();
  const volCounts = new Map<string, number>();
  for (let i = 0; i < live.length; i++) {
    const m = live[i]!;
    const row = rowOf(state, rows, m, sizes[i]!, reference.get(m.config.base)!, nowMs, marks);
    out.push(row.position);
    memos.push(row);
    if (row.position.type === 'option') {
      volSums.set(row.pairKey, (volSums.get(row.pairKey) ?? 0) + row.ownVol);
      volCounts.set(row.pairKey, (volCounts.get(row.pairKey) ?? 0) + 1);
    }
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
    const n = volCounts.get(row.pairKey)!;
    row.position.vol = n === 1 ? row.ownVol : volSums.get(row.pairKey)! / n;
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
): { initialQuote: bigint; maintenanceQuote: bigint; detail: PortfolioRequirement | null } {
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
  const { account, snapshot, memos } = portfolioInputs(state, positions, marks, balances, rows);
  if (account.positions.length === 0) return { initialQuote: 0n, maintenanceQuote: 0n };
  const config = scenarioConfig(state.portfolio!);
  let unitColumns: (RiskColumn | undefined)[] | undefined;
  let strikeKeys: string[] | undefined;
  if (rows) {
    // (base, expiry, strike): equal exactly when the risk matrix's own strike key is
    strikeKeys = memos.map((row) => row?.pairKey ?? '');
    // A row's column holds while its inputs do (the row memo) and its vol and configuration match.
    unitColumns = memos.map((row, i) => {
      if (row === undefined) return undefined;
      const vol = row.position.type === 'option' ? row.position.vol! : 0;
      if (row.column === undefined || row.columnVol !== vol || row.config !== config) {
        row.column = unitColumnOf(account.positions[i]!, snapshot, config);
        row.columnVol = vol;
        row.config = config;
      }
      return row.column;
    });
  }
  const r = portfolioMarginFigures(account, snapshot, config, { columns, unitColumns, strikeKeys });
  return {
    initialQuote: toQuote(state, r.initialMargin),
    maintenanceQuote: toQuote(state, r.maintenanceMargin),
  };
}
