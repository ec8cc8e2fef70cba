/**
 * The normalised Black function, its vega, and its inverse (the implied normalised volatility).
 *
 * With x = ln(F/K) and s = σ√T, the undiscounted Black-76 call on a forward F struck at K is
 * √(F·K)·b(x, s) where
 *
 *     b(x, s) = e^{x/2}·Φ(x/s + s/2) − e^{−x/2}·Φ(x/s − s/2),
 *
 * and the put is b(−x, s). The price depends on two numbers only, and 0 < b < b_max = e^{x/2}.
 *
 * ## Out of the money without cancellation
 *
 * Take the out-of-the-money call, x ≤ 0, and write u = −x/s ≥ 0, t = s/2 (so x = −2·u·t). Let
 * R(z) = Φ(−z)/φ(z) be the Mills ratio, R(z) = √(π/2)·erfcx(z/√2) with Cody's erfcx (normal.ts).
 * Since e^{x/2}·φ(t − u) = e^{−x/2}·φ(u + t) = e^{−(u² + t²)/2}/√(2π), the Gaussian factors out of
 * both terms:
 *
 *     b = e^{−(u² + t²)/2}/√(2π) · D,       D = R(u − t) − R(u + t) > 0,                  (1)
 *     b_max − b = e^{x/2}·γ,                γ = Φ(u − t) + φ(u − t)·R(u + t),           (2)
 *
 * a difference of two moderate numbers with the exponential scale removed, and a complement that
 * is a sum of two positive terms. (The erfcx form of (1) is also how P. Jäckel, "Let's Be
 * Rational", Wilmott (2015) 40–53, evaluates part of the plane.) The exponent (u² + t²)/2 is
 * carried as a double-double, so e^{−(u² + t²)/2} keeps its relative accuracy even when the
 * exponent is in the hundreds (a plain (x/s)² would cost ε·u² of the result). D is evaluated in
 * one of four ways, chosen so that no step loses more than a few bits:
 *
 * - t − u ≥ 1 (high volatility): b = e^{x/2}·(1 − γ) from (2), with γ ≤ Φ(−1) + φ(1)·R(1) < 0.32.
 * - u − t ≥ 10 (far out of the money): the asymptotic series (4) below.
 * - t ≥ max(u, 1.25)/4: R(u − t) − R(u + t) as written. The subtraction magnifies the erfcx
 *   rounding by (R(u − t) + R(u + t))/D ≈ max(u, 1.25)/t ≤ 4 here.
 * - otherwise (t small against u, or both small): the Taylor series (3) in t below.
 *
 * Both series come from one integral. Substituting y = z + w in Φ(−z) = ∫_z^∞ φ(y) dy gives
 * R(z) = ∫_0^∞ e^{−z·w − w²/2} dw, hence
 *
 *     D = 2·∫_0^∞ e^{−u·w − w²/2}·sinh(t·w) dw,
 *
 * a positive integrand: expanding it in positive pieces cannot cancel.
 *
 * Small t, expanding sinh(t·w) = Σ (t·w)^{2k+1}/(2k + 1)!:
 *
 *     D = 2·Σ_k t^{2k+1}·M_{2k+1}(u)/(2k + 1)!,    M_n(u) = ∫_0^∞ w^n·e^{−u·w − w²/2} dw > 0.   (3)
 *
 * Integrating by parts, M_{n+1} = n·M_{n−1} − u·M_n (n ≥ 1), M_0 = R(u), M_1 = 1 − u·R(u). Run
 * forwards this cancels once u is large (M_1 ~ 1/u², yet 1 − u·R(u) subtracts numbers near 1),
 * so for u ≥ 1 the ratios r_n = M_n/M_{n−1} come from the recurrence read backwards,
 * r_n = n/(u + r_{n+1}): a continued fraction of positive terms, started ~640/u² levels deep
 * (at most 400) from r ≈ (√(u² + 4n) − u)/2, the large-n solution of r·(u + r) = n, where the
 * starting error has died out by n = 1. For u < 1 the forward recurrence loses at most a factor
 * ~3. Successive terms of (3) shrink by (t/u)² ≤ 1/16, or about t²/(2k + 2) for small u.
 *
 * Large u − t, expanding e^{−w²/2} = Σ_j (−w²/2)^j/j! instead (Watson's lemma): every term is
 * elementary, ∫_0^∞ w^{2j}·2·sinh(t·w)·e^{−u·w} dw = (2j)!·g_{2j+1} with
 * g_m = (u − t)^{−m} − (u + t)^{−m}, so
 *
 *     D ~ Σ_j (−1)^j·(2j − 1)!!·g_{2j+1},                                                  (4)
 *
 * the term-by-term difference of the Mills-ratio expansions R(z) ~ Σ_j (−1)^j (2j − 1)!!/z^{2j+1}
 * at z = u ∓ t. As the remainder of the alternating series for e^{−y} (y ≥ 0) is bounded by its
 * next term, so is the remainder of (4); for u − t ≥ 10 the terms drop below ε·D within ~25
 * terms. With a = 1/(u − t), c = 1/(u + t) the g_m are built without subtracting:
 * g_1 = 2t/((u − t)(u + t)), g_{m+2} = a²·g_m + c^m·(a + c)·g_1.
 *
 * In the money, put-call symmetry b(x, s) = b(−x, s) + e^{x/2} − e^{−x/2} adds the intrinsic value
 * to an out-of-the-money price, so nothing cancels there either.
 *
 * ## Vega
 *
 * ∂b/∂s = e^{x/2}·φ(d₁)·(1/2 − x/s²) + e^{−x/2}·φ(d₂)·(1/2 + x/s²) with d₁,₂ = x/s ± s/2, and
 * e^{x/2}·φ(d₁) = e^{−x/2}·φ(d₂) because d₁² − d₂² = 2x, so
 *
 *     ∂b/∂s = e^{x/2}·φ(x/s + s/2) = e^{−(x²/s² + s²/4)/2}/√(2π),    ∂ln(∂b/∂s)/∂s = x²/s³ − s/4,
 *
 * the Gaussian factor of (1) again, the same for calls and puts. The second form gives the
 * solver its second derivative, and shows b convex in s below s_c = √(2|x|), concave above.
 *
 * ## Details kept from the implementation this file replaces
 *
 * - x = ln(F/K) is taken as log1p((F − K)/K) near the money (`logMoneyness`);
 * - an s so small (subnormal) that x/s overflows gives the limit b = 0, not ∞/∞;
 * - φ(±∞) = 0, not NaN (normal.ts).
 */
