/**
 * Random variates on top of the seeded `Rng` (src/sim/rng.ts): normal, gamma, chi-square,
 * Student t, exponential and Poisson. Same seed, same call sequence → same numbers.
 *
 * Algorithms (chosen to need only `Rng.next()`, `Math.log`, `Math.sqrt`, `Math.exp`, no
 * trigonometry):
 * - normal: Marsaglia & Bray's polar method (1964), which yields pairs; the spare is kept,
 *   so the stream position depends on how many normals were drawn (deterministic).
 * - gamma(k): Marsaglia & Tsang (2000), "A simple method for generating gamma variables",
 *   ACM TOMS 26; for k < 1 the boost G(k) = G(k+1)·U^{1/k}.
 * - Student t(ν): Z / √(χ²_ν/ν); `studentTUnit` rescales by √((ν-2)/ν) to unit variance.
 * - Poisson(λ): inversion by sequential search for λ < 30 (one uniform); for λ >= 30 the
 *   transformed rejection PTRS of Hörmann (1993), "The transformed rejection method for
 *   generating Poisson random variables", Insurance: Math. Econ. 12 (as NumPy uses).
 *
 * @example
 * const v = new Variates(new Rng(7));
 * v.normal();       // a N(0, 1) draw
 * v.poisson(0.02);  // 0 most of the time
 */
import { Rng } from '../rng.ts';

const LANCZOS = [
  0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150291621406,
  12.507343278686905, -0.13857109526572012, 9.984369578019572e-6, 1.5056327351493116e-7,
];

/**
 * ln Γ(x) for x > 0 (Lanczos approximation, g = 7, n = 9; relative error ~1e-15).
 * @example lnGamma(5); // ln 24
 */
export function lnGamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`lnGamma needs x > 0, got ${x}`);
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Random variates drawn from one `Rng`. */
export class Variates {
  private spare: number | undefined;

  constructor(readonly rng: Rng) {}

  /** Creates one from a seed. */
  static fromSeed(seed: number): Variates {
    return new Variates(new Rng(seed));
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.rng.next();
  }

  /** Standard normal N(0, 1) (polar method). */
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    for (;;) {
      const u = 2 * this.rng.next() - 1;
      const v = 2 * this.rng.next() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const m = Math.sqrt((-2 * Math.log(s)) / s);
        this.spare = v * m;
        return u * m;
      }
    }
  }

  /** Fills `out` with standard normals and returns it. */
  normals(out: Float64Array): Float64Array {
    for (let i = 0; i < out.length; i++) out[i] = this.normal();
    return out;
  }

  /** Exponential with the given rate (mean 1/rate). */
  exponential(rate = 1): number {
    return -Math.log(1 - this.rng.next()) / rate;
  }

  /** Gamma with shape k > 0 and scale 1 (mean k, variance k). */
  gamma(shape: number): number {
    if (!(shape > 0)) throw new RangeError(`gamma shape must be > 0, got ${shape}`);
    if (shape < 1) {
      const g = this.gamma(shape + 1);
      return g * (1 - this.rng.next()) ** (1 / shape);
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.rng.next();
      const x2 = x * x;
      if (u < 1 - 0.0331 * x2 * x2) return d * v;
      if (Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  /** Chi-square with ν > 0 degrees of freedom (2 · Gamma(ν/2)). */
  chiSquare(nu: number): number {
    return 2 * this.gamma(nu / 2);
  }

  /** Student t with ν > 0 degrees of freedom (variance ν/(ν-2) for ν > 2). */
  studentT(nu: number): number {
    if (!(nu > 0)) throw new RangeError(`Student t needs nu > 0, got ${nu}`);
    return this.normal() / Math.sqrt(this.chiSquare(nu) / nu);
  }

  /** Student t scaled to unit variance (ν > 2): a fat-tailed stand-in for N(0, 1). */
  studentTUnit(nu: number): number {
    if (!(nu > 2)) throw new RangeError(`unit-variance Student t needs nu > 2, got ${nu}`);
    return this.studentT(nu) * Math.sqrt((nu - 2) / nu);
  }

  /** Poisson with mean λ >= 0. */
  poisson(lambda: number): number {
    if (!(lambda >= 0) || !Number.isFinite(lambda))
      throw new RangeError(`Poisson mean must be finite and >= 0, got ${lambda}`);
    if (lambda === 0) return 0;
    if (lambda < 30) {
      const u = this.rng.next();
      let p = Math.exp(-lambda);
      let cdf = p;
      let k = 0;
      while (u >= cdf && k < 1000) {
        k++;
        p *= lambda / k;
        cdf += p;
      }
      return k;
    }
    // PTRS (Hörmann 1993).
    const slam = Math.sqrt(lambda);
    const loglam = Math.log(lambda);
    const b = 0.931 + 2.53 * slam;
    const a = -0.059 + 0.02483 * b;
    const invalpha = 1.1239 + 1.1328 / (b - 3.4);
    const vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
      const u = this.rng.next() - 0.5;
      const v = this.rng.next();
      const us = 0.5 - Math.abs(u);
      const k = Math.floor(((2 * a) / us + b) * u + lambda + 0.43);
      if (us >= 0.07 && v <= vr) return k;
      if (k < 0 || (us < 0.013 && v > us)) continue;
      if (
        Math.log(v) + Math.log(invalpha) - Math.log(a / (us * us) + b) <=
        -lambda + k * loglam - lnGamma(k + 1)
      )
        return k;
    }
  }
}
