/**
 * The standard normal distribution in float64, accurate to about 1e-15 relative
 * everywhere it is representable, including the far lower tail.
 *
 *     φ(x) = e^{−x²/2} / √(2π)          pdf
 *     Φ(x) = ∫_{−∞}^{x} φ(t) dt          cdf
 *     Φ⁻¹(p)                             inverse cdf (quantile)
 *
 * Why not `simple-statistics`' cdf: it is table based (Φ(−3.1) = 0.001 instead of
 * 0.000968), and option prices far out of the money are ratios of tail
 * probabilities, so the tails must be right *relatively*, not just absolutely.
 *
 * Algorithms (all published with their coefficients, public domain or permissively licensed):
 * - Φ: W. J. Cody's ANORM (netlib SPECFUN, 1992), the rational Chebyshev
 *   approximations of "Rational Chebyshev approximations for the error function",
 *   Math. Comp. 23 (1969) 631–638, written directly in x (no x/√2 rounding). Three
 *   intervals: |x| ≤ 0.66291, ≤ √32, and beyond, where Φ(x) = φ(x)/|x|·R(1/x²) is
 *   the erfc asymptotic form. Each exponential is split as
 *   e^{−x²/2} = e^{−xs²/2}·e^{−(x−xs)(x+xs)/2} with xs = trunc(16x)/16 so that x²
 *   is never rounded (Cody's trick). Cody's cut-off at x = −37.519 (the last
 *   *normal* double) is lifted: down to x ≈ −38.47 the result is a subnormal,
 *   computed with one final rounding, so Φ(−38) ≈ 2.885e−316 rather than 0.
 * - erf, erfc, erfcx = e^{x²}·erfc(x): Cody's CALERF (same paper, netlib SPECFUN).
 *   erfcx gives the Mills ratio Φ(−z)/φ(z) = √(π/2)·erfcx(z/√2) that the normalised Black
 *   function is built on (normalised-black.ts).
 * - 1 − Φ, ln Φ and the scaled tail Φ(−y)·e^{y²/2}: the same ANORM rationals, without the
 *   exponential (scaled tail) or with it taken as a logarithm (ln Φ never underflows), for the
 *   first-passage probabilities of the risk analytics (analytics/first-passage.ts).
 * - Φ⁻¹: M. J. Wichura, "Algorithm AS 241: The percentage points of the normal
 *   distribution", Applied Statistics 37 (1988) 477–484 (PPND16, ~1e−16 relative).
 *
 * Coefficients are the published ones written in their shortest round-trip float64 form
 * (the same doubles; the lint rule noPrecisionLoss refuses the extra digits).
 *
 * Accuracy measured against mpmath at 50 digits (test/vectors/normal_mpmath.json):
 * see normal.test.ts for the bounds asserted.
 */

/** 1/√(2π) */
export const ONE_OVER_SQRT_TWO_PI = 0.3989422804014327;
/** √(2π) */
export const SQRT_TWO_PI = 2.5066282746310007;
/** 1/√2 */
export const ONE_OVER_SQRT_TWO = Math.SQRT1_2;

/**
 * e^{−x²/2} without rounding x²: x = xs + δ with xs = trunc(16x)/16, so xs² is
 * exact and e^{−x²/2} = e^{−xs²/2} · e^{−(x−xs)(x+xs)/2} (Cody).
 */
function expMinusHalfSquare(x: number): number {
  const xs = Math.trunc(x * 16) / 16;
  const del = (x - xs) * (x + xs);
  return Math.exp(-xs * xs * 0.5) * Math.exp(-del * 0.5);
}

/**
 * Standard normal density φ(x) = e^{−x²/2}/√(2π).
 * @example normalPdf(0) // 0.3989422804014327
 */
export function normalPdf(x: number): number {
  // φ underflows to 0 beyond |x| ≈ 38.6; this also maps ±∞ to 0 (not NaN).
  if (!(Math.abs(x) <= 40)) return Number.isNaN(x) ? Number.NaN : 0;
  return ONE_OVER_SQRT_TWO_PI * expMinusHalfSquare(x);
}

