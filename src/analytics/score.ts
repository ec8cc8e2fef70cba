/**
 * Risk scores for positions and accounts, and a ranking: who is most likely to need
 * liquidating soon, and who would hurt most?
 *
 * Pure functions of numbers (float64: a screen, never a money movement, DESIGN §3). Inputs
 * are what the engine's reports give (mark, liquidation price, notional, equity) plus a
 * volatility forecast per market (e.g. GARCH or HAR from ./volatility, annualised).
 *
 * Per position:
 * - liquidation probability p within the horizon: the first-passage probability of the mark
 *   touching the liquidation price under a driftless-mark GBM with the forecast volatility
 *   (./first-passage.ts);
 * - notional at risk = p × notional (expected notional to be liquidated).
 *
 * Per account (equity E, position notionals N_i in markets m_i):
 * - leverage λ = Σ N_i / E (∞ when E <= 0);
 * - concentration c = max over markets of (Σ_{i in market} N_i) / Σ N_i (1 = all in one market);
 * - liquidation probability P = 1 - Π_i (1 - p_i). Each p_i uses a liquidation price that holds
 *   the other positions fixed; treating the markets as independent makes P a rough figure
 *   (the truth lies between max_i p_i, reported as `maxPositionProbability`, for perfectly
 *   dependent moves and min(1, Σ p_i)), good enough for ranking;
 * - composite score S = (w_p P + w_λ λ/(λ + λ₀) + w_c c)/(w_p + w_λ + w_c) ∈ [0, 1], with default
 *   weights w = (0.6, 0.25, 0.15) and leverage scale λ₀ = 10 (leverage 10× scores 0.5).
 *
 * `rankAccounts` sorts by S descending, ties broken by P, then leverage (both descending),
 * then account id, so the order is total and deterministic.
 *
 * @example
 * rankAccounts([
 *   { account: 'alice', equity: 10_000, positions: [{ id: 'a1', market: 'BTC-PERP', side: 'long',
 *     notional: 60_000, markPrice: 60_000, liquidationPrice: 52_600, sigmaPerYear: 0.6 }] },
 *   { account: 'bob', equity: 50_000, positions: [{ id: 'b1', market: 'ETH-PERP', side: 'short',
 *     notional: 30_000, markPrice: 3_000, liquidationPrice: 7_900, sigmaPerYear: 0.8 }] },
 * ], { horizonYears: 1 / 365 })[0]!.account; // 'alice'
 */
import { liquidationProbability, type PositionSide } from './first-passage.ts';

/** One position, as numbers. */
export interface PositionRiskInput {
  /** Stable id (used to order ties). */
  readonly id: string;
  readonly market: string;
  readonly side: PositionSide;
  /** |size| × mark, in the account's settlement currency (>= 0). */
  readonly notional: number;
  /** Current mark (> 0). */
  readonly markPrice: number;
  /** Mark at which the account would be liquidatable, or null if none. */
  readonly liquidationPrice: number | null;
  /** Forecast volatility of this market per √year. */
  readonly sigmaPerYear: number;
}

/** One account: its equity and positions. */
export interface AccountRiskInput {
  readonly account: string;
  /** Equity in the settlement currency (may be <= 0 for a bankrupt account). */
  readonly equity: number;
  readonly positions: readonly PositionRiskInput[];
}

/** Weights of the composite score (non-negative, not all zero; normalised to sum 1). */
export interface RiskWeights {
  readonly probability: number;
  readonly leverage: number;
  readonly concentration: number;
}

/** Options of the score functions. */
export interface RiskScoreOptions {
  /** Horizon of the liquidation probability, in years (1/365 = a day). */
  readonly horizonYears: number;
  /** Composite weights (default probability 0.6, leverage 0.25, concentration 0.15). */
  readonly weights?: RiskWeights;
  /** Leverage at which the leverage component is 0.5 (default 10). */
  readonly leverageScale?: number;
  /** GBM drift of the marks per year (default 0: martingale marks). */
  readonly muPerYear?: number;
}

/** Scores of one position. */
export interface PositionRisk {
  readonly id: string;
  readonly market: string;
  readonly side: PositionSide;
  readonly notional: number;
  /** P(liquidation price touched within the horizon). */
  readonly liquidationProbability: number;
  /** liquidationProbability × notional. */
  readonly notionalAtRisk: number;
}

/** Scores of one account. */
export interface AccountRisk {
  readonly account: string;
  readonly equity: number;
  /** Σ notional. */
  readonly grossNotional: number;
  /** grossNotional / equity (∞ if equity <= 0 and there are positions; 0 without positions). */
  readonly leverage: number;
  /** Largest share of gross notional in one market (0 without notional). */
  readonly concentration: number;
  /** The market with that share (null without positions). */
  readonly largestMarket: string | null;
  /** 1 - Π(1 - p_i) (independence across positions; see the module header). */
  readonly liquidationProbability: number;
  /** max_i p_i: the probability if all positions' moves were perfectly dependent. */
  readonly maxPositionProbability: number;
  /** Σ p_i × notional_i. */
  readonly expectedNotionalLiquidated: number;
  /** The three composite inputs, each in [0, 1]. */
  readonly components: {
    readonly probability: number;
    readonly leverage: number;
    readonly concentration: number;
  };
  /** Composite score in [0, 1]; higher = riskier. */
  readonly score: number;
  /** Positions, riskiest first (by probability, then notional at risk, then id). */
  readonly positions: readonly PositionRisk[];
}

/** An account with its place in a ranking (1 = riskiest). */
export interface RankedAccount extends AccountRisk {
  readonly rank: number;
}

