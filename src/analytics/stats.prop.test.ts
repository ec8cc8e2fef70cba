/**
 * Statistics properties against known distributions: the 95 % t interval covers the true mean of
 * normal samples about 95 % of the time (small and moderate n), the percentile bootstrap of the
 * mean covers a known mean (normal and skewed exponential samples) close to its nominal level,
 * intervals move with a shift of the data, and a paired difference of b + c against b is c.
 * Coverage checks use fixed seeds so every run sees the same sample.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bootstrapInterval, pairedDifference, seededUniform, tInterval } from './stats.ts';

/** Standard normal draws (Box–Muller) from the seeded uniform stream. */
function normals(u: () => number, n: number, mu = 0, sigma = 1): number[] {
  const out: number[] = [];
  while (out.length < n) {
    const r = Math.sqrt(-2 * Math.log(1 - u()));
    const th = 2 * Math.PI * u();
    out.push(mu + sigma * r * Math.cos(th), mu + sigma * r * Math.sin(th));
  }
  return out.slice(0, n);
}

describe('coverage', () => {
  for (const n of [5, 30]) {
    it(`the 95 % t interval covers a normal mean ≈ 95 % of the time (n = ${n})`, () => {
      const u = seededUniform(20_240 + n);
      const trials = 4_000;
      let hit = 0;
      for (let k = 0; k < trials; k++) {
        const ci = tInterval(normals(u, n, 7, 3));
        if (ci.lo <= 7 && 7 <= ci.hi) hit++;
      }
      // Standard error of the coverage estimate: √(.95 × .05 / 4000) ≈ 0.0034.
      expect(Math.abs(hit / trials - 0.95)).toBeLessThan(0.015);
    });
  }

  it('a 95 % t interval from too few draws (n = 5) with a z quantile would undercover: t matters', () => {
    const u = seededUniform(77);
    let hit = 0;
    for (let k = 0; k < 4_000; k++) {
      const xs = normals(u, 5);
      const ci = tInterval(xs);
      const half = ((ci.hi - ci.lo) / 2) * (1.96 / 2.776);
      if (Math.abs(ci.mean) <= half) hit++;
    }
    expect(hit / 4_000).toBeLessThan(0.9);
  });

  it('the bootstrap covers a known mean close to 95 % (normal and exponential, n = 40)', () => {
    const u = seededUniform(4242);
    const trials = 600;
    let hitN = 0;
    let hitE = 0;
    for (let k = 0; k < trials; k++) {
      const xs = normals(u, 40, -2, 5);
      const b = bootstrapInterval(xs, { seed: k, resamples: 500 });
      if (b.lo <= -2 && -2 <= b.hi) hitN++;
      // Exponential with mean 3 (skewed: the percentile bootstrap undercovers a little).
      const ys = Array.from({ length: 40 }, () => -3 * Math.log(1 - u()));
      const e = bootstrapInterval(ys, { seed: 10_000 + k, resamples: 500 });
      if (e.lo <= 3 && 3 <= e.hi) hitE++;
    }
    expect(hitN / trials).toBeGreaterThan(0.91);
    expect(hitN / trials).toBeLessThan(0.98);
    expect(hitE / trials).toBeGreaterThan(0.88);
    expect(hitE / trials).toBeLessThan(0.98);
  });
});

const sample = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 2, maxLength: 40 });

describe('properties', () => {
  it('intervals contain the mean and shift with the data', () => {
    fc.assert(
      fc.property(sample, fc.double({ min: -1e6, max: 1e6, noNaN: true }), (xs, c) => {
        const a = tInterval(xs);
        const b = tInterval(xs.map((x) => x + c));
        const tol = 1e-6 * (1 + Math.abs(c) + Math.max(...xs.map(Math.abs)));
        expect(a.lo).toBeLessThanOrEqual(a.mean + tol);
        expect(a.hi).toBeGreaterThanOrEqual(a.mean - tol);
        expect(b.lo).toBeCloseTo(a.lo + c, -Math.log10(tol));
        const boot = bootstrapInterval(xs, { resamples: 200, seed: 3 });
        expect(boot.lo).toBeLessThanOrEqual(boot.mean);
        expect(boot.hi).toBeGreaterThanOrEqual(boot.mean);
      }),
      { seed: 18, numRuns: 200 },
    );
  });

  it('paired: b + c against b has mean difference c and a point interval', () => {
    fc.assert(
      fc.property(sample, fc.integer({ min: -1000, max: 1000 }), (b, c) => {
        const bi = b.map((x) => Math.round(x));
        const d = pairedDifference(
          bi.map((x) => x + c),
          bi,
        );
        expect(d.t.mean).toBeCloseTo(c, 6);
        expect(d.distinguishable).toBe(c !== 0);
      }),
      { seed: 18, numRuns: 200 },
    );
  });
});
