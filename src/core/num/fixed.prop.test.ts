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
  it('refuses what is not a plain decimal', () => {
    for (const bad of ['NaN', 'Infinity', '-Infinity', '1e5', '0x10', '', ' ', '1.2.3', '--1', '1,5', '١٢']) {
      expect(parseDecimal(bad, 6).ok, bad).toBe(false);
    }
    expect(parseDecimal(5 as unknown, 6).ok).toBe(false);
    expect(parseDecimal('1.0000001', 6).ok).toBe(false);
  });
});