// ---- Cody ANORM coefficients (netlib specfun, DOUBLE PRECISION DATA) ----
const A = [
  2.2352520354606837, 161.02823106855587, 1067.6894854603709, 18154.98125334356, 0.06568233791820745,
];
const B = [47.202581904688245, 976.0985517377767, 10260.932208618979, 45507.78933502673];
const C = [
  0.39894151208813466, 8.883149794388377, 93.50665613217785, 597.2702763948002, 2494.5375852903726,
  6848.190450536283, 11602.65143764735, 9842.714838383978, 1.0765576773720192e-8,
];
const D = [
  22.266688044328117, 235.387901782625, 1519.3775994075547, 6485.558298266761, 18615.571640885097,
  34900.95272114598, 38912.00328609327, 19685.429676859992,
];
const P = [
  0.215898534057957, 0.12740116116024736, 0.022235277870649807, 0.0014216191932278934,
  0.000029112874951168793, 0.023073441764940174,
];
const Q = [
  1.284260096144911, 0.4682382124808651, 0.06598813786892856, 0.0037823963320275824, 0.00007297515550839662,
];

const THRESH_ANORM = 0.66291; // Φ(THRESH) = 0.75
const ROOT32 = 5.656854248;
/** Below this, Φ(x) < 2^−1074 (the smallest subnormal) and rounds to 0. */
const CDF_UNDERFLOW = -38.5;
/** Above this, 1 − Φ(x) < ε/2 and Φ(x) rounds to 1 (Cody's XUPPR). */
const CDF_ONE = 8.572;
/** e^{−700} (normal); splitting it off keeps the subnormal tail at one rounding. */
const EXP_MINUS_700 = Math.exp(-700);

/** R(y) = Φ(−y)·e^{y²/2} for y ≥ √32: (1/√(2π) − R(1/y²)/y²)/y, Cody's asymptotic range. */
function farTailRational(y: number): number {
  const xsq = 1 / (y * y);
  let xnum = P[5]! * xsq;
  let xden = xsq;
  for (let i = 0; i < 4; i++) {
    xnum = (xnum + P[i]!) * xsq;
    xden = (xden + Q[i]!) * xsq;
  }
  const r = (xsq * (xnum + P[4]!)) / (xden + Q[4]!);
  return (ONE_OVER_SQRT_TWO_PI - r) / y;
}

/** R(y) = Φ(−y)·e^{y²/2} for THRESH_ANORM < y ≤ √32: Cody's middle range. */
function midTailRational(y: number): number {
  let xnum = C[8]! * y;
  let xden = y;
  for (let i = 0; i < 7; i++) {
    xnum = (xnum + C[i]!) * y;
    xden = (xden + D[i]!) * y;
  }
  return (xnum + C[7]!) / (xden + D[7]!);
}

/**
 * Lower tail Φ(x) for x ≤ −√32: Φ(x) = e^{−x²/2}/|x| · (1/√(2π) − R(1/x²)/x²).
 * For x < −37.4 the result is subnormal: the large exponential is split into
 * e^{700−xs²/2} (normal) × e^{−700} so the product rounds once.
 */
function lowerTail(x: number): number {
  const r = farTailRational(-x);
  const xs = Math.trunc(x * 16) / 16;
  const del = (x - xs) * (x + xs);
  const halfSq = xs * xs * 0.5; // exact
  if (halfSq < 700) return Math.exp(-halfSq) * Math.exp(-del * 0.5) * r;
  return Math.exp(700 - halfSq) * Math.exp(-del * 0.5) * r * EXP_MINUS_700;
}

/**
 * Standard normal cdf Φ(x) = P(Z ≤ x) (Cody's ANORM, extended into subnormals).
 * Relative accuracy ≈ 1e−15 for x ≤ 0; for x > 0 it is 1 − Φ(−x) (absolute ε).
 * @example normalCdf(-3.1) // 0.0009676032132183563
 * @example normalCdf(-38) > 0 // true (≈ 2.885e−316, subnormal)
 */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const y = Math.abs(x);
  if (y <= THRESH_ANORM) {
    const xsq = y > 1.11e-16 ? x * x : 0;
    let xnum = A[4]! * xsq;
    let xden = xsq;
    for (let i = 0; i < 3; i++) {
      xnum = (xnum + A[i]!) * xsq;
      xden = (xden + B[i]!) * xsq;
    }
    return 0.5 + (x * (xnum + A[3]!)) / (xden + B[3]!);
  }
  if (y <= ROOT32) {
    const tail = expMinusHalfSquare(y) * midTailRational(y); // Φ(−|x|)
    return x > 0 ? 1 - tail : tail;
  }
  if (x < 0) return x < CDF_UNDERFLOW ? 0 : lowerTail(x);
  return x >= CDF_ONE ? 1 : 1 - lowerTail(-x);
}

/**
 * Upper tail 1 − Φ(x) = Φ(−x), computed directly (relative accuracy for large x, no cancellation).
 * @example normalSf(3) // 0.0013498980316300946
 */
export function normalSf(x: number): number {
  return normalCdf(-x);
}

