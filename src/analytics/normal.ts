/**
 * The standard normal distribution, in float64, for risk science (not money).
 *
 * `normCdf` is W. J. Cody's rational Chebyshev approximation (Cody 1969, "Rational Chebyshev
 * approximations for the error function", Math. Comp. 23; as packaged in ACM TOMS Algorithm 715,
 * 1993, and as R's `pnorm` runs it). Three ranges:
 *   |x| <= 0.67448975            Φ(x) = 1/2 + x · P(x²)/Q(x²)
 *   0.67448975 < |x| <= √32      Φ(-|x|) = exp(-x²/2) · R(|x|)/S(|x|)
 *   |x| > √32                    Φ(-|x|) = exp(-x²/2) · (1/√(2π) - z·T(z)/U(z)) / |x|,  z = 1/x²
 * with exp(-x²/2) split as exp(-xs²/2)·exp(-(x-xs)(x+xs)/2), xs = x truncated to 1/16, so the
 * argument of exp is exact. Relative error is near machine precision in both tails (the
 * tail is computed directly, never as 1 - Φ), which first-passage probabilities need.
 *
 * `normLogCdf` returns ln Φ(x) without underflow for very negative x (down to about -1e170),
 * so products like exp(a) · Φ(x) with a large and Φ(x) tiny can be formed as exp(a + ln Φ(x)).
 *
 * @example
 * normCdf(-1.959963984540054); // 0.025
 * normLogCdf(-40);              // -804.6084420137538 (Φ(-40) underflows to 0 as a float)
 *
 * `normScaledTail(y)` = Φ(-y)·exp(y²/2), Cody's rational part on its own, for products of a
 * huge exponential and a tiny tail (first-passage probabilities).
 */

// Cody's coefficients (as printed in R's pnorm.c), each written as the shortest literal that
// gives the same double, so nothing is lost in parsing.
const A = [
  2.2352520354606837, 161.02823106855587, 1067.6894854603709, 18154.98125334356, 0.06568233791820745,
] as const;
const B = [47.202581904688245, 976.0985517377767, 10260.932208618979, 45507.78933502673] as const;
const C = [
  0.39894151208813466, 8.883149794388377, 93.50665613217785, 597.2702763948002, 2494.5375852903726,
  6848.190450536283, 11602.65143764735, 9842.714838383978, 1.0765576773720192e-8,
] as const;
const D = [
  22.266688044328117, 235.387901782625, 1519.3775994075547, 6485.558298266761, 18615.571640885097,
  34900.95272114598, 38912.00328609327, 19685.429676859992,
] as const;
const P = [
  0.215898534057957, 0.12740116116024736, 0.022235277870649807, 0.0014216191932278934, 2.9112874951168793e-5,
  0.023073441764940174,
] as const;
const Q = [
  1.284260096144911, 0.4682382124808651, 0.06598813786892856, 0.0037823963320275824, 7.297515550839662e-5,
] as const;

const M_1_SQRT_2PI = 0.3989422804014327; // 1/√(2π)
const SQRT_32 = Math.sqrt(32);
const HALF_EPS = Number.EPSILON / 2;

/**
 * For y > 0.67448975: R(y) with Φ(-y) = exp(-y²/2) · R(y) (Cody's second and third ranges).
 * Valid for arbitrarily large y (R(y) → 1/(y√(2π))).
 */
function scaledTailRational(y: number): number {
  if (y <= SQRT_32) {
    let xnum = C[8] * y;
    let xden = y;
    for (let i = 0; i < 7; i++) {
      xnum = (xnum + C[i]!) * y;
      xden = (xden + D[i]!) * y;
    }
    return (xnum + C[7]) / (xden + D[7]);
  }
  const xsq = 1 / (y * y);
  let xnum = P[5] * xsq;
  let xden = xsq;
  for (let i = 0; i < 4; i++) {
    xnum = (xnum + P[i]!) * xsq;
    xden = (xden + Q[i]!) * xsq;
  }
  const temp = (xsq * (xnum + P[4])) / (xden + Q[4]);
  return (M_1_SQRT_2PI - temp) / y;
}

/**
 * Lower and upper tails of the standard normal at x, both computed directly.
 * With `log`, the logarithms (the tail that is near 1 uses log1p).
 */
