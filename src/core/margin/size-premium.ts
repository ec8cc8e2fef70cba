/**
 * Size premium (Drift protocol-v2's IMF factor): a large position needs a
 * larger margin ratio, growing with the square root of its size.
 *
 *     ratio = max(base, 0.8 × base + imfFactor × √(size in whole base units))
 *
 * in Drift's exact integer form (`calculate_size_premium_liability_weight`,
 * programs/drift/src/math/margin.rs):
 *
 *     sizeSqrt  = ⌊√(size × 10 + 1)⌋                 size at 1e9 → ×10 = 1e10 → √ = 1e5 scale
 *     numerator = base − ⌊base / 5⌋                  (≈ 0.8 × base)
 *     premium   = numerator + ⌊sizeSqrt × imf / (100_000 × 1e6 / precision)⌋
 *     ratio     = max(base, premium)
 *
 * Units: Drift's size is BASE_PRECISION (1e9), exactly our qty9; its IMF factor
 * is at 1e6 (SPOT_IMF_PRECISION), exactly our ppm. `precision` is the scale of
 * the ratio: Drift uses MARGIN_PRECISION 1e4 for perp margin ratios and
 * SPOT_WEIGHT_PRECISION 1e4 for spot liability weights; Plimsoll uses ppm
 * (1e6). With precision 1e6 the premium term divides by 1e5 instead of 1e7, so
 * our ratio is finer-grained than Drift's: for a base that is a multiple of 500
 * ppm (Drift's ratio a multiple of 5 at 1e4), ⌊ours / 100⌋ equals Drift's value
 * exactly (nested floors), and ours is never below 100 × Drift's.
 * Ratios are rounded down here as in Drift; the requirement built on them is
 * rounded up.
 */
import { InvariantError, isqrt, max, PPM } from '../num/index.ts';

/** Drift's IMF factor precision (1e6), equal to our ppm. */
export const IMF_PRECISION = 1_000_000n;

/**
 * ⌊√(size × 10 + 1)⌋: the square root of a size in whole units, at 1e5 scale
 * (Drift's form; the +1 keeps the root of 0 at 1, harmlessly).
 *
 * @param sizeQty9 |size| at 1e9 (qty9 or Drift's AMM_RESERVE_PRECISION)
 */
export function sizeSqrt1e5(sizeQty9: bigint): bigint {
  if (sizeQty9 < 0n) throw new InvariantError(`negative size ${sizeQty9}`);
  return isqrt(sizeQty9 * 10n + 1n);
}

/**
 * Size-premium margin ratio (Drift's `calculate_size_premium_liability_weight`).
 *
 * @param sizeQty9 |position size|, qty9 (= Drift BASE_PRECISION 1e9)
 * @param imfFactorPpm IMF factor, ppm (= Drift's 1e6 precision); 0 disables the premium
 * @param baseRatio the ratio without premium, at `precision` scale
 * @param precision scale of `baseRatio` and of the result: PPM (default) or Drift's 10_000n
 * @returns max(base, premium) at `precision` scale
 * @example sizePremiumRatio(1_000_000_000_000n, 10_000n, 11_000n, 10_000n) // 11_962n (Drift test)
 */
export function sizePremiumRatio(
  sizeQty9: bigint,
  imfFactorPpm: bigint,
  baseRatio: bigint,
  precision: bigint = PPM,
): bigint {
  if (imfFactorPpm < 0n || baseRatio < 0n) throw new InvariantError('negative imf factor or ratio');
  if (imfFactorPpm === 0n) return baseRatio;
  const scaledUnit = 100_000n * IMF_PRECISION;
  if (precision <= 0n || scaledUnit % precision !== 0n) {
    throw new InvariantError(`precision ${precision} must divide 1e11`);
  }
  const numerator = baseRatio - baseRatio / 5n;
  const premium = numerator + (sizeSqrt1e5(sizeQty9) * imfFactorPpm) / (scaledUnit / precision);
  return max(baseRatio, premium);
}
