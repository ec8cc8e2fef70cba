/** Exact-number helpers against their definitions. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { divRound, formatDecimal, isqrt, isqrtCeil, parseDecimal } from './fixed.ts';

describe('isqrt', () => {
  it('is the floor square root, for small and astronomically large n', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.bigInt({ min: 0n, max: 10n ** 20n }), fc.bigInt({ min: 0n, max: 10n ** 400n })),
        (n) => {
          const r = isqrt(n);
          expect(r * r <= n && (r + 1n) * (r + 1n) > n).toBe(true);
          const c = isqrtCeil(n);
          expect(c * c >= n && (c === 0n || (c - 1n) * (c - 1n) < n)).toBe(true);
        },
      ),
      { numRuns: 5000 },
    );
  });
  it('perfect squares near float precision limits', () => {
    for (const k of [2n ** 53n - 1n, 2n ** 53n + 1n, 10n ** 44n + 7n, 3n ** 200n]) {
      expect(isqrt(k * k)).toBe(k);
      expect(isqrt(k * k - 1n)).toBe(k - 1n);
    }
  });
});

describe('divRound', () => {
  it('floor/ceil/trunc/halfEven bracket the exact quotient', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }),
        fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }).filter((d) => d !== 0n),
        (n, d) => {
          const f = divRound(n, d, 'floor');
          const c = divRound(n, d, 'ceil');
          // floor: f·d ≤ n < (f+1)·d for d > 0 (mirror for d < 0)
          const sd = d > 0n ? 1n : -1n;
          expect(f * d * sd <= n * sd && (f + 1n) * d * sd > n * sd).toBe(true);
          expect(c - f).toBe(n % d === 0n ? 0n : 1n);
          const h = divRound(n, d, 'halfEven');
          expect(h === f || h === c).toBe(true);
          const t = divRound(n, d, 'trunc');
          expect(t).toBe(n / d);
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('decimal parse/format', () => {
  it('round-trips every integer at every scale', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }),
        fc.integer({ min: 0, max: 18 }),
        (v, dp) => {
          const r = parseDecimal(formatDecimal(v, dp), dp);
          expect(r.ok && r.value).toBe(v);
        },
      ),
    );
  });
  it('formats as the plain pad, split and trim definition does', () => {
    // the definition: pad to decimals + 1 digits, split, drop trailing fraction zeros, pad to minFraction
    const reference = (value: bigint, dp: number, minFraction: number): string => {
      const neg = value < 0n;
      const digits = (neg ? -value : value).toString().padStart(dp + 1, '0');
      const intPart = digits.slice(0, digits.length - dp);
      let frac = dp > 0 ? digits.slice(digits.length - dp) : '';
      frac = frac.replace(/0+$/, '');
      if (frac.length < minFraction) frac = frac.padEnd(minFraction, '0');
      return (neg ? '-' : '') + intPart + (frac.length > 0 ? `.${frac}` : '');
    };
    fc.assert(
      fc.property(
        fc.oneof(fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }), fc.bigInt({ min: -1000n, max: 1000n })),
        fc.integer({ min: 0, max: 24 }),
        fc.integer({ min: 0, max: 8 }),
        (v, dp, minFraction) => {
          expect(formatDecimal(v, dp, { minFraction })).toBe(reference(v, dp, minFraction));
          expect(formatDecimal(v, dp)).toBe(reference(v, dp, 0));
        },
      ),
      { numRuns: 5000 },
    );
    expect(formatDecimal(-1_500_000n, 6)).toBe('-1.5');
    expect(formatDecimal(5n, 3, { minFraction: 2 })).toBe('0.005');
    expect(formatDecimal(12n, 0, { minFraction: 2 })).toBe('12.00');
  });

  it('refuses what is not a plain decimal', () => {
    for (const bad of ['NaN', 'Infinity', '-Infinity', '1e5', '0x10', '', ' ', '1.2.3', '--1', '1,5', '١٢']) {
      expect(parseDecimal(bad, 6).ok, bad).toBe(false);
    }
    expect(parseDecimal(5 as unknown, 6).ok).toBe(false);
    expect(parseDecimal('1.0000001', 6).ok).toBe(false);
  });
});