import { erfcx, normalCdf, normalInv, normalPdf, ONE_OVER_SQRT_TWO_PI, SQRT_TWO_PI } from './normal.ts';

const EPS = Number.EPSILON;
/** ln √(2π) */
const LN_SQRT_TWO_PI = 0.9189385332046728;
/** √(π/2) */
const SQRT_HALF_PI = 1.2533141373155003;
/** 2^27 + 1: splits a double into two halves whose pairwise products are exact (Veltkamp). */
const SPLITTER = 134_217_729;
/** Beyond this u = |x|/s (or t), b underflows for certain and the exact products could overflow. */
const HUGE = 1e150;
/** The smallest normal double. */
const TINY = 2.2250738585072014e-308;

// Region boundaries of the out-of-the-money evaluation (see the file comment).
/** t − u at and above which b = e^{x/2}·(1 − γ). */
const HIGH_VOL_GAP = 1;
/** u − t at and above which D comes from the asymptotic series (4). */
const ASYMPTOTIC_GAP = 10;
/** D = R(u − t) − R(u + t) as written where t ≥ DIRECT_RATIO·max(u, DIRECT_FLOOR). */
const DIRECT_RATIO = 0.25;
const DIRECT_FLOOR = 1.25;
/** Below this u the moments M_n(u) are built forwards, from it on by the continued fraction. */
const FORWARD_MOMENTS_BELOW = 1;
/** Terms of (3) beyond the first; (1/16)^18 is far below ε. */
const SMALL_T_TERMS = 18;
/** Scratch for the moment ratios r_n = M_n/M_{n−1}, n = 1 … 2·SMALL_T_TERMS + 1. */
const momentRatio = new Float64Array(2 * SMALL_T_TERMS + 2);

/**
 * x = ln(F/K) to full relative accuracy. Near the money F/K rounds with an absolute error of ε,
 * which is a large relative error in a tiny x (2e−12 in a one-hour at-the-money premium); for
 * K/2 ≤ F ≤ 2K the difference F − K is exact (Sterbenz) and log1p((F − K)/K) keeps x to ~ε.
 */
