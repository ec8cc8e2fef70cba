/**
 * First-passage probabilities: how likely is a price to touch a barrier (a liquidation price)
 * at any moment within a horizon, not merely to end beyond it?
 *
 * Model. The price is a geometric Brownian motion dS = μ S dt + σ S dW (μ, σ per year), so
 * X_t = ln(S_t/S_0) = ν t + σ W_t is a Brownian motion with drift ν = μ - σ²/2. A barrier L
 * becomes the level b = ln(L/S_0) for X. Write a = |b| > 0 for the distance to the barrier in
 * log space and m = ν · sign(b) for the drift towards it. Then (reflection principle with
 * drift, via Girsanov; e.g. Harrison 1985, "Brownian Motion and Stochastic Flow Systems",
 * ch. 1; Karatzas & Shreve 1991, "Brownian Motion and Stochastic Calculus", §3.5.C; Shreve
 * 2004, "Stochastic Calculus for Finance II", §7.2)
 *
 *   P(τ <= T) = Φ((-a + mT)/(σ√T)) + exp(2ma/σ²) · Φ((-a - mT)/(σ√T)),   τ = first hitting time.
 *
 * Special cases: driftless in log space (ν = 0) gives P = 2 Φ(-a/(σ√T)) = 2 Φ(ln(L/S)/(σ√T))
 * for a barrier below (the plain reflection principle); T → ∞ gives 1 if m >= 0 and
 * exp(2ma/σ²) if m < 0 (the price drifts away and may never come back).
 *
 * Numerics: for z = (a + mT)/(σ√T) > 0 the second term is evaluated as
 * exp(-(a - mT)²/(2σ²T)) · Φ(-z)e^{z²/2} (the two huge exponents cancel analytically), so a
 * huge exponential times a tiny tail never overflows; the result is clamped to [0, 1].
 *
 * This is continuous monitoring. A liquidation engine checks the mark at discrete times, so
 * the true probability is slightly lower (Broadie, Glasserman & Kou 1997: a barrier monitored
 * every Δt acts like a continuous one shifted away by 0.5826 σ√Δt); for minute-level marks the
 * difference is negligible. The Monte Carlo check in src/sim/paths/first-passage-mc.ts uses a
 * Brownian-bridge correction so it estimates the continuous-monitoring value without bias.
 *
 * Float64 throughout: this is a risk screen, never a money movement (DESIGN §3).
 *
 * @example
 * // BTC at 60,000, long liquidated at 54,000, 60% annual vol, next 7 days:
 * liquidationProbability('long', 60_000, 54_000, 0.6, 7 / 365); // ≈ 0.2158
 */
import { normalCdf, normalScaledTail, normalSf } from '../core/pricing/normal.ts';

/** Days per year used to turn hours/days into years: crypto trades 24/7, 365 days. */
export const DAYS_PER_YEAR = 365;
/** Hours per year (24 × 365). */
export const HOURS_PER_YEAR = 24 * DAYS_PER_YEAR;
/** Minutes per year (60 × 24 × 365). */
export const MINUTES_PER_YEAR = 60 * HOURS_PER_YEAR;

/**
 * P(a Brownian motion with drift m towards a barrier at distance a, volatility σ, started at
 * 0, touches the barrier within time T). Units: a in the motion's units (log price), m per
 * unit time, σ per √(unit time), T in the same time unit.
 *
 * Edge cases: a <= 0 (at or beyond the barrier) → 1; T <= 0 → 0; σ = 0 → 1 if mT >= a else 0;
 * T = ∞ → 1 if m >= 0 else exp(2ma/σ²).
 *
 * @example
 * brownianHitProbability(0.1, 0, 0.2, 1); // 2Φ(-0.5) = 0.6170750774519738
 */
export function brownianHitProbability(
  distance: number,
  driftTowards: number,
  sigma: number,
  horizon: number,
): number {
  const a = distance;
  const m = driftTowards;
  if ([a, m, sigma, horizon].some(Number.isNaN)) throw new RangeError('first passage: NaN input');
  if (sigma < 0) throw new RangeError(`first passage: sigma must be >= 0, got ${sigma}`);
  if (a <= 0) return 1;
  if (!(horizon > 0)) return 0;
  const s2 = sigma * sigma;
  const sd = sigma * Math.sqrt(horizon);
  // Zero volatility (or so small that σ² underflows): the path is the line m·t.
  if (!(s2 > 0) || !(sd > 0)) return m * horizon >= a ? 1 : 0;
  if (horizon === Number.POSITIVE_INFINITY) return m >= 0 ? 1 : Math.exp((2 * m * a) / s2);
  const first = normalCdf((-a + m * horizon) / sd);
  // Second term exp(2ma/σ²) · Φ(-z), z = (a + mT)/(σ√T). For z > 0 it is formed as
  // exp(-(a - mT)²/(2σ²T)) · Φ(-z)·exp(z²/2), since 2ma/σ² - z²/2 = -(a - mT)²/(2σ²T):
  // no overflow, no cancellation of two huge exponents. For z <= 0, m < 0 and exp(2ma/σ²) < 1.
  const z = (a + m * horizon) / sd;
  const second =
    z > 0
      ? Math.exp(-((a - m * horizon) ** 2) / (2 * s2 * horizon)) * normalScaledTail(z)
      : Math.exp((2 * m * a) / s2) * normalSf(z);
  const p = first + second;
  return Math.min(1, Math.max(0, p));
}

