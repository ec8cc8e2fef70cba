/**
 * The normal distribution against independent references:
 * - test/vectors/pricing_mpmath.json (mpmath at 60 digits: Φ, φ, Φ⁻¹, erf/erfc/erfcx),
 * - test/vectors/lets_be_rational_cpp.json (Jäckel's C++ norm_cdf),
 * - test/vectors/first_passage_mpmath.json (mpmath at 50 digits: Φ and ln Φ from −38 to 8).
 */
import { describe, expect, it } from 'vitest';
import fp from '../../../test/vectors/first_passage_mpmath.json' with { type: 'json' };
import lbr from '../../../test/vectors/lets_be_rational_cpp.json' with { type: 'json' };
import mpm from '../../../test/vectors/pricing_mpmath.json' with { type: 'json' };
import {
  erf,
  erfc,
  erfcx,
  normalCdf,
  normalInv,
  normalLogCdf,
  normalPdf,
  normalScaledTail,
  normalSf,
} from './normal.ts';

const relErr = (got: number, want: number) =>
  want === 0 ? Math.abs(got) : Math.abs(got - want) / Math.abs(want);
const SUBNORMAL_LIMIT = 2.2250738585072014e-308;

describe('pricing_mpmath.json › normal cdf and pdf', () => {
  it.each(mpm.normal)('z = $z', ({ z, cdf, pdf }) => {
    const want = Number(cdf);
    // Subnormal results carry fewer bits: allow half an ulp of the smallest subnormal, relative to the value.
    const tol = want < SUBNORMAL_LIMIT ? Math.max(1e-15, 5e-324 / want) : 1e-15;
    expect(relErr(normalCdf(z), want)).toBeLessThanOrEqual(tol);
    const wantPdf = Number(pdf);
    const tolPdf = wantPdf < SUBNORMAL_LIMIT ? Math.max(1e-15, 5e-324 / wantPdf) : 1e-15;
    expect(relErr(normalPdf(z), wantPdf)).toBeLessThanOrEqual(tolPdf);
  });
});

describe('pricing_mpmath.json › inverse cdf (Wichura AS 241)', () => {
  it.each(mpm.inverse)('p = $p', ({ p, x }) => {
    expect(relErr(normalInv(p), Number(x))).toBeLessThanOrEqual(1e-15);
  });
});

describe('pricing_mpmath.json › Cody erf, erfc, erfcx', () => {
  it.each(mpm.erf)('x = $x', (c) => {
    expect(relErr(erf(c.x), Number(c.erf))).toBeLessThanOrEqual(1e-15);
    const wantErfc = Number(c.erfc);
    if (wantErfc >= SUBNORMAL_LIMIT) expect(relErr(erfc(c.x), wantErfc)).toBeLessThanOrEqual(2e-15);
    else expect(erfc(c.x)).toBeLessThan(1e-290);
    const wantErfcx = Number(c.erfcx);
    if (Number.isFinite(wantErfcx) && wantErfcx < 1e300) {
      expect(relErr(erfcx(c.x), wantErfcx)).toBeLessThanOrEqual(2e-15);
    }
  });
});

describe('lets_be_rational_cpp.json › Jäckel norm_cdf', () => {
  // Jäckel's C++ evaluates erfc(−z/√2)/2; rounding z/√2 costs it up to ~z²·ε (5.7e−15 at z = −8),
  // while ANORM works in z directly: where mpmath has the same z we are as close or within 1 ulp.
  const mp = new Map(mpm.normal.map((c) => [c.z, Number(c.cdf)]));
  it.each(lbr.normalDistribution)('z = $z', ({ z, normCdf }) => {
    const ours = normalCdf(z);
    expect(relErr(ours, normCdf)).toBeLessThanOrEqual(1e-14);
    const exact = mp.get(z);
    if (exact !== undefined)
      expect(relErr(ours, exact)).toBeLessThanOrEqual(Math.max(relErr(normCdf, exact), 2.3e-16));
  });
});