export function logMoneyness(F: number, K: number): number {
  return F >= 0.5 * K && F <= 2 * K ? Math.log1p((F - K) / K) : Math.log(F / K);
}

/** Mills ratio R(z) = Φ(−z)/φ(z). */
function mills(z: number): number {
  return SQRT_HALF_PI * erfcx(z * Math.SQRT1_2);
}

/** a·b − p exactly, for p = fl(a·b) and |a|, |b| < HUGE (Dekker's product). */
function productError(a: number, b: number, p: number): number {
  let c = SPLITTER * a;
  const ah = c - (c - a);
  const al = a - ah;
  c = SPLITTER * b;
  const bh = c - (c - b);
  const bl = b - bh;
  return ah * bh - p + ah * bl + al * bh + al * bl;
}

/** An unevaluated sum hi + lo, |lo| ≲ ulp(hi). */
interface DoubleDouble {
  hi: number;
  lo: number;
}

/**
 * E = (u² + t²)/2 = x²/(2s²) + s²/8 as a double-double: the roundings of u = |x|/s, of the squares
 * and of their sum are recovered with exact products, so e^{−E} keeps full relative accuracy.
 */
function halfSquares(ax: number, s: number): DoubleDouble {
  const u = ax / s;
  const t = 0.5 * s;
  if (!(u < HUGE && t < HUGE)) return { hi: Number.POSITIVE_INFINITY, lo: 0 };
  // u·s = |x| − δ exactly, so |x|/s = u + δ/s.
  const us = u * s;
  const uLo = (ax - us - productError(u, s, us)) / s;
  const uu = u * u;
  const uuLo = productError(u, u, uu) + 2 * u * uLo;
  const tt = t * t;
  const ttLo = productError(t, t, tt);
  const sum = uu + tt;
  const sumLo = uu >= tt ? uu - sum + tt : tt - sum + uu;
  return { hi: 0.5 * sum, lo: 0.5 * (sumLo + uuLo + ttLo) };
}

/** e^{−(hi + lo)} for |lo| ≪ 1. */
function expNeg(e: DoubleDouble): number {
  return Math.exp(-e.hi) * (1 - e.lo);
}

/** D for u − t ≥ ASYMPTOTIC_GAP, from the asymptotic series (4). */
function differenceAsymptotic(u: number, t: number): number {
  const a = 1 / (u - t);
  const c = 1 / (u + t);
  const g1 = (2 * t) / ((u - t) * (u + t));
  const aa = a * a;
  const cc = c * c;
  const cross = (a + c) * g1;
  let g = g1; // g_m, m = 2j + 1
  let cm = c; // c^m
  let coefficient = 1; // (−1)^j·(2j − 1)!!
  let sum = g1;
  let previous = Number.POSITIVE_INFINITY;
  for (let j = 1; j < 40; j++) {
    g = aa * g + cm * cross;
    cm *= cc;
    coefficient *= -(2 * j - 1);
    const term = coefficient * g;
    const size = Math.abs(term);
    if (size > previous) break; // an asymptotic series: never past its smallest term
    sum += term;
    if (size <= 0.25 * EPS * sum) break;
    previous = size;
  }
  return sum;
}

/**
 * Fills momentRatio[1 … top] with r_n = M_n(u)/M_{n−1}(u): forwards for u < 1, else from the
 * continued fraction r_n = n/(u + r_{n+1}) unrolled from `depth` (see the file comment).
 */
function fillMomentRatios(u: number, top: number, depth: number): void {
  if (u < FORWARD_MOMENTS_BELOW) {
    let previous = mills(u);
    let current = 1 - u * previous; // M_1
    momentRatio[1] = current / previous;
    for (let n = 1; n < top; n++) {
      const next = n * previous - u * current;
      momentRatio[n + 1] = next / current;
      previous = current;
      current = next;
    }
    return;
  }
  let r = 0.5 * (Math.sqrt(u * u + 4 * (depth + 1)) - u);
  for (let n = depth; n >= 1; n--) {
    r = n / (u + r);
    if (n <= top) momentRatio[n] = r;
  }
}

