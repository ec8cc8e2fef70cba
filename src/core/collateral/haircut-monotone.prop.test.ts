/**
 * INV-04 at the valuation level: with a square-root size haircut, one more unit of
 * collateral never lowers its value; and the exact haircut value agrees with an
 * independent big.js evaluation of balance·price·1.1/(1 + f·√tokens) to one unit.
 */
import Big from 'big.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { collateralValueQuote, sizeHaircutValueQuote } from './valuation.ts';

Big.DP = 60;

const arb = fc.record({
  balance: fc.bigInt({ min: 1n, max: 10n ** 30n }),
  delta: fc.bigInt({ min: 1n, max: 10n ** 6n }),
  decimals: fc.constantFrom(6, 8, 9, 18),
  pricePx8: fc.bigInt({ min: 1n, max: 10n ** 15n }),
  weightPpm: fc.bigInt({ min: 1n, max: 1_000_000n }),
  factor: fc.bigInt({ min: 1n, max: 2_000_000n }),
});

describe('size haircut valuation', () => {
  it('is monotone in the balance (INV-04)', () => {
    fc.assert(
      fc.property(arb, (x) => {
        const base = {
          assetDecimals: x.decimals,
          pricePx8: x.pricePx8,
          weightPpm: x.weightPpm,
          sizeHaircutFactorPpm: x.factor,
          quoteDecimals: 6,
        };
        const v0 = collateralValueQuote({ ...base, balance: x.balance });
        const v1 = collateralValueQuote({ ...base, balance: x.balance + x.delta });
        expect(v1).toBeGreaterThanOrEqual(v0);
      }),
      { numRuns: 3000 },
    );
  });

  it('the counterexample of the floored-weight form is monotone here', () => {
    // 10,000 BTC at $100k, weight 0.95, factor 0.01: +1 sat used to drop ~1,000 USDC.
    const base = {
      assetDecimals: 8,
      pricePx8: 100_000n * 10n ** 8n,
      weightPpm: 950_000n,
      sizeHaircutFactorPpm: 10_000n,
      quoteDecimals: 6,
    };
    for (let i = 0n; i < 200n; i++) {
      const b = 10_000n * 10n ** 8n + i * 7_919n;
      expect(collateralValueQuote({ ...base, balance: b + 1n })).toBeGreaterThanOrEqual(
        collateralValueQuote({ ...base, balance: b }),
      );
    }
  });

  it('matches an independent big.js evaluation to one unit', () => {
    fc.assert(
      fc.property(arb, (x) => {
        const got = sizeHaircutValueQuote({
          balance: x.balance,
          assetDecimals: x.decimals,
          pricePx8: x.pricePx8,
          weightPpm: x.weightPpm,
          sizeHaircutFactorPpm: x.factor,
          quoteDecimals: 6,
        });
        const tokens = new Big(x.balance.toString()).div(new Big(10).pow(x.decimals));
        const px = new Big(x.pricePx8.toString()).div(1e8);
        const f = new Big(x.factor.toString()).div(1e6);
        const exact = tokens.times(px).times(1e6).times(1.1).div(f.times(tokens.sqrt()).plus(1));
        const diff = exact.minus(got.toString());
        expect(diff.gte(-1e-9) && diff.lt(1.000001)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
