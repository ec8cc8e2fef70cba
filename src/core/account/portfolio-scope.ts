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
import { type PortfolioRequirement, portfolioMargin, RiskColumnCache } from '../portfolio/risk-matrix.ts';
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
function scenarioConfig(p: EnginePortfolio): PortfolioMarginConfig {
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

/** The portfolio account and market snapshot of a scope's positions (see the header). */
export function portfolioInputs(
  state: ReadonlyEngineState,
  positions: readonly PositionLite[],
  marks?: ReadonlyMap<string, bigint>,
  balances?: ReadonlyMap<string, bigint>,
): { account: PortfolioAccount; snapshot: Parameters<typeof portfolioMargin>[1] } {
  const cfg = state.portfolio;
  if (!cfg) throw new InvariantError('portfolio margin is not configured');
  const nowMs = Math.max(state.timeMs, 1);
  const live = positions.filter((p) => p.size !== 0n);
  const reference = new Map<string, number>();
  for (const pass of ['option', 'linear'] as const) {
    for (const p of live) {
      const m = state.markets.get(p.market)!;
      if (reference.has(m.config.base)) continue;
      if (pass === 'option' && m.config.option)
        reference.set(m.config.base, px(markOf(state.markets.get(m.config.option.underlying)!, marks)));
      if (pass === 'linear' && !m.config.option) reference.set(m.config.base, px(markOf(m, marks)));
    }
  }
  const out: PortfolioPosition[] = [];
  const volPoints = new Map<string, Map<number, Map<number, number[]>>>(); // base → expiry → strike → vols
  for (const p of live) {
    const m = state.markets.get(p.market)!;
    const base = m.config.base;
    const S = reference.get(base)!;
    const mark = px(markOf(m, marks));
    const terms = m.config.option;
    if (!terms) {
      out.push({
        type: 'perpetual',
        id: p.market,
        underlying: base,
        size: (qty(p.size) * mark) / S,
        entryPrice: S,
      });
      continue;
    }
    const U = px(markOf(state.markets.get(terms.underlying)!, marks));
    const K = px(terms.strike);
    const expiryMs = m.config.expiryMs!;
    const vol = impliedVolOf(m, mark, U, nowMs, cfg.fallbackVol);
    const strike = (K * S) / U;
    const byExpiry = volPoints.get(base) ?? new Map<number, Map<number, number[]>>();
    volPoints.set(base, byExpiry);
    const byStrike = byExpiry.get(expiryMs) ?? new Map<number, number[]>();
    byExpiry.set(expiryMs, byStrike);
    byStrike.set(strike, [...(byStrike.get(strike) ?? []), vol]);
    out.push({
      type: 'option',
      id: p.market,
      underlying: base,
      kind: terms.right,
      strike,
      expiryMs,
      size: (qty(p.size) * U) / S,
      settlement: 'linear',
    });
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
  }
  // Each option carries the vol its mark implies (a call and a put at one strike: the mean of
  // what their marks imply), so the surface that passes through every point is never read and
  // the risk matrix can reuse each option's priced column (RiskColumnCache) across calls.
  for (const p of out) {
    if (p.type !== 'option') continue;
    const vols = volPoints.get(p.underlying)!.get(p.expiryMs)!.get(p.strike)!;
    p.vol = vols.length === 1 ? vols[0]! : vols.reduce((x, y) => x + y, 0) / vols.length;
  }
  const underlyings: Record<string, { spot: number; basisRate: number; vol: VolInput }> = {};
  for (const [base, S] of reference)
    underlyings[base] = { spot: S, basisRate: 0, vol: { kind: 'flat', vol: cfg.fallbackVol } };
  return { account: { collateral: 0, positions: out }, snapshot: { nowMs, rate: 0, underlyings } };
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
  const scale = Number(pow10(state.settlement.decimals));
  const toQuote = (x: number): bigint => {
    if (!Number.isFinite(x) || x < 0) throw new InvariantError(`portfolio requirement ${x} is not usable`);
    return BigInt(Math.ceil(x * scale));
  };
  return {
    initialQuote: toQuote(detail.initialMargin),
    maintenanceQuote: toQuote(detail.maintenanceMargin),
    detail,
  };
}
