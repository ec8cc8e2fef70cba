/**
 * Slow, obviously correct collateral valuation (big.js decimals in whole units).
 * Used only by tests.
 */
import { D, dec, floorSqrt, toBigint } from './decimal.ts';

/**
 * Drift's size-discount weight, integer steps spelled out on decimals:
 * ⌊1.1e6 × precision / (1e6 + ⌊⌊√(10·size + 1)⌋ × imf / 1e5⌋)⌋, then min with the weight.
 */
export function refSizeDiscountWeight(
  size9: bigint,
  imfFactorPpm: bigint,
  weight: bigint,
  precision: bigint,
): bigint {
  if (imfFactorPpm === 0n) return weight;
  const term = toBigint(
    dec(floorSqrt(size9 * 10n + 1n))
      .times(dec(imfFactorPpm))
      .div(100_000),
    'floor',
  );
  const disc = toBigint(
    dec(1_100_000n)
      .times(dec(precision))
      .div(dec(1_000_000n + term)),
    'floor',
  );
  return disc < weight ? disc : weight;
}

/**
 * Value of a balance in quote units: (balance / 10^assetDecimals) × (price / 1e8) × weight × 10^quoteDecimals;
 * assets at min(weight, discount) rounded down, liabilities at 100% rounded away from zero.
 */
export function refCollateralValueQuote(args: {
  balance: bigint;
  assetDecimals: number;
  pricePx8: bigint;
  weightPpm: bigint;
  sizeHaircutFactorPpm: bigint;
  quoteDecimals: number;
}): bigint {
  const { balance, assetDecimals, pricePx8, quoteDecimals } = args;
  const whole = dec(balance, assetDecimals).times(dec(pricePx8, 8)).times(new D(10).pow(quoteDecimals));
  if (balance >= 0n) {
    const size9 =
      assetDecimals > 9
        ? toBigint(dec(balance, assetDecimals - 9), 'floor')
        : balance * 10n ** BigInt(9 - assetDecimals);
    if (args.sizeHaircutFactorPpm === 0n || size9 === 0n)
      return toBigint(whole.times(dec(args.weightPpm, 6)), 'floor');
    // Exact (unfloored) square-root haircut: min(weight, 1.1 / (1 + f·√tokens)).
    const tokens = dec(balance, assetDecimals);
    const disc = new D('1.1').div(dec(args.sizeHaircutFactorPpm, 6).times(tokens.sqrt()).plus(1));
    const w = dec(args.weightPpm, 6);
    return toBigint(whole.times(disc.lt(w) ? disc : w), 'floor');
  }
  return toBigint(whole, 'floor');
}