/** D for small t (against u, or with u small), from the Taylor series (3). */
function differenceSmallT(u: number, t: number): number {
  const top = 2 * SMALL_T_TERMS + 1;
  fillMomentRatios(u, top, Math.max(top, Math.min(400, Math.ceil(640 / (u * u)))));
  const tt = t * t;
  let term = t * mills(u) * momentRatio[1]!; // t·M_1
  let sum = term;
  for (let k = 1; k <= SMALL_T_TERMS; k++) {
    term *= (tt * momentRatio[2 * k]! * momentRatio[2 * k + 1]!) / (2 * k * (2 * k + 1));
    sum += term;
    if (term <= 0.25 * EPS * sum) break;
  }
  return 2 * sum;
}

/** D = R(u − t) − R(u + t) of (1), for t − u < HIGH_VOL_GAP. */
function millsDifference(u: number, t: number): number {
  if (u - t >= ASYMPTOTIC_GAP) return differenceAsymptotic(u, t);
  if (t >= DIRECT_RATIO * Math.max(u, DIRECT_FLOOR)) return mills(u - t) - mills(u + t);
  return differenceSmallT(u, t);
}

/** γ = 1 − b/b_max = Φ(u − t) + φ(u − t)·R(u + t) of (2). */
function complementRatio(u: number, t: number): number {
  const z = u - t;
  return normalCdf(z) + normalPdf(z) * mills(u + t);
}

/** The out-of-the-money call b(x, s), x ≤ 0, s > 0. */
function otmCall(x: number, s: number): number {
  const ax = -x;
  const u = ax / s;
  const t = 0.5 * s;
  if (t - u >= HIGH_VOL_GAP) return Math.exp(0.5 * x) * (1 - complementRatio(u, t));
  if (!(u < HUGE)) return 0; // subnormal s: x/s overflows and b underflows
  const e = halfSquares(ax, s);
  if (e.hi > 760) return 0;
  return expNeg(e) * ONE_OVER_SQRT_TWO_PI * millsDifference(u, t);
}

/** The intrinsic value of the normalised call: e^{x/2} − e^{−x/2} = 2·sinh(x/2) for x > 0. */
function callIntrinsic(x: number): number {
  return x > 0 ? 2 * Math.sinh(0.5 * x) : 0;
}

/**
 * Normalised Black price b(x, s) of a call (q = 1) or put (q = −1), x = ln(F/K), s = σ√T ≥ 0: to
 * full relative accuracy out of the money (down to underflow), and in the money as the intrinsic
 * value plus the out-of-the-money price.
 * @example normalisedBlack(0, 0.2, 1) // 0.07965567455405796
 */
export function normalisedBlack(x: number, s: number, q: 1 | -1): number {
  const xCall = q < 0 ? -x : x; // b_put(x) = b_call(−x)
  const intrinsic = callIntrinsic(xCall);
  if (!(s > 0)) return intrinsic;
  return intrinsic + otmCall(-Math.abs(xCall), s);
}

/**
 * Normalised vega ∂b/∂s = e^{−(x²/s² + s²/4)/2}/√(2π), calls and puts alike.
 * @example normalisedVega(0, 0.2) // 0.3969525474770118
 */
export function normalisedVega(x: number, s: number): number {
  if (!(s > 0)) return 0;
  const e = halfSquares(Math.abs(x), s);
  return e.hi > 760 ? 0 : expNeg(e) * ONE_OVER_SQRT_TWO_PI;
}

/**
 * Undiscounted Black-76 price √(F·K)·b(ln(F/K), σ√T) for F, K > 0, σ ≥ 0, T > 0 (q = 1 call,
 * −1 put). In the money it is the intrinsic value F − K (or K − F; exact near the money) plus the
 * out-of-the-money price, so put-call parity holds to rounding.
 * @example black(100, 100, 0.2, 0.5, 1) // 5.637197779701662
 */
export function black(F: number, K: number, sigma: number, T: number, q: 1 | -1): number {
  const intrinsic = Math.max(q < 0 ? K - F : F - K, 0);
  const s = sigma * Math.sqrt(T);
  if (!(s > 0)) return intrinsic;
  return intrinsic + Math.sqrt(F) * Math.sqrt(K) * otmCall(-Math.abs(logMoneyness(F, K)), s);
}

// ---------------------------------------------------------------------------------------------
// Implied normalised volatility
// ---------------------------------------------------------------------------------------------

