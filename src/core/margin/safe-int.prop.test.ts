/**
 * The safe-integer a·b / 10^k against its definition: whenever it answers (not NaN), the answer
 * is the one integer the rounding's bracket allows (floor: q·10^k ≤ a·b < (q+1)·10^k, and so on),
 * checked in bigints, and equal to `divRound`; on step- and tick-aligned operands it answers.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { divRound, isqrt, type Rounding } from '../num/index.ts';
import { isqrtSafe, mulDivPow10, PPM_PARTS, ppmParts, SAFE_OPERAND } from './safe-int.ts';

const ROUNDINGS: Rounding[] = ['floor', 'ceil', 'trunc', 'halfEven'];

/** Does q satisfy the rounding's definition for n / d (d > 0)? Independent of divRound. */
function brackets(q: bigint, n: bigint, d: bigint, rounding: Rounding): boolean {
  const floorOk = q * d <= n && n < (q + 1n) * d;
  const ceilOk = (q - 1n) * d < n && n <= q * d;
  switch (rounding) {
    case 'floor':
      return floorOk;
    case 'ceil':
      return ceilOk;
    case 'trunc':
      return n >= 0n ? floorOk : ceilOk;
    case 'halfEven': {
      // |n − q·d| ≤ d/2, a tie to the even q
      const twice = 2n * (n - q * d);
      const dist = twice < 0n ? -twice : twice;
      if (dist > d) return false;
      return dist < d || q % 2n === 0n;
    }
  }
}

/** An integer m·10^j: what step- and tick-aligned sizes and prices look like. */
const aligned = fc
  .tuple(fc.integer({ min: -9_999_999, max: 9_999_999 }), fc.integer({ min: 0, max: 15 }))
  .map(([m, j]) => m * 10 ** j)
  .filter((x) => Math.abs(x) < SAFE_OPERAND);
const anyInt = fc.oneof(
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 }),
  fc.maxSafeInteger(),
  fc.constantFrom(
    0,
    1,
    -1,
    SAFE_OPERAND - 1,
    -(SAFE_OPERAND - 1),
    SAFE_OPERAND,
    2 ** 53 - 1,
    999_999_999_999_999,
  ),
);
const operand = fc.oneof(aligned, anyInt);

describe('mulDivPow10', () => {
  it('answers only with the integer its rounding defines, which divRound gives too', () => {
    fc.assert(
      fc.property(
        operand,
        operand,
        fc.integer({ min: 0, max: 20 }),
        fc.constantFrom(...ROUNDINGS),
        (a, b, k, r) => {
          const got = mulDivPow10(a, b, k, r);
          if (Number.isNaN(got)) return;
          expect(Number.isSafeInteger(got)).toBe(true);
          expect(Object.is(got, -0)).toBe(false);
          const n = BigInt(a) * BigInt(b);
          const d = 10n ** BigInt(k);
          expect(brackets(BigInt(got), n, d, r)).toBe(true);
          expect(BigInt(got)).toBe(divRound(n, d, r));
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it('answers for aligned sizes and prices (qty9 × px8 → 6-decimal quote)', () => {
    let answered = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 99_999 }).map((m) => m * 1e6), // 0.001 steps up to 99.999
        fc.integer({ min: 1, max: 9_999_999 }).map((t) => t * 1e6), // 0.01 ticks up to 99,999.99
        (size, px) => {
          const got = mulDivPow10(size, px, 11, 'floor');
          if (!Number.isNaN(got)) answered++;
          else return;
          expect(BigInt(got)).toBe(divRound(BigInt(size) * BigInt(px), 10n ** 11n, 'floor'));
        },
      ),
      { numRuns: 2_000 },
    );
    expect(answered).toBe(2_000);
  });

  it('declines what does not fit', () => {
    expect(mulDivPow10(2 ** 52, 1, 0, 'floor')).toBeNaN();
    expect(mulDivPow10(3 ** 20, 3 ** 20, 0, 'floor')).toBeNaN(); // product ≥ 2^53
    expect(mulDivPow10(7, 3, 30, 'floor')).toBeNaN(); // divisor beyond 10^15
    expect(mulDivPow10(-7, 3, 1, 'floor')).toBe(-3);
    expect(mulDivPow10(-7, 3, 1, 'ceil')).toBe(-2);
    expect(mulDivPow10(25, 1, 1, 'halfEven')).toBe(2);
    expect(mulDivPow10(35, 1, 1, 'halfEven')).toBe(4);
    expect(mulDivPow10(-25, 1, 1, 'halfEven')).toBe(-2);
  });
});

describe('ppmParts', () => {
  const nonNeg = fc.oneof(
    fc.integer({ min: 0, max: 2 ** 31 }),
    fc.maxSafeNat(),
    fc.constantFrom(0, 1, 999_999, 1_000_000, 1_000_001, 2 ** 52, 2 ** 53 - 1),
    aligned.map((x) => Math.abs(x)),
  );
  const ratio = fc.oneof(
    fc.integer({ min: 0, max: 1_000_000 }),
    fc.constantFrom(0, 1, 999_999, 1_000_000, 9e9, 9e9 + 1),
    fc.integer({ min: 0, max: 9_000_000_000 }),
  );
  it('splits n·r at 10^6 exactly (q·10^6 + rem = n·r, 0 ≤ rem < 10^6) whenever it answers', () => {
    let answered = 0;
    fc.assert(
      fc.property(nonNeg, ratio, (n, r) => {
        if (!ppmParts(n, r)) {
          // declines only when the quotient is not a safe integer, or r is beyond its bound
          expect(r > 9e9 || (BigInt(n) * BigInt(r)) / 1_000_000n > BigInt(Number.MAX_SAFE_INTEGER)).toBe(
            true,
          );
          return;
        }
        answered++;
        const { q, rem } = PPM_PARTS;
        expect(Number.isSafeInteger(q) && Number.isSafeInteger(rem)).toBe(true);
        expect(rem >= 0 && rem < 1_000_000).toBe(true);
        expect(BigInt(q) * 1_000_000n + BigInt(rem)).toBe(BigInt(n) * BigInt(r));
      }),
      { numRuns: 20_000 },
    );
    expect(answered).toBeGreaterThan(10_000);
  });
});

describe('isqrtSafe', () => {
  it('is ⌊√x⌋ below 2^52, on and around perfect squares, and NaN beyond', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: 0, max: 2 ** 31 }),
          fc.integer({ min: 0, max: 2 ** 52 + 10 }),
          fc
            .tuple(fc.integer({ min: 0, max: 2 ** 26 }), fc.integer({ min: -1, max: 1 }))
            .map(([k, d]) => Math.max(0, k * k + d)),
        ),
        (x) => {
          const got = isqrtSafe(x);
          if (x >= SAFE_OPERAND) {
            expect(got).toBeNaN();
            return;
          }
          expect(BigInt(got)).toBe(isqrt(BigInt(x)));
        },
      ),
      { numRuns: 20_000 },
    );
  });
});
