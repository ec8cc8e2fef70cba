/**
 * Size haircut on a large collateral balance (Drift protocol-v2's IMF factor
 * applied to spot assets): the bigger the deposit, the less each unit counts,
 * because it cannot be sold at the oracle price.
 *
 *     weight_disc = 1.1 / (1 + imfFactor × √(balance in whole tokens))
 *     weight      = min(weight, weight_disc)
 *
 * In Drift's exact integer form (`calculate_size_discount_asset_weight`,
 * programs/drift/src/math/margin.rs), with size at 1e9 and IMF factor at 1e6:
 *
 *     sizeSqrt    = ⌊√(size × 10 + 1)⌋                    (√(whole tokens) at 1e5)
 *     weight_disc = ⌊1.1e6 × precision / (1e6 + ⌊sizeSqrt × imf / 1e5⌋)⌋
 *
 * Drift's weights are at SPOT_WEIGHT_PRECISION 1e4; ours are ppm (precision 1e6).
 * Because the only rounding after the denominator is one floor,
 * ⌊(ours at 1e6) / 100⌋ equals Drift's 1e4 weight exactly. Rounded down:
 * collateral is never overstated.
 */

import { IMF_PRECISION, sizeSqrt1e5 } from '../margin/size-premium.ts';
import { InvariantError, min, PPM, pow10 } from '../num/index.ts';

/** Drift's AMM_RESERVE_PRECISION exponent: sizes under the root are at 1e9. */
const SIZE_DECIMALS = 9;

/**
 * A token balance (its own smallest units) at 1e9 scale, as Drift converts it
 * (integer division when the token has more than 9 decimals).
 *
 * @param balance |balance| in the asset's smallest units
 * @param assetDecimals decimals of the asset's smallest unit
 */
export function sizeAtPrecision9(balance: bigint, assetDecimals: number): bigint {
  if (balance < 0n) throw new InvariantError(`negative size ${balance}`);
  return assetDecimals > SIZE_DECIMALS
    ? balance / pow10(assetDecimals - SIZE_DECIMALS)
    : balance * pow10(SIZE_DECIMALS - assetDecimals);
}

/**
 * Size-discounted asset weight (Drift's `calculate_size_discount_asset_weight`).
 *
 * @param size9 |balance| at 1e9 scale (see sizeAtPrecision9)
 * @param imfFactorPpm IMF factor, ppm (Drift 1e6 precision); 0 disables the haircut
 * @param assetWeight the configured weight, at `precision` scale
 * @param precision scale of weights: PPM (default) or Drift's 10_000n
 * @returns min(weight, weight_disc) at `precision` scale, rounded down
 * @example sizeDiscountAssetWeight(10n ** 12n, 100_000n, 9_000n, 10_000n) // 2_642n (Drift test)
 */
export function sizeDiscountAssetWeight(
  size9: bigint,
  imfFactorPpm: bigint,
  assetWeight: bigint,
  precision: bigint = PPM,
): bigint {
  if (imfFactorPpm < 0n || assetWeight < 0n || precision <= 0n)
    throw new InvariantError('bad size-discount input');
  if (imfFactorPpm === 0n) return assetWeight;
  const imfNumerator = IMF_PRECISION + IMF_PRECISION / 10n;
  const denominator = IMF_PRECISION + (sizeSqrt1e5(size9) * imfFactorPpm) / 100_000n;
  return min(assetWeight, (imfNumerator * precision) / denominator);
}