/** Default composite weights. */
export const DEFAULT_RISK_WEIGHTS: RiskWeights = { probability: 0.6, leverage: 0.25, concentration: 0.15 };

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Scores one position: its liquidation probability within the horizon.
 *
 * @example
 * scorePosition({ id: 'p', market: 'BTC-PERP', side: 'long', notional: 60_000, markPrice: 60_000,
 *   liquidationPrice: 54_000, sigmaPerYear: 0.6 }, { horizonYears: 7 / 365 }).liquidationProbability; // ≈ 0.2158
 */
export function scorePosition(position: PositionRiskInput, options: RiskScoreOptions): PositionRisk {
  if (!(position.notional >= 0 && Number.isFinite(position.notional)))
    throw new RangeError(`position ${position.id}: notional must be finite and >= 0`);
  if (!(position.sigmaPerYear >= 0)) throw new RangeError(`position ${position.id}: sigma must be >= 0`);
  const p = liquidationProbability(
    position.side,
    position.markPrice,
    position.liquidationPrice,
    position.sigmaPerYear,
    options.horizonYears,
    { muPerYear: options.muPerYear ?? 0 },
  );
  return {
    id: position.id,
    market: position.market,
    side: position.side,
    notional: position.notional,
    liquidationProbability: p,
    notionalAtRisk: p * position.notional,
  };
}

function normalisedWeights(w: RiskWeights): RiskWeights {
  const { probability, leverage, concentration } = w;
  if (!(probability >= 0 && leverage >= 0 && concentration >= 0))
    throw new RangeError('risk weights must be non-negative');
  const s = probability + leverage + concentration;
  if (!(s > 0) || !Number.isFinite(s)) throw new RangeError('risk weights must not all be zero');
  return { probability: probability / s, leverage: leverage / s, concentration: concentration / s };
}

/** Orders position scores: probability desc, notional at risk desc, id asc. */
export function comparePositionRisk(a: PositionRisk, b: PositionRisk): number {
  return (
    b.liquidationProbability - a.liquidationProbability ||
    b.notionalAtRisk - a.notionalAtRisk ||
    byString(a.id, b.id)
  );
}

/**
 * Scores one account (see the module header for the formulas).
 *
 * @example
 * scoreAccount({ account: 'a', equity: 1000, positions: [] }, { horizonYears: 1 / 365 }).score; // 0
 */
export function scoreAccount(account: AccountRiskInput, options: RiskScoreOptions): AccountRisk {
  const w = normalisedWeights(options.weights ?? DEFAULT_RISK_WEIGHTS);
  const scale = options.leverageScale ?? 10;
  if (!(scale > 0)) throw new RangeError('leverageScale must be > 0');
  if (Number.isNaN(account.equity)) throw new RangeError(`account ${account.account}: equity is NaN`);
  const positions = account.positions.map((p) => scorePosition(p, options)).sort(comparePositionRisk);
  let gross = 0;
  let survive = 1;
  let maxP = 0;
  let expected = 0;
  const perMarket = new Map<string, number>();
  for (const p of positions) {
    gross += p.notional;
    survive *= 1 - p.liquidationProbability;
    maxP = Math.max(maxP, p.liquidationProbability);
    expected += p.notionalAtRisk;
    perMarket.set(p.market, (perMarket.get(p.market) ?? 0) + p.notional);
  }
  let largestMarket: string | null = null;
  let largest = 0;
  for (const m of [...perMarket.keys()].sort(byString)) {
    const v = perMarket.get(m)!;
    if (largestMarket === null || v > largest) {
      largestMarket = m;
      largest = v;
    }
  }
  const concentration = gross > 0 ? largest / gross : 0;
  const leverage = gross === 0 ? 0 : account.equity > 0 ? gross / account.equity : Number.POSITIVE_INFINITY;
  const probability = 1 - survive;
  const levScore = leverage === Number.POSITIVE_INFINITY ? 1 : leverage / (leverage + scale);
  const score = w.probability * probability + w.leverage * levScore + w.concentration * concentration;
  return {
    account: account.account,
    equity: account.equity,
    grossNotional: gross,
    leverage,
    concentration,
    largestMarket,
    liquidationProbability: probability,
    maxPositionProbability: maxP,
    expectedNotionalLiquidated: expected,
    components: { probability, leverage: levScore, concentration },
    score: Math.min(1, Math.max(0, score)),
    positions,
  };
}

/** Orders account scores: score desc, probability desc, leverage desc, account id asc. */
export function compareAccountRisk(a: AccountRisk, b: AccountRisk): number {
  const lev = (x: number): number => (x === Number.POSITIVE_INFINITY ? Number.MAX_VALUE : x);
  return (
    b.score - a.score ||
    b.liquidationProbability - a.liquidationProbability ||
    lev(b.leverage) - lev(a.leverage) ||
    byString(a.account, b.account)
  );
}

/**
 * Scores and ranks accounts, riskiest first (rank 1). Deterministic for any input order.
 *
 * @example
 * rankAccounts(accounts, { horizonYears: 1 / 365 }).map((a) => [a.rank, a.account, a.score]);
 */
export function rankAccounts(
  accounts: readonly AccountRiskInput[],
  options: RiskScoreOptions,
): RankedAccount[] {
  return accounts
    .map((a) => scoreAccount(a, options))
    .sort(compareAccountRisk)
    .map((a, i) => ({ ...a, rank: i + 1 }));
}

/**
 * Ranks all positions of all accounts by liquidation probability (then notional at risk,
 * then id), riskiest first — the liquidation watch list.
 */
export function rankPositions(
  positions: readonly PositionRiskInput[],
  options: RiskScoreOptions,
): (PositionRisk & { readonly rank: number })[] {
  return positions
    .map((p) => scorePosition(p, options))
    .sort(comparePositionRisk)
    .map((p, i) => ({ ...p, rank: i + 1 }));
}
