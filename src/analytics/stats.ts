/**
 * Small-sample statistics for the risk lab's studies: sample mean and variance, Student-t
 * confidence intervals, percentile-bootstrap intervals with a seeded generator, and paired
 * differences (the same seed under two policies) with a verdict on whether the difference is
 * distinguishable from zero.
 *
 * Pure and deterministic: no clock, no `Math.random` — the bootstrap draws from `seededUniform`,
 * so the same inputs and seed give the same interval on every machine. Floats throughout: these
 * are descriptions of simulated outcomes, never money decisions.
 *
 * The Student-t quantile inverts the t distribution function, written through the regularized
 * incomplete beta function I_x(a, b) (continued fraction, modified Lentz), by bisection:
 * F(t; ν) = 1 − ½ I_{ν/(ν+t²)}(ν/2, ½) for t ≥ 0.
 *
 * @example
 * const ci = tInterval([1.2, 0.8, 1.1, 0.9, 1.0]);   // { mean: 1, lo: 0.80.., hi: 1.19.. }
 * const d = pairedDifference(dynamicBadDebt, staticBadDebt, { seed: 7 });
 * d.distinguishable; // false when the 95 % interval of the mean difference covers 0
 */

export interface Interval {
  readonly n: number;
  readonly mean: number;
  /** Lower and upper bound; NaN when the interval cannot be formed (n < 2 for t). */
  readonly lo: number;
  readonly hi: number;
  /** Confidence level, e.g. 0.95. */
  readonly level: number;
  readonly method: 't' | 'bootstrap';
}

export interface PairedDifference {
  /** Mean of a − b and its t interval (paired t). */
  readonly t: Interval;
  /** Mean of a − b and its percentile-bootstrap interval (resampling the pairs). */
  readonly bootstrap: Interval;
  /** Mean of b (the baseline); the relative difference is t.mean / baselineMean. */
  readonly baselineMean: number;
  /** t.mean / baselineMean, or NaN when the baseline mean is 0. */
  readonly relative: number;
  /**
   * True when both intervals exclude 0 — the difference is larger than seed noise at this
   * level. False ("not distinguishable") when either covers 0, or when there are too few pairs.
   */
  readonly distinguishable: boolean;
}

/** A typed error for bad statistical input (empty samples, unequal pairs, bad levels). */
export class StatsInputError extends RangeError {
  override readonly name = 'StatsInputError';
}

function check(xs: readonly number[], what: string): void {
  if (xs.length === 0) throw new StatsInputError(`${what}: empty sample`);
  for (const x of xs) if (!Number.isFinite(x)) throw new StatsInputError(`${what}: non-finite value ${x}`);
}

function checkLevel(level: number): void {
  if (!(level > 0 && level < 1))
    throw new StatsInputError(`confidence level must be in (0, 1), got ${level}`);
}

/** Arithmetic mean (compensated summation, so long samples keep their digits). */
export function mean(xs: readonly number[]): number {
  check(xs, 'mean');
  let sum = 0;
  let c = 0;
  for (const x of xs) {
    const y = x - c;
    const t = sum + y;
    c = t - sum - y;
    sum = t;
  }
  return sum / xs.length;
}

/** Unbiased sample variance (n − 1 in the denominator); 0 for a single value. */
export function variance(xs: readonly number[]): number {
  const m = mean(xs);
  if (xs.length < 2) return 0;
  let s = 0;
  for (const x of xs) s += (x - m) * (x - m);
  return s / (xs.length - 1);
}

// --- distributions ----------------------------------------------------------------------------