/**
 * The scaled upper tail Φ(−y)·e^{y²/2} for y ≥ 0 (the Mills ratio Φ(−y)/φ(y) divided by √(2π)):
 * Cody's rational part on its own. Finite for every y, ≈ 1/(y√(2π)) for large y; a product
 * e^A·Φ(−y) with A ≈ y²/2 (first-passage probabilities) is formed as e^{A−y²/2}·normalScaledTail(y)
 * without overflow or cancellation.
 * @example normalScaledTail(0) // 0.5
 */
export function normalScaledTail(y: number): number {
  if (!(y >= 0)) throw new RangeError(`normalScaledTail needs y >= 0, got ${y}`);
  if (y === Number.POSITIVE_INFINITY) return 0;
  if (y <= THRESH_ANORM) return normalSf(y) * Math.exp(0.5 * y * y);
  return y <= ROOT32 ? midTailRational(y) : farTailRational(y);
}

/**
 * ln Φ(x), accurate in the far lower tail where Φ(x) itself underflows (to x ≈ −1.3e154, beyond
 * which x² overflows and the result is −∞): ln Φ(x) = −x²/2 + ln(Φ(x)·e^{x²/2}), with x² split
 * as in the cdf so that it is exact.
 * @example normalLogCdf(-40) // -804.6084420137538
 */
export function normalLogCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x > 0) {
    const sf = normalSf(x);
    return sf === 0 ? 0 : Math.log1p(-sf);
  }
  if (x >= -THRESH_ANORM) return Math.log(normalCdf(x));
  const y = -x;
  if (y === Number.POSITIVE_INFINITY) return Number.NEGATIVE_INFINITY;
  const ys = Math.trunc(y * 16) / 16;
  const del = (y - ys) * (y + ys);
  return -ys * ys * 0.5 - del * 0.5 + Math.log(normalScaledTail(y));
}

// ---- Cody CALERF (erf, erfc, erfcx) ----
const EA = [
  3.1611237438705655, 113.86415415105016, 377.485237685302, 3209.3775891384694, 0.18577770618460315,
];
const EB = [23.601290952344122, 244.02463793444417, 1282.6165260773723, 2844.236833439171];
const EC = [
  0.5641884969886701, 8.883149794388377, 66.11919063714163, 298.6351381974001, 881.952221241769,
  1712.0476126340707, 2051.0783778260716, 1230.3393547979972, 2.1531153547440383e-8,
];
const ED = [
  15.744926110709835, 117.6939508913125, 537.1811018620099, 1621.3895745666903, 3290.7992357334597,
  4362.619090143247, 3439.3676741437216, 1230.3393548037495,
];
const EP = [
  0.30532663496123236, 0.36034489994980445, 0.12578172611122926, 0.016083785148742275, 0.0006587491615298378,
  0.016315387137302097,
];
const EQ = [
  2.568520192289822, 1.8729528499234604, 0.5279051029514285, 0.06051834131244132, 0.0023352049762686918,
];
const SQRPI = 0.5641895835477563; // 1/√π
const XNEG = -26.628;
const XSMALL = 1.11e-16;
const XBIG = 26.543;
const XHUGE = 6.71e7;
const XMAX = 2.53e307;

/** Cody's CALERF: jint 0 → erf, 1 → erfc, 2 → erfcx. */
function calerf(x: number, jint: 0 | 1 | 2): number {
  const y = Math.abs(x);
  let result: number;
  if (y <= 0.46875) {
    const ysq = y > XSMALL ? y * y : 0;
    let xnum = EA[4]! * ysq;
    let xden = ysq;
    for (let i = 0; i < 3; i++) {
      xnum = (xnum + EA[i]!) * ysq;
      xden = (xden + EB[i]!) * ysq;
    }
    result = (x * (xnum + EA[3]!)) / (xden + EB[3]!);
    if (jint !== 0) result = 1 - result;
    if (jint === 2) result = Math.exp(ysq) * result;
    return result;
  }
  if (y <= 4) {
    let xnum = EC[8]! * y;
    let xden = y;
    for (let i = 0; i < 7; i++) {
      xnum = (xnum + EC[i]!) * y;
      xden = (xden + ED[i]!) * y;
    }
    result = (xnum + EC[7]!) / (xden + ED[7]!);
    if (jint !== 2) {
      const ysq = Math.trunc(y * 16) / 16;
      const del = (y - ysq) * (y + ysq);
      result = Math.exp(-ysq * ysq) * Math.exp(-del) * result;
    }
  } else {
    result = 0;
    let done = false;
    if (y >= XBIG) {
      if (jint !== 2 || y >= XMAX) done = true;
      else if (y >= XHUGE) {
        result = SQRPI / y;
        done = true;
      }
    }
    if (!done) {
      const ysq = 1 / (y * y);
      let xnum = EP[5]! * ysq;
      let xden = ysq;
      for (let i = 0; i < 4; i++) {
        xnum = (xnum + EP[i]!) * ysq;
        xden = (xden + EQ[i]!) * ysq;
      }
      result = (ysq * (xnum + EP[4]!)) / (xden + EQ[4]!);
      result = (SQRPI - result) / y;
      if (jint !== 2) {
        const ys = Math.trunc(y * 16) / 16;
        const del = (y - ys) * (y + ys);
        result = Math.exp(-ys * ys) * Math.exp(-del) * result;
      }
    }
  }
  // Fix up for negative argument.
  if (jint === 0) {
    result = 0.5 - result + 0.5;
    if (x < 0) result = -result;
  } else if (jint === 1) {
    if (x < 0) result = 2 - result;
  } else if (x < 0) {
    if (x < XNEG) result = Number.MAX_VALUE;
    else {
      const ys = Math.trunc(x * 16) / 16;
      const del = (x - ys) * (x + ys);
      const e = Math.exp(ys * ys) * Math.exp(del);
      result = e + e - result;
    }
  }
  return result;
}

