/**
 * The valuation of both contract types (contract-value.ts) against big.js decimals, independent
 * of the bigint arithmetic: an inverse trade of Δ contracts of cv USD at p is worth −Δ·cv/p coins,
 * rounded once in the asked direction; linear is unchanged (s·p); the price of a value inverts
 * it; the funding index step is rate·cv/p; a positive contract value and price are required.
 */
import Big from 'big.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvariantError } from '../num/index.ts';
import {
  buySign,
  entryPricePx8,
  fundingIndexDelta18,
  notionalValue,
  priceOfValue,
  signedValue,
  sizeOfValue,
} from './contract-value.ts';
import { signedValueQuote } from './notional.ts';

Big.DP = 60;
const inv = (cv8: bigint) => ({ contractType: 'inverse' as const, contractValue: cv8 });
/** −size·cv/p in units of 10^-qd, exactly, as a Big. */
const exactInverse = (size9: bigint, cv8: bigint, px8: bigint, qd: number) =>
  new Big(String(-size9))
    .div(1e9)
    .times(new Big(String(cv8)).div(1e8))
    .div(new Big(String(px8)).div(1e8))
    .times(new Big(10).pow(qd));

describe('inverse valuation', () => {
  it('signedValue: floor ≤ −n·cv/p < floor + 1 and ceil − 1 < exact ≤ ceil (big.js)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n }),
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        fc.bigInt({ min: 1n, max: 10n ** 16n }),
        fc.constantFrom(6, 8, 18),
        (size, cv, px, qd) => {
          const exact = exactInverse(size, cv, px, qd);
          const f = new Big(String(signedValue(inv(cv), size, px, qd, 'floor')));
          const c = new Big(String(signedValue(inv(cv), size, px, qd, 'ceil')));
          expect(f.lte(exact) && exact.lt(f.plus(1))).toBe(true);
          expect(c.gte(exact) && exact.gt(c.minus(1))).toBe(true);
          expect(notionalValue(inv(cv), size, px, qd, 'ceil')).toBe(
            BigInt(exact.abs().round(0, Big.roundUp).toFixed(0)),
          );
        },
      ),
    );
  });

  it('linear is the linear value (absent contract type and explicit linear)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }),
        fc.bigInt({ min: 0n, max: 10n ** 14n }),
        (s, p) => {
          expect(signedValue({}, s, p, 6, 'floor')).toBe(signedValueQuote(s, p, 6, 'floor'));
          expect(signedValue({ contractType: 'linear' }, s, p, 6, 'halfEven')).toBe(
            signedValueQuote(s, p, 6, 'halfEven'),
          );
        },
      ),
    );
  });

  it('a buy is worth less than nothing (buySign −1): Δ > 0 ⇒ value ≤ 0', () => {
    expect(buySign(inv(100n))).toBe(-1n);
    expect(buySign({})).toBe(1n);
    // 1,000 contracts × 100 USD at 40,000 = 2.5 BTC
    expect(signedValue(inv(100_00000000n), 1000n * 10n ** 9n, 40_000_00000000n, 8, 'halfEven')).toBe(
      -250_000_000n,
    );
  });

  it('priceOfValue inverts the value: the harmonic entry of two fills', () => {
    // 1,000 @ 40,000 (2.5 BTC) + 1,000 @ 50,000 (2 BTC): 200,000 / 4.5 = 44,444.44444444
    const entry = entryPricePx8(inv(100_00000000n), 2000n * 10n ** 9n, -450_000_000n, 8);
    expect(entry).toBe(4_444_444_444_444n);
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 15n }),
        fc.bigInt({ min: 10n ** 6n, max: 10n ** 15n }),
        (size, px) => {
          const cv = 100_00000000n;
          const v = notionalValue(inv(cv), size * 10n ** 9n, px, 18, 'halfEven');
          if (v === 0n) return;
          const back = priceOfValue(inv(cv), size * 10n ** 9n, v, 18, 'halfEven');
          // within the value's half-unit rounding, converted to price
          const tol = (px * px) / (size * cv * 10n ** 10n) + 2n;
          expect(back - px <= tol && px - back <= tol).toBe(true);
        },
      ),
    );
  });

  it('sizeOfValue: the whole contracts worth at most a value', () => {
    // 1 BTC at 40,000 buys 400 contracts of 100 USD
    expect(sizeOfValue(inv(100_00000000n), 100_000_000n, 40_000_00000000n, 8, 10n ** 9n, 'floor')).toBe(
      400n * 10n ** 9n,
    );
    expect(sizeOfValue(inv(100_00000000n), 99_999_999n, 40_000_00000000n, 8, 10n ** 9n, 'floor')).toBe(
      399n * 10n ** 9n,
    );
  });

  it('funding index step: rate × cv / mark (coin per contract × 1e18)', () => {
    // 0.0001 × 100 / 40,000 = 2.5e-7 BTC per contract
    expect(fundingIndexDelta18(inv(100_00000000n), 100_000n, 40_000_00000000n)).toBe(250_000_000_000n);
    expect(fundingIndexDelta18({}, 100_000n, 40_000_00000000n)).toBe(100_000n * 40_000_00000000n * 10n);
  });

  it('a zero price or a missing contract value is an invariant error, not a division by zero', () => {
    expect(() => signedValue(inv(100n), 1n, 0n, 8, 'floor')).toThrow(InvariantError);
    expect(() => notionalValue({ contractType: 'inverse' }, 1n, 1n, 8, 'floor')).toThrow(InvariantError);
    expect(() => notionalValue(inv(0n), 1n, 1n, 8, 'floor')).toThrow(InvariantError);
  });
});