export interface NormalisedVolatility {
  /** s = σ√T. */
  s: number;
  /** Objective evaluations (each one price, one vega and a Halley step). */
  iterations: number;
}

const MAX_ITERATIONS = 100;

/**
 * ln(b(x, s)/β) for the out-of-the-money call (x ≤ 0). Where b and β are normal doubles this is
 * the log of their ratio, as exact as b itself near the root; ln b − ln β would carry the
 * rounding of ln β (~8 ulps of b at b ~ 1e−4). Elsewhere it is assembled in logs, so it stays
 * finite where b underflows.
 */
function logPriceRatio(x: number, s: number, beta: number, logBeta: number): number {
  const ax = -x;
  const u = ax / s;
  const t = 0.5 * s;
  if (t - u >= HIGH_VOL_GAP) {
    const gamma = complementRatio(u, t);
    const b = Math.exp(0.5 * x) * (1 - gamma);
    return b > TINY && beta > TINY ? Math.log(b / beta) : 0.5 * x + Math.log1p(-gamma) - logBeta;
  }
  if (!(u < HUGE)) return Number.NEGATIVE_INFINITY;
  const e = halfSquares(ax, s);
  const d = millsDifference(u, t);
  const b = e.hi < 708 ? expNeg(e) * ONE_OVER_SQRT_TWO_PI * d : 0;
  if (b > TINY && beta > TINY) return Math.log(b / beta);
  return -(e.hi + e.lo) - LN_SQRT_TWO_PI + Math.log(d) - logBeta;
}

/** ln(γ(s)/γ_β) with γ = 1 − b/b_max from (2); same care as `logPriceRatio`. */
function logComplementRatio(u: number, t: number, gammaBeta: number, logGammaBeta: number): number {
  const z = t - u;
  if (z < 30 && gammaBeta > TINY) {
    const gamma = complementRatio(u, t);
    if (gamma > TINY) return Math.log(gamma / gammaBeta);
  }
  // γ = φ(z)·(R(z) + R(u + t)) for z = t − u > 0.
  return -0.5 * z * z - LN_SQRT_TWO_PI + Math.log(mills(z) + mills(u + t)) - logGammaBeta;
}

/**
 * 1 + the Halley correction, kept within [1/2, 2] so that a step is never reversed nor longer than
 * twice Newton's (far from the root the correction means little; the bracket does the rest).
 */
function halleyDenominator(correction: number): number {
  const d = 1 + correction;
  return d > 0.5 ? Math.min(d, 2) : 0.5;
}

/**
 * Start below the inflection (the low wing), from the first two terms of (3),
 * D ≈ 2t·(M_1(u) + t²·M_3(u)/6), put into (1) with 2t = s = |x|/u:
 *
 *     G(u) = (u² + t²)/2 + ln u − ln(M_1 + t²·M_3/6) − K = 0,   K = ln(|x|/(√(2π)·β)),
 *
 * solved by four Newton steps in ln u (dG/d ln u ≈ u² − t² + 1 + u·M_2/M_1, the t² term's own
 * derivative dropped). With the first term alone G is increasing and convex in ln u, so the
 * steps descend monotonically from the right of the root, where u₀ = √(2K) (K ≥ 1/2) or e^K
 * (K < 1/2) lies because M_1 ≤ 1. Moment ratios to ~1e−7 suffice here.
 */
function guessLow(beta: number, ax: number, sInflection: number): number {
  const k = Math.log(ax / beta) - LN_SQRT_TWO_PI;
  let u = k >= 0.5 ? Math.sqrt(2 * k) : Math.exp(k);
  for (let i = 0; i < 4; i++) {
    const t = ax / (2 * u);
    fillMomentRatios(u, 3, 40);
    const m1 = momentRatio[1]!; // M_1/M_0
    const m2 = m1 * momentRatio[2]!; // M_2/M_0
    const m3 = m2 * momentRatio[3]!; // M_3/M_0
    const g = 0.5 * (u * u + t * t) + Math.log(u) - Math.log(mills(u) * (m1 + ((t * t) / 6) * m3)) - k;
    const next = u * Math.exp(-g / (u * u - t * t + 1 + (u * m2) / m1));
    if (!(next > 0 && next < HUGE)) break;
    u = next;
  }
  const s = ax / u;
  return s > 0 && s < sInflection ? s : sInflection;
}