function normBoth(x: number, log: boolean): [lower: number, upper: number] {
  if (Number.isNaN(x)) return [Number.NaN, Number.NaN];
  const y = Math.abs(x);
  if (y <= 0.67448975) {
    let xnum = 0;
    let xden = 0;
    if (y > HALF_EPS) {
      const xsq = x * x;
      xnum = A[4] * xsq;
      xden = xsq;
      for (let i = 0; i < 3; i++) {
        xnum = (xnum + A[i]!) * xsq;
        xden = (xden + B[i]!) * xsq;
      }
    }
    const temp = (x * (xnum + A[3])) / (xden + B[3]);
    const lo = 0.5 + temp;
    const up = 0.5 - temp;
    return log ? [Math.log(lo), Math.log(up)] : [lo, up];
  }
  if (!(log ? y < 1e170 : y < 37.5193)) {
    // Beyond every representable tail: Φ(-y) = 0 (or ln = -∞).
    const small = log ? Number.NEGATIVE_INFINITY : 0;
    const big = log ? 0 : 1;
    return x > 0 ? [big, small] : [small, big];
  }
  const temp = scaledTailRational(y);
  // tail = Φ(-y) = exp(-y²/2) · temp, with the exponent split so that it is exact.
  const ys = Math.trunc(y * 16) / 16;
  const del = (y - ys) * (y + ys);
  let tail: number;
  let other: number;
  if (log) {
    tail = -ys * ys * 0.5 - del * 0.5 + Math.log(temp);
    other = Math.log1p(-Math.exp(-ys * ys * 0.5) * Math.exp(-del * 0.5) * temp);
  } else {
    tail = Math.exp(-ys * ys * 0.5) * Math.exp(-del * 0.5) * temp;
    other = 1 - tail;
  }
  return x > 0 ? [other, tail] : [tail, other];
}

/**
 * Φ(x) = P(Z <= x) for a standard normal Z.
 *
 * @example
 * normCdf(0);  // 0.5
 * normCdf(-3); // 0.0013498980316300946
 */
export function normCdf(x: number): number {
  return normBoth(x, false)[0];
}

/** 1 - Φ(x) = Φ(-x), computed directly (no cancellation for large x). */
export function normSf(x: number): number {
  return normBoth(x, false)[1];
}

/**
 * ln Φ(x), accurate in the far lower tail (x down to about -1e170).
 *
 * @example
 * normLogCdf(-40); // -804.6084420137538
 */
export function normLogCdf(x: number): number {
  return normBoth(x, true)[0];
}

/**
 * The scaled upper tail Φ(-y) · exp(y²/2) for y >= 0 (= Mills ratio Φ(-y)/φ(y) divided by
 * √(2π)). Finite for every y, ≈ 1/(y√(2π)) for large y; lets a
 * product exp(A) · Φ(-y) with A ≈ y²/2 be formed as exp(A - y²/2) · normScaledTail(y) without
 * overflow or cancellation.
 *
 * @example
 * normScaledTail(0);   // 0.5
 * normScaledTail(1e6); // ≈ 3.989e-7
 */
export function normScaledTail(y: number): number {
  if (!(y >= 0)) throw new RangeError(`normScaledTail needs y >= 0, got ${y}`);
  if (y === Number.POSITIVE_INFINITY) return 0;
  if (y <= 0.67448975) return normSf(y) * Math.exp(0.5 * y * y);
  return scaledTailRational(y);
}

/** Standard normal density φ(x) = exp(-x²/2)/√(2π). */
export function normPdf(x: number): number {
  return M_1_SQRT_2PI * Math.exp(-0.5 * x * x);
}

/**
 * Φ⁻¹(p): Acklam's rational approximation (relative error < 1.15e-9) refined by one
 * Halley step on normCdf, which brings it to about machine precision.
 *
 * @example
 * normQuantile(0.975); // 1.959963984540054
 */
export function normQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) return Number.NaN;
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const pLow = 0.02425;
  let x: number;
  if (p < pLow) {
    const q = Math.sqrt(-2 * Math.log(p));
    x =
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  } else if (p <= 1 - pLow) {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
      (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log1p(-p));
    x =
      -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  // One Halley step: e = Φ(x) - p, u = e/φ(x), x ← x - u/(1 + x·u/2). Use the upper tail
  // above the median so that the error is relative to the small tail probability.
  const e = x <= 0 ? normCdf(x) - p : 1 - p - normSf(x);
  const u = e / normPdf(x);
  if (Number.isFinite(u)) x = x - u / (1 + (x * u) / 2);
  return x;
}
