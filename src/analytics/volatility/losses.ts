/**
 * Loss functions for variance forecasts h against a realised-variance proxy y.
 *
 * Patton (2011), "Volatility forecast comparison using imperfect volatility proxies",
 * J. Econometrics 160: with a noisy but conditionally unbiased proxy (a squared return, or
 * an intraday realised variance), only losses in his "robust" family rank forecasts as the
 * true variance would. Two members are used here:
 *
 *   MSE    L(h, y) = (y - h)²
 *   QLIKE  L(h, y) = y/h - ln(y/h) - 1      (>= 0, = 0 iff h = y)
 *
 * QLIKE is the Gaussian negative log-likelihood up to terms that depend only on y, so it
 * penalises under-prediction of variance more than over-prediction and is far less driven
 * by a few extreme days than MSE. It needs y > 0: a zero proxy (a period with no price
 * change) makes it +∞ for every forecast, so comparisons drop such periods for all models.
 *
 * @example
 * qlike(1e-4, 1e-4); // 0
 * qlike(1e-4, 2e-4); // 2 - ln 2 - 1 ≈ 0.3069
 */

/** QLIKE loss y/h - ln(y/h) - 1. h > 0; y > 0 (y = 0 gives +∞). */
export function qlike(forecast: number, realized: number): number {
  if (!(forecast > 0)) throw new RangeError(`QLIKE: forecast must be > 0, got ${forecast}`);
  if (!(realized >= 0)) throw new RangeError(`QLIKE: realised variance must be >= 0, got ${realized}`);
  if (realized === 0) return Number.POSITIVE_INFINITY;
  const r = realized / forecast;
  return r - Math.log(r) - 1;
}

/** Squared error of a variance forecast, (y - h)². */
export function mseLoss(forecast: number, realized: number): number {
  return (realized - forecast) ** 2;
}
