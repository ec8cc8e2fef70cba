/**
 * The Diebold–Mariano test of equal predictive accuracy (Diebold & Mariano 1995, "Comparing
 * predictive accuracy", J. Business & Economic Statistics 13), with the small-sample
 * correction of Harvey, Leybourne & Newbold (1997), Int. J. Forecasting 13.
 *
 * For losses L_A,t and L_B,t of two forecasts of the same targets, d_t = L_A,t - L_B,t and
 *
 *   DM = d̄ / √(V̂/n),   V̂ = γ̂₀ + 2 Σ_{j=1..q} (1 - j/(q+1)) γ̂_j   (Newey–West, Bartlett weights),
 *
 * with q = h - 1 for h-step forecasts (their errors overlap, so d_t is MA(h-1) under the null).
 * HLN scale DM by √((n + 1 - 2h + h(h-1)/n)/n). Under H₀: E[d_t] = 0, the statistic is
 * approximately N(0, 1) (HLN suggest Student t with n-1 degrees of freedom; with the hundreds
 * to thousands of forecasts used here the two agree to the digits printed). Negative DM means
 * A has the lower loss. The p-value is two-sided.
 *
 * @example
 * const { statistic, pValue } = dieboldMariano(lossesGarch, lossesEwma, 1);
 * // statistic < 0 and pValue < 0.05: GARCH has significantly lower loss than EWMA
 */
import { normalCdf } from '../../core/pricing/normal.ts';

/** Result of {@link dieboldMariano}. */
export interface DieboldMarianoResult {
  /** HLN-corrected DM statistic (negative: first forecast better). */
  readonly statistic: number;
  /** Two-sided p-value, normal approximation. */
  readonly pValue: number;
  /** d̄ = mean(L_A - L_B). */
  readonly meanDifference: number;
  readonly n: number;
}

/**
 * Diebold–Mariano test of equal expected loss.
 * @param lossA losses of forecast A
 * @param lossB losses of forecast B (same length and targets)
 * @param horizon forecast horizon h (>= 1); sets the Newey–West lag q = h - 1
 */
export function dieboldMariano(
  lossA: ArrayLike<number>,
  lossB: ArrayLike<number>,
  horizon = 1,
): DieboldMarianoResult {
  const n = lossA.length;
  if (n !== lossB.length) throw new RangeError('dieboldMariano: loss series differ in length');
  if (n < 2) throw new RangeError('dieboldMariano: need at least 2 losses');
  if (!(Number.isInteger(horizon) && horizon >= 1))
    throw new RangeError('dieboldMariano: horizon must be >= 1');
  const d = new Float64Array(n);
  let mean = 0;
  for (let i = 0; i < n; i++) {
    d[i] = lossA[i]! - lossB[i]!;
    mean += d[i]!;
  }
  mean /= n;
  const gamma = (j: number): number => {
    let s = 0;
    for (let t = j; t < n; t++) s += (d[t]! - mean) * (d[t - j]! - mean);
    return s / n;
  };
  const q = Math.min(horizon - 1, n - 1);
  let v = gamma(0);
  for (let j = 1; j <= q; j++) v += 2 * (1 - j / (q + 1)) * gamma(j);
  if (!(v > 0)) return { statistic: Number.NaN, pValue: Number.NaN, meanDifference: mean, n };
  const dm = mean / Math.sqrt(v / n);
  const h = horizon;
  const hln = Math.sqrt(Math.max(0, (n + 1 - 2 * h + (h * (h - 1)) / n) / n));
  const statistic = dm * hln;
  return { statistic, pValue: 2 * normalCdf(-Math.abs(statistic)), meanDifference: mean, n };
}