/** ln Γ(x), x > 0 (Lanczos, g = 7, n = 9; ~15 significant digits). */
export function logGamma(x: number): number {
  const g = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = g[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += g[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** Regularized incomplete beta I_x(a, b), x in [0, 1]. */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
  // The continued fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry otherwise.
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

/** Student-t distribution function F(t; ν). */
export function studentTCdf(t: number, df: number): number {
  if (!(df > 0)) throw new StatsInputError(`degrees of freedom must be > 0, got ${df}`);
  const tail = 0.5 * regularizedBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** Student-t quantile: the t with F(t; ν) = p (bisection on the distribution function). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new StatsInputError(`probability must be in (0, 1), got ${p}`);
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * Math.max(1, hi); i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

// --- intervals -------------------------------------------------------------------------------------

/** Mean ± t_{(1+level)/2, n−1} · s / √n. With n < 2 the bounds are NaN (no spread to measure). */
export function tInterval(xs: readonly number[], level = 0.95): Interval {
  check(xs, 'tInterval');
  checkLevel(level);
  const n = xs.length;
  const m = mean(xs);
  if (n < 2) return { n, mean: m, lo: Number.NaN, hi: Number.NaN, level, method: 't' };
  const se = Math.sqrt(variance(xs) / n);
  const q = studentTQuantile((1 + level) / 2, n - 1);
  return { n, mean: m, lo: m - q * se, hi: m + q * se, level, method: 't' };
}

/**
 * A seeded uniform generator on [0, 1) (mulberry32): the bootstrap's only source of chance, so
 * intervals are reproducible. Not for anything cryptographic.
 */
export function seededUniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Empirical quantile with linear interpolation between order statistics (type 7). */
export function quantile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new StatsInputError('quantile: empty sample');
  const h = (sorted.length - 1) * p;
  const i = Math.floor(h);
  const j = Math.min(i + 1, sorted.length - 1);
  return sorted[i]! + (h - i) * (sorted[j]! - sorted[i]!);
}

export interface BootstrapOptions {
  readonly level?: number;
  /** Resamples (default 2,000). */
  readonly resamples?: number;
  /** Seed of the resampling stream (default 1). */
  readonly seed?: number;
}

/** Percentile bootstrap of the mean: resample with replacement, take the (1∓level)/2 quantiles. */
export function bootstrapInterval(xs: readonly number[], opts: BootstrapOptions = {}): Interval {
  check(xs, 'bootstrapInterval');
  const level = opts.level ?? 0.95;
  checkLevel(level);
  const resamples = opts.resamples ?? 2_000;
  if (!Number.isInteger(resamples) || resamples < 1)
    throw new StatsInputError(`resamples must be a whole number ≥ 1, got ${resamples}`);
  const n = xs.length;
  const m = mean(xs);
  const u = seededUniform(opts.seed ?? 1);
  const means = new Array<number>(resamples);
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += xs[Math.floor(u() * n)]!;
    means[r] = s / n;
  }
  means.sort((a, b) => a - b);
  const alpha = (1 - level) / 2;
  return {
    n,
    mean: m,
    lo: Math.min(m, quantile(means, alpha)),
    hi: Math.max(m, quantile(means, 1 - alpha)),
    level,
    method: 'bootstrap',
  };
}

const covers0 = (i: Interval) => !(i.lo > 0 || i.hi < 0);

/**
 * The paired difference a − b (a[i] and b[i] from the same seed): paired t and bootstrap
 * intervals of the mean difference, and whether it is distinguishable from 0 (both exclude it).
 */
export function pairedDifference(
  a: readonly number[],
  b: readonly number[],
  opts: BootstrapOptions = {},
): PairedDifference {
  check(a, 'pairedDifference a');
  check(b, 'pairedDifference b');
  if (a.length !== b.length)
    throw new StatsInputError(`paired samples must have the same length (${a.length} vs ${b.length})`);
  const d = a.map((x, i) => x - b[i]!);
  const level = opts.level ?? 0.95;
  const t = tInterval(d, level);
  const bootstrap = bootstrapInterval(d, opts);
  const baselineMean = mean(b);
  const identical = d.every((x) => x === 0);
  const distinguishable =
    !identical && d.length >= 2 && Number.isFinite(t.lo) && !covers0(t) && !covers0(bootstrap);
  return {
    t,
    bootstrap,
    baselineMean,
    relative: baselineMean === 0 ? Number.NaN : t.mean / baselineMean,
    distinguishable,
  };
}
