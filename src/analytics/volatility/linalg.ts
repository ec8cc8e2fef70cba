/**
 * Small dense linear algebra for regressions: least squares by Householder QR.
 *
 * Solving min ‖Xβ - y‖₂ through the QR factorisation X = QR (Golub & Van Loan, "Matrix
 * Computations", 4th ed., §5.3.3) avoids forming XᵀX, whose condition number is the square of
 * X's; HAR regressors (daily, weekly and monthly averages of the same series) are strongly
 * collinear, so this matters. X is n×k with n >= k, stored row-major in a Float64Array.
 *
 * @example
 * // y = 1 + 2x on three points
 * leastSquares(Float64Array.from([1, 0, 1, 1, 1, 2]), 3, 2, Float64Array.from([1, 3, 5])).beta;
 * // ≈ [1, 2]
 */

/** Result of {@link leastSquares}. */
export interface LeastSquaresResult {
  /** Coefficients β (length k). */
  readonly beta: Float64Array;
  /** Residual sum of squares ‖y - Xβ‖². */
  readonly rss: number;
  /** Upper-triangular R (k×k, row-major), so that (XᵀX)⁻¹ = R⁻¹R⁻ᵀ. */
  readonly r: Float64Array;
}

/** Raised when X does not have full column rank (to working precision). */
export class RankDeficientError extends Error {
  override name = 'RankDeficientError';
}

/**
 * Least-squares solution of Xβ ≈ y by Householder QR.
 *
 * @param x design matrix, n×k, row-major (x[i*k + j] = X_ij)
 * @param n rows (observations), n >= k
 * @param k columns (regressors)
 * @param y response, length n
 * @throws RankDeficientError when a column is (numerically) a combination of the others
 */
export function leastSquares(
  x: ArrayLike<number>,
  n: number,
  k: number,
  y: ArrayLike<number>,
): LeastSquaresResult {
  if (!(Number.isInteger(n) && Number.isInteger(k) && k >= 1 && n >= k))
    throw new RangeError(`leastSquares: need integer n >= k >= 1, got n=${n}, k=${k}`);
  if (x.length !== n * k || y.length !== n)
    throw new RangeError(`leastSquares: sizes do not match (x ${x.length}, y ${y.length}, n=${n}, k=${k})`);
  const a = Float64Array.from(x);
  const b = Float64Array.from(y);
  // Column scales, for a relative rank test.
  const colNorm = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += a[i * k + j]! ** 2;
    colNorm[j] = Math.sqrt(s);
  }
  for (let j = 0; j < k; j++) {
    // Householder vector for column j, rows j..n-1.
    let norm = 0;
    for (let i = j; i < n; i++) norm += a[i * k + j]! ** 2;
    norm = Math.sqrt(norm);
    if (!(norm > 1e-12 * (colNorm[j]! || 1)))
      throw new RankDeficientError(`leastSquares: column ${j} is linearly dependent on the others`);
    const ajj = a[j * k + j]!;
    const alpha = ajj > 0 ? -norm : norm;
    // v = x - alpha e1, stored in place below the diagonal; v0 = ajj - alpha.
    const v0 = ajj - alpha;
    a[j * k + j] = v0;
    let vnorm2 = v0 * v0;
    for (let i = j + 1; i < n; i++) vnorm2 += a[i * k + j]! ** 2;
    // Apply H = I - 2vvᵀ/(vᵀv) to the remaining columns and to b.
    for (let c = j + 1; c < k; c++) {
      let dot = 0;
      for (let i = j; i < n; i++) dot += a[i * k + j]! * a[i * k + c]!;
      const t = (2 * dot) / vnorm2;
      for (let i = j; i < n; i++) a[i * k + c]! -= t * a[i * k + j]!;
    }
    let dot = 0;
    for (let i = j; i < n; i++) dot += a[i * k + j]! * b[i]!;
    const t = (2 * dot) / vnorm2;
    for (let i = j; i < n; i++) b[i]! -= t * a[i * k + j]!;
    a[j * k + j] = alpha; // R_jj
  }
  // Back substitution R β = (Qᵀy)[0..k).
  const beta = new Float64Array(k);
  const r = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = i; j < k; j++) r[i * k + j] = a[i * k + j]!;
  for (let i = k - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let j = i + 1; j < k; j++) s -= r[i * k + j]! * beta[j]!;
    beta[i] = s / r[i * k + i]!;
  }
  let rss = 0;
  for (let i = k; i < n; i++) rss += b[i]! ** 2;
  return { beta, rss, r };
}