describe('normal distribution edges', () => {
  it('cdf_minus_38_is_a_positive_subnormal', () => {
    const v = normalCdf(-38);
    expect(v).toBeGreaterThan(0);
    expect(relErr(v, 2.8854e-316)).toBeLessThan(1e-4);
  });
  it('cdf_underflows_only_below_the_smallest_subnormal', () => {
    expect(normalCdf(-38.4)).toBeGreaterThan(0);
    expect(normalCdf(-39)).toBe(0);
    expect(normalCdf(Number.NEGATIVE_INFINITY)).toBe(0);
    expect(normalCdf(Number.POSITIVE_INFINITY)).toBe(1);
    expect(Number.isNaN(normalCdf(Number.NaN))).toBe(true);
  });
  it('cdf_is_not_table_based (simple-statistics gives 0.001 at −3.1)', () => {
    expect(normalCdf(-3.1)).toBeCloseTo(0.000967603213218356, 17);
  });
  it('cdf_symmetry_and_monotonicity_on_a_grid', () => {
    let prev = 0;
    for (let z = -38; z <= 9; z += 0.01) {
      const v = normalCdf(z);
      expect(v).toBeGreaterThanOrEqual(prev);
      prev = v;
      if (z < 0 && z > -8) expect(Math.abs(normalCdf(z) + normalCdf(-z) - 1)).toBeLessThan(2e-16);
    }
  });
  it('inverse_round_trips_and_handles_the_ends', () => {
    for (const p of [1e-300, 1e-12, 0.01, 0.3, 0.5, 0.8, 0.999999]) {
      expect(relErr(normalCdf(normalInv(p)), p)).toBeLessThan(1e-13);
    }
    expect(normalInv(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(normalInv(1)).toBe(Number.POSITIVE_INFINITY);
    expect(Number.isNaN(normalInv(-0.1))).toBe(true);
    expect(Number.isNaN(normalInv(1.1))).toBe(true);
  });
});

describe('first_passage_mpmath.json › Φ, ln Φ and the scaled tail', () => {
  it('has_a_source', () => expect(fp.source).toMatch(/mpmath/));
  it.each(fp.normal)('x = $x', ({ x, cdf, logCdf }) => {
    const want = Number(cdf);
    // Subnormal results carry fewer bits: allow half an ulp of the smallest subnormal, relative to the value.
    const tol = want < SUBNORMAL_LIMIT ? Math.max(2e-14, 5e-324 / want) : 2e-14;
    expect(relErr(normalCdf(x), want)).toBeLessThanOrEqual(tol);
    expect(relErr(normalLogCdf(x), Number(logCdf))).toBeLessThan(2e-14);
  });
  it.each(fp.normal.filter((v) => v.x < 0))('scaled tail at y = −$x', ({ x, logCdf }) => {
    // Φ(−y)·exp(y²/2) = exp(ln Φ(−y) + y²/2)
    const want = Math.exp(Number(logCdf) + (x * x) / 2);
    expect(relErr(normalScaledTail(-x), want)).toBeLessThan(1e-12);
  });
});

describe('tails and logarithms', () => {
  it('scaled_tail_limits', () => {
    expect(normalScaledTail(0)).toBe(0.5);
    expect(relErr(normalScaledTail(1e8), 1 / (1e8 * Math.sqrt(2 * Math.PI)))).toBeLessThan(1e-12);
    expect(normalScaledTail(Number.POSITIVE_INFINITY)).toBe(0);
    expect(() => normalScaledTail(-1)).toThrow(RangeError);
  });
  it('survival_is_the_mirrored_cdf', () => {
    for (const x of [-7, -2.5, -0.3, 0, 0.3, 2.5, 7, 30]) expect(normalSf(x)).toBe(normalCdf(-x));
  });
  it('log_cdf_far_tail_does_not_underflow', () => {
    // ln Φ(−x) ≈ −x²/2 − ln(x√(2π)) for large x
    const x = 1e5;
    expect(normalLogCdf(-x)).toBeCloseTo(-(x * x) / 2 - Math.log(x * Math.sqrt(2 * Math.PI)), 3);
  });
  it('log_cdf_limits', () => {
    expect(normalLogCdf(0)).toBe(Math.log(0.5));
    expect(normalLogCdf(Number.POSITIVE_INFINITY)).toBe(0);
    expect(normalLogCdf(Number.NEGATIVE_INFINITY)).toBe(Number.NEGATIVE_INFINITY);
    expect(normalLogCdf(Number.NaN)).toBeNaN();
  });
  it('cdf_at_zero_is_exactly_half', () => expect(normalCdf(0)).toBe(0.5));
  it('quantile_round_trips_through_either_tail', () => {
    for (const p of [1e-300, 1e-12, 1e-4, 0.01, 0.025, 0.3, 0.5, 0.7, 0.975, 0.99, 1 - 1e-9]) {
      const x = normalInv(p);
      const back = p < 0.5 ? normalCdf(x) : 1 - normalSf(x);
      expect(relErr(back, p)).toBeLessThan(1e-12);
    }
    expect(normalInv(0.975)).toBeCloseTo(1.959963984540054, 14);
  });
});
