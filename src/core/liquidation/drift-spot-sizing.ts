/**
 * Drift v2 spot liquidation arithmetic (protocol-v2 math/liquidation.rs), on Drift's own
 * precisions: weights 1e4, liquidation multipliers and fees 1e6, prices 1e6, quote 1e6, token
 * amounts in the token's smallest unit, cumulative deposit interest 1e10. Integer divisions
 * truncate where Drift's do; the bankruptcy delta rounds up as Drift's does. Pure functions for
 * the engine's spot step (engine/liquidation/drift-spot.ts); reference/drift-v2.ts holds the
 * test references they are checked against, with Drift's Rust test numbers.
 */
import { pow10 } from '../num/index.ts';

const PRICE_PRECISION = 1_000_000n;
const SPOT_WEIGHT_PRECISION = 10_000n;
const LIQUIDATION_FEE_PRECISION = 1_000_000n;

/**
 * Liability (token units) to transfer so the freed margin covers `shortage1e6`
 * (calculate_liability_transfer_to_cover_margin_shortage); null = everything (equal weights:
 * Drift's u128::MAX), or when no transfer frees margin.
 */
export function liabilityTransferToCover(i: {
  shortage1e6: bigint;
  assetWeight1e4: bigint;
  assetMultiplier1e6: bigint;
  liabilityWeight1e4: bigint;
  liabilityMultiplier1e6: bigint;
  liabilityDecimals: number;
  liabilityPrice1e6: bigint;
  ifFee1e6: bigint;
}): bigint | null {
  if (i.assetWeight1e4 === i.liabilityWeight1e4) return null;
  const up = i.liabilityDecimals > 6 ? pow10(i.liabilityDecimals - 6) : 1n;
  const down = i.liabilityDecimals < 6 ? pow10(6 - i.liabilityDecimals) : 1n;
  // Drift multiplies the weights by 10 before dividing by the multipliers' ratio (one more digit).
  const weightGap =
    i.liabilityWeight1e4 * 10n - (i.assetWeight1e4 * 10n * i.assetMultiplier1e6) / i.liabilityMultiplier1e6;
  const ifPart =
    ((i.liabilityPrice1e6 * i.ifFee1e6) / LIQUIDATION_FEE_PRECISION) * i.liabilityWeight1e4 * 10n;
  const per = i.liabilityPrice1e6 * weightGap - ifPart;
  if (per <= 0n) return null;
  return (i.shortage1e6 * up * PRICE_PRECISION * SPOT_WEIGHT_PRECISION * 10n) / per / down;
}

/**
 * Step of the cumulative deposit interest (1e10) that makes deposits absorb `borrow`
 * (calculate_cumulative_deposit_interest_delta_to_resolve_bankruptcy): ⌈I × borrow / deposits⌉,
 * 0 without deposits.
 */
export function depositInterestDelta(
  borrow: bigint,
  cumulativeDepositInterest1e10: bigint,
  deposits: bigint,
): bigint {
  if (deposits <= 0n) return 0n;
  const n = cumulativeDepositInterest1e10 * borrow;
  return (n + deposits - 1n) / deposits;
}
