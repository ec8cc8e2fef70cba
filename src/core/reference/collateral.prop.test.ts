/**
 * Property tests: collateral valuation agrees with the big.js reference, and
 * the size discount only ever lowers a weight, more so for bigger balances.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sizeDiscountAssetWeight } from '../collateral/size-discount.ts';
import { collateralValueQuote } from '../collateral/valuation.ts';
import { refCollateralValueQuote, refSizeDiscountWeight } from './collateral-reference.ts';

describe('collateral valuation: fast = reference', () => {
  it('assets rounded down at min(weight, exact √ discount), liabilities at 100% rounded away from zero', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }),
        fc.integer({ min: 0, max: 18 }),
        fc.bigInt({ min: 0n, max: 10n ** 16n }),
        fc.bigInt({ min: 0n, max: 1_000_000n }),
        fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 10_000_000n })),
        fc.integer({ min: 0, max: 18 }),
        (balance, assetDecimals, pricePx8, weightPpm, sizeHaircutFactorPpm, quoteDecimals) => {
          const args = { balance, assetDecimals, pricePx8, weightPpm, sizeHaircutFactorPpm, quoteDecimals };
          const fast = collateralValueQuote(args);
          const ref = refCollateralValueQuote(args);
          if (sizeHaircutFactorPpm === 0n || balance <= 0n) expect(fast).toBe(ref);
          // the haircut involves a square root: the reference's finite precision may land one unit either side of an exact integer
          else expect(fast - ref <= 1n && ref - fast <= 1n).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('size discount', () => {
  it('fast = reference, never above the weight, non-increasing in size', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 27n }),
        fc.bigInt({ min: 0n, max: 10n ** 27n }),
        fc.bigInt({ min: 0n, max: 10_000_000n }),
        fc.bigInt({ min: 0n, max: 1_000_000n }),
        fc.constantFrom(10_000n, 1_000_000n),
        (a, b, imf, weight, precision) => {
          const w = sizeDiscountAssetWeight(a, imf, weight, precision);
          expect(w).toBe(refSizeDiscountWeight(a, imf, weight, precision));
          expect(w).toBeLessThanOrEqual(weight);
          const [small, large] = a <= b ? [a, b] : [b, a];
          expect(sizeDiscountAssetWeight(large, imf, weight, precision)).toBeLessThanOrEqual(
            sizeDiscountAssetWeight(small, imf, weight, precision),
          );
        },
      ),
      { numRuns: 500 },
    );
  });
});