/** The s with b(0, s) = 1 − 2Φ(−s/2) = b; for tiny b, from b(0, s) = (s/√(2π))·(1 − s²/24 + …). */
function atMoneyInverse(b: number): number {
  if (b < 1e-7) return SQRT_TWO_PI * b * (1 + (Math.PI / 12) * b * b);
  return -2 * normalInv(0.5 - 0.5 * b);
}

/**
 * Start near the money (u = |x|/s small): ∂b/∂x = (e^{x/2}·Φ(d₁) + e^{−x/2}·Φ(d₂))/2 is 1/2 at
 * x = 0, and ∂²b/∂x² = b/4 + e^{x/2}·φ(d₁)/s, so b(x, s) ≈ b(0, s) − |x|/2 + (x²/2)·(b/4 + φ(s/2)/s)
 * with b(0, s) = 1 − 2Φ(−s/2): inverted exactly at the money, where for s → 0 it is the
 * Brenner–Subrahmanyam approximation s ≈ √(2π)·β.
 */
function guessNearMoney(beta: number, ax: number): number {
  const first = atMoneyInverse(beta + 0.5 * ax);
  const curvature = 0.25 * (beta + 0.5 * ax) + normalPdf(0.5 * first) / first;
  const second = atMoneyInverse(beta + 0.5 * ax - 0.5 * ax * ax * curvature);
  return second > 0 ? second : first;
}

/**
 * Start above the inflection, from (2): γ_β = 1 − β/b_max = Φ(−z)·(1 + ρ) with z = t − u ≥ 0 and
 * ρ = R(u + t)/R(z) ∈ (0, 1]. Given ρ, z = −Φ⁻¹(γ_β/(1 + ρ)) and t = (z + √(z² + 2|x|))/2 (from
 * t − |x|/(2t) = z); two passes from ρ = 1, which is exact at the money.
 */
function guessHigh(gammaBeta: number, ax: number): number {
  let rho = 1;
  let t = 0;
  for (let i = 0; i < 2; i++) {
    const z = -normalInv(gammaBeta / (1 + rho));
    if (!(z >= 0 && z < HUGE)) break;
    t = 0.5 * (z + Math.sqrt(z * z + 2 * ax));
    if (ax === 0) break;
    rho = mills(2 * t - z) / mills(z);
  }
  return 2 * t;
}

/** A point strictly inside (lo, hi): the geometric mean, or a factor 2 from the one finite end. */
function insideBracket(lo: number, hi: number): number {
  if (hi === Number.POSITIVE_INFINITY) return lo > 0 ? 2 * lo : 1;
  return lo > 0 ? Math.sqrt(lo * hi) : 0.5 * hi;
}

/**
 * The normalised volatility s > 0 with b(x, s) = beta for an out-of-the-money call: x ≤ 0 and
 * 0 < beta < b_max = e^{x/2} (a put, or an in-the-money price less its intrinsic value, is mapped
 * here by the caller). Returns s = 0 for beta ≤ 0 and s = ∞ for beta ≥ b_max.
 *
 * b rises from 0 to b_max as s goes from 0 to ∞, so the root is unique. The objective is a
 * transform of the price that is close to linear in s where it is used, with r = ln(b(s)/beta):
 *
 * - low wing, beta below b at the inflection s_c = √(2|x|) (where u = t and
 *   b = b_max·(1/2 − φ(0)·R(2u))): h = (−ln b)^{−1/2} − (−ln beta)^{−1/2}. There
 *   −ln b ≈ x²/(2s²), so h ≈ √2·s/|x| − const, nearly a straight line, where r itself behaves like
 *   −1/s² and Newton's method crawls in from the left.
 * - middle, beta ≤ b_max/2: r.
 * - high, beta > b_max/2: ln(γ(s)/γ_β), γ = 1 − b/b_max from (2), which keeps relative accuracy
 *   as b approaches b_max and behaves like −s²/8 for large s.
 *
 * Each is refined by Halley's method from a closed-form start (`guessLow`, `guessNearMoney`,
 * `guessHigh`); the second derivative follows from ∂ln vega/∂s = x²/s³ − s/4. A bracket
 * (lo, hi) is kept from the sign of r, and a step that leaves it is replaced by a bisection
 * point, so the iteration cannot diverge. It stops when the step is ≤ 4ε·s, when the repriced b
 * matches beta to 2ε, or when the steps stop shrinking at the rounding floor of the objective.
 */