/** Inputs of {@link gbmHitProbability}. */
export interface GbmHitInput {
  /** Current price (> 0), any unit. */
  readonly spot: number;
  /** Barrier price (> 0), same unit; below spot = a floor, above = a ceiling. */
  readonly barrier: number;
  /** GBM drift μ per year (arithmetic: E[S_t] = S_0 e^{μt}). 0 = martingale. */
  readonly muPerYear: number;
  /** Volatility σ per √year (e.g. 0.6 = 60% annualised). */
  readonly sigmaPerYear: number;
  /** Horizon T in years (1/365 = one day); may be Infinity. */
  readonly horizonYears: number;
}

/**
 * P(a GBM started at `spot` touches `barrier` within `horizonYears`), continuous monitoring.
 * The direction follows from the barrier's side; barrier == spot → 1.
 *
 * @example
 * gbmHitProbability({ spot: 100, barrier: 90, muPerYear: 0, sigmaPerYear: 0.5, horizonYears: 0.25 });
 * // ≈ 0.7083
 */
export function gbmHitProbability(input: GbmHitInput): number {
  const { spot, barrier, muPerYear, sigmaPerYear, horizonYears } = input;
  if (!(spot > 0) || !(barrier > 0) || !Number.isFinite(spot) || !Number.isFinite(barrier))
    throw new RangeError(`first passage: spot and barrier must be finite and > 0, got ${spot}, ${barrier}`);
  const b = Math.log(barrier / spot);
  const nu = muPerYear - (sigmaPerYear * sigmaPerYear) / 2;
  return brownianHitProbability(Math.abs(b), b < 0 ? -nu : nu, sigmaPerYear, horizonYears);
}

/** Which way a position makes money: a long loses when the price falls. */
export type PositionSide = 'long' | 'short';

/** Options of {@link liquidationProbability}. */
export interface LiquidationProbabilityOptions {
  /**
   * GBM drift μ per year of the mark. Default 0: the mark is a martingale (no view on
   * direction), which puts the log price's drift at -σ²/2.
   */
  readonly muPerYear?: number;
}

/**
 * Probability that a position is liquidated within a horizon: the mark touches the
 * liquidation price (below the mark for a long, above for a short) under a GBM with the
 * given volatility. Continuous monitoring (see the module header).
 *
 * - A liquidation price already reached (long: liq >= mark; short: liq <= mark) → 1.
 * - No liquidation price (`null`, a long's liq <= 0, a short's liq = ∞) → 0.
 *
 * @param side 'long' or 'short'
 * @param markPrice current mark (> 0)
 * @param liquidationPrice the mark at which equity = maintenance margin, or null if none
 * @param sigmaPerYear forecast volatility per √year (e.g. from a GARCH or HAR forecast)
 * @param horizonYears horizon in years (e.g. 1/365 for a day, 1/8760 for an hour)
 *
 * @example
 * liquidationProbability('long', 60_000, 54_000, 0.6, 1 / 365);  // ≈ 0.000837
 * liquidationProbability('short', 60_000, 66_000, 0.6, 1 / 365); // ≈ 0.002294
 */
export function liquidationProbability(
  side: PositionSide,
  markPrice: number,
  liquidationPrice: number | null,
  sigmaPerYear: number,
  horizonYears: number,
  options: LiquidationProbabilityOptions = {},
): number {
  if (!(markPrice > 0) || !Number.isFinite(markPrice))
    throw new RangeError(`liquidationProbability: mark must be finite and > 0, got ${markPrice}`);
  if (liquidationPrice === null || Number.isNaN(liquidationPrice)) return 0;
  if (side === 'long') {
    if (liquidationPrice >= markPrice) return 1;
    if (liquidationPrice <= 0) return 0;
  } else {
    if (liquidationPrice <= markPrice) return 1;
    if (liquidationPrice === Number.POSITIVE_INFINITY) return 0;
  }
  return gbmHitProbability({
    spot: markPrice,
    barrier: liquidationPrice,
    muPerYear: options.muPerYear ?? 0,
    sigmaPerYear,
    horizonYears,
  });
}
