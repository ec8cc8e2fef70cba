/**
 * A resting order's reservation terms through the safe-integer path (addOrderTerms, linear
 * markets) against the bigint functions (openingLossQuote, openingFeeQuote): the same sums to
 * the unit on random orders — step- and tick-aligned or arbitrary sizes and prices, up to and
 * beyond 2^52, marks above and below the limit, quote scales 0–18, fee rates, inverse terms.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addOrderTerms, type OrderLite, type OrderSums, setSafeOrderTerms } from './open-orders.ts';

const around = (x: bigint) => fc.bigInt({ min: x - 1_000n, max: x + 1_000n });
const amount = fc.oneof(
  { arbitrary: fc.bigInt({ min: 1n, max: 1_000_000n }).map((m) => m * 1_000_000n), weight: 3 },
  { arbitrary: fc.bigInt({ min: 0n, max: 10n ** 12n }), weight: 2 },
  { arbitrary: around(2n ** 52n), weight: 1 },
  { arbitrary: around(2n ** 53n), weight: 1 },
  { arbitrary: fc.bigInt({ min: 0n, max: 10n ** 22n }), weight: 1 },
);

function sums(o: OrderLite, mark: bigint, fee: bigint, qd: number, inverse: boolean): OrderSums {
  const s: OrderSums = { bids: 0n, asks: 0n, loss: 0n, fee: 0n };
  const terms = inverse ? { contractType: 'inverse' as const, contractValue: 100_00000000n } : {};
  addOrderTerms(s, o, mark, fee, qd, terms);
  return s;
}

describe('order terms in safe integers', () => {
  it('equal the bigint terms', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('buy' as const, 'sell' as const),
        amount.filter((x) => x > 0n),
        amount,
        amount,
        fc.oneof(fc.bigInt({ min: 0n, max: 10_000n }), fc.bigInt({ min: 0n, max: 2n ** 53n })),
        fc.constantFrom(0, 2, 6, 8, 9, 17, 18),
        fc.constantFrom(false, false, false, true),
        (side, size, price, mark, fee, qd, inverse) => {
          if (inverse && (price === 0n || mark === 0n)) return; // an inverse market has positive prices
          const o: OrderLite = { id: 'o', market: 'X', side, size, pricePx8: price, reduceOnly: false };
          const got = sums(o, mark, fee, qd, inverse);
          setSafeOrderTerms(false);
          try {
            expect(got).toEqual(sums(o, mark, fee, qd, inverse));
          } finally {
            setSafeOrderTerms(true);
          }
        },
      ),
      { numRuns: 20_000 },
    );
  });
});