export function impliedNormalisedVolatility(beta: number, x: number): NormalisedVolatility {
  const ax = -x;
  const bMax = Math.exp(0.5 * x);
  if (!(beta > 0)) return { s: 0, iterations: 0 };
  if (!(beta < bMax)) return { s: Number.POSITIVE_INFINITY, iterations: 0 };
  const logBeta = Math.log(beta);
  const rootLogBeta = Math.sqrt(-logBeta);
  const sInflection = Math.sqrt(2 * ax);
  const high = beta > 0.5 * bMax;
  const low = !high && beta < bMax * (0.5 - ONE_OVER_SQRT_TWO_PI * mills(sInflection));
  const gammaBeta = high ? (bMax - beta) / bMax : 0;
  const logGammaBeta = high ? Math.log(gammaBeta) : 0;
  let s: number;
  if (low) s = guessLow(beta, ax, sInflection);
  else if (high) s = guessHigh(gammaBeta, ax);
  else {
    s = guessNearMoney(beta, ax);
    if (!(ax < 0.6 * s && ax < 2 * beta)) s = guessHigh(1 - beta / bMax, ax);
  }
  let lo = 0;
  let hi = Number.POSITIVE_INFINITY;
  let previousStep = Number.POSITIVE_INFINITY;
  for (let it = 1; it <= MAX_ITERATIONS; it++) {
    if (!(s > lo && s < hi)) s = insideBracket(lo, hi);
    const u = ax / s;
    const t = 0.5 * s;
    const kappa = u * (u / s) - 0.5 * t; // ∂ln vega/∂s
    const e = halfSquares(ax, s);
    const logVega = -(e.hi + e.lo) - LN_SQRT_TWO_PI;
    let r: number; // ln(b(s)/beta), or −ln(γ(s)/γ_β): > 0 when s is too high
    let step: number;
    if (high) {
      const g = logComplementRatio(u, t, gammaBeta, logGammaBeta);
      r = -g;
      const mu = Math.exp(logVega - 0.5 * x - g - logGammaBeta); // vega/(b_max − b) = −∂ln γ/∂s
      const newton = g / mu;
      step = newton / halleyDenominator(0.5 * newton * (kappa + mu));
    } else {
      r = logPriceRatio(x, s, beta, logBeta);
      const logB = r + logBeta;
      const lambda = Math.exp(logVega - logB); // vega/b = ∂ln b/∂s
      if (low) {
        const rootL = Math.sqrt(-logB);
        // h = L^{−1/2} − L_β^{−1/2} with L = −ln b, formed from r = L_β − L without cancelling.
        const h = r / (rootL * rootLogBeta * (rootL + rootLogBeta));
        const newton = h / ((0.5 * lambda) / (-logB * rootL)); // h' = λ/(2·L^{3/2})
        step = -newton / halleyDenominator(-0.5 * newton * ((1.5 * lambda) / -logB + kappa - lambda));
      } else {
        const newton = r / lambda;
        step = -newton / halleyDenominator(-0.5 * newton * (kappa - lambda));
      }
    }
    if (r === 0) return { s, iterations: it };
    if (r < 0) lo = s;
    else hi = s;
    let next = s + step;
    // From far right of a root near 0 a step can reach s ≤ 0: take it multiplicatively instead.
    if (next <= 0) next = s * Math.exp(step / s);
    const inside = next > lo && next < hi;
    const size = Math.abs(step);
    if (size <= 4 * EPS * s || Math.abs(r) <= 2 * EPS) return { s: inside ? next : s, iterations: it };
    // At the rounding floor of the objective the steps stop shrinking (or leave the bracket).
    if (size <= 1e-10 * s && (size >= 0.5 * previousStep || !inside)) return { s, iterations: it };
    if (hi < Number.POSITIVE_INFINITY && hi - lo <= 4 * EPS * hi)
      return { s: 0.5 * (lo + hi), iterations: it };
    previousStep = size;
    s = next;
  }
  return { s: s > lo && s < hi ? s : insideBracket(lo, hi), iterations: MAX_ITERATIONS };
}
