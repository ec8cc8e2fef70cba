import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { normCdf, normLogCdf, normPdf, normQuantile, normScaledTail, normSf } from './normal.ts';

const vectors = JSON.parse(
  readFileSync(new URL('./testdata/first_passage_mpmath.json', import.meta.url), 'utf8'),
) as { source: string; normal: { x: number; cdf: string; logCdf: string }[] };

const relErr = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

describe('normCdf against mpmath (50 digits)', () => {
  it('has_a_source', () => expect(vectors.source).toMatch(/mpmath/));
  for (const v of vectors.normal) {
    it(`cdf_at_${v.x}`, () => {
      const want = Number(v.cdf);
      if (v.x < -37.5)
        expect(normCdf(v.x)).toBe(0); // below the smallest double's reach (as R)
      else expect(relErr(normCdf(v.x), want)).toBeLessThan(2e-14);
      expect(relErr(normLogCdf(v.x), Number(v.logCdf))).toBeLessThan(2e-14);
    });
  }
});

describe('normScaledTail against mpmath', () => {
  for (const v of vectors.normal.filter((v) => v.x < 0)) {
    it(`scaled_tail_at_${-v.x}`, () => {
      // Φ(-y)·exp(y²/2) = exp(ln Φ(-y) + y²/2)
      const want = Math.exp(Number(v.logCdf) + (v.x * v.x) / 2);
      expect(relErr(normScaledTail(-v.x), want)).toBeLessThan(1e-12);
    });
  }
  it('scaled_tail_limits', () => {
    expect(normScaledTail(0)).toBe(0.5);
    expect(relErr(normScaledTail(1e8), 1 / (1e8 * Math.sqrt(2 * Math.PI)))).toBeLessThan(1e-12);
    expect(normScaledTail(Number.POSITIVE_INFINITY)).toBe(0);
    expect(() => normScaledTail(-1)).toThrow(RangeError);
  });
});

describe('normal helpers', () => {
  it('cdf_at_zero_is_exactly_half', () => expect(normCdf(0)).toBe(0.5));
  it('survival_is_the_mirrored_cdf', () => {
    for (const x of [-7, -2.5, -0.3, 0, 0.3, 2.5, 7, 30]) expect(normSf(x)).toBe(normCdf(-x));
  });
  it('log_cdf_far_tail_does_not_underflow', () => {
    // ln Φ(-x) ≈ -x²/2 - ln(x√(2π)) for large x
    const x = 1e5;
    expect(normLogCdf(-x)).toBeCloseTo(-(x * x) / 2 - Math.log(x * Math.sqrt(2 * Math.PI)), 3);
  });
  it('nan_in_nan_out', () => expect(normCdf(Number.NaN)).toBeNaN());
  it('infinities', () => {
    expect(normCdf(Number.NEGATIVE_INFINITY)).toBe(0);
    expect(normCdf(Number.POSITIVE_INFINITY)).toBe(1);
    expect(normLogCdf(Number.POSITIVE_INFINITY)).toBe(0);
  });
  it('pdf_at_zero', () => expect(normPdf(0)).toBeCloseTo(1 / Math.sqrt(2 * Math.PI), 15));
  it('quantile_round_trips', () => {
    for (const p of [1e-300, 1e-12, 1e-4, 0.01, 0.025, 0.3, 0.5, 0.7, 0.975, 0.99, 1 - 1e-9]) {
      const x = normQuantile(p);
      const back = p < 0.5 ? normCdf(x) : 1 - normSf(x);
      expect(relErr(back, p)).toBeLessThan(1e-12);
    }
    expect(normQuantile(0.975)).toBeCloseTo(1.959963984540054, 14);
    expect(normQuantile(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(normQuantile(1)).toBe(Number.POSITIVE_INFINITY);
    expect(normQuantile(1.5)).toBeNaN();
  });
});