/** Error function erf(x) (Cody). */
export function erf(x: number): number {
  return calerf(x, 0);
}
/** Complementary error function erfc(x) = 1 − erf(x) (Cody), relative accuracy in the right tail. */
export function erfc(x: number): number {
  return calerf(x, 1);
}
/** Scaled complementary error function erfcx(x) = e^{x²}·erfc(x) (Cody). */
export function erfcx(x: number): number {
  return calerf(x, 2);
}

// ---- Wichura AS 241 (PPND16) ----
const SPLIT1 = 0.425;
const SPLIT2 = 5;
const CONST1 = 0.180625;
const CONST2 = 1.6;
const IA = [
  3.3871328727963665, 133.14166789178438, 1971.5909503065513, 13731.69376550946, 45921.95393154987,
  67265.7709270087, 33430.57558358813, 2509.0809287301227,
];
const IB = [
  1, 42.31333070160091, 687.1870074920579, 5394.196021424751, 21213.794301586597, 39307.89580009271,
  28729.085735721943, 5226.495278852854,
];
const IC = [
  1.4234371107496835, 4.630337846156546, 5.769497221460691, 3.6478483247632045, 1.2704582524523684,
  0.2417807251774506, 0.022723844989269184, 0.0007745450142783414,
];
const ID = [
  1, 2.053191626637759, 1.6763848301838038, 0.6897673349851, 0.14810397642748008, 0.015198666563616457,
  0.0005475938084995345, 1.0507500716444169e-9,
];
const IE = [
  6.657904643501103, 5.463784911164114, 1.7848265399172913, 0.29656057182850487, 0.026532189526576124,
  0.0012426609473880784, 0.000027115555687434876, 2.0103343992922881e-7,
];
const IF = [
  1, 0.599832206555888, 0.1369298809227358, 0.014875361290850615, 0.0007868691311456133,
  0.000018463183175100548, 1.421511758316446e-7, 2.0442631033899397e-15,
];

function poly7(c: readonly number[], r: number): number {
  return (
    ((((((c[7]! * r + c[6]!) * r + c[5]!) * r + c[4]!) * r + c[3]!) * r + c[2]!) * r + c[1]!) * r + c[0]!
  );
}

/**
 * Inverse standard normal cdf Φ⁻¹(p) (Wichura's AS 241, PPND16; ≈1e−16 relative).
 * Returns −∞ for p = 0, +∞ for p = 1, NaN outside [0, 1].
 * @example normalInv(0.975) // 1.9599639845400536 (exact: 1.959963984540054…)
 */
export function normalInv(p: number): number {
  if (!(p >= 0 && p <= 1)) return Number.NaN;
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  const q = p - 0.5;
  if (Math.abs(q) <= SPLIT1) {
    const r = CONST1 - q * q;
    return (q * poly7(IA, r)) / poly7(IB, r);
  }
  let r = q < 0 ? p : 1 - p;
  r = Math.sqrt(-Math.log(r));
  let x: number;
  if (r <= SPLIT2) {
    r -= CONST2;
    x = poly7(IC, r) / poly7(ID, r);
  } else {
    r -= SPLIT2;
    x = poly7(IE, r) / poly7(IF, r);
  }
  return q < 0 ? -x : x;
}
