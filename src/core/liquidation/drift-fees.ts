/**
 * Drift v2's two liquidation fees (policy penalty `drift`), exact integer functions in the engine's
 * units (ppm fees, px8 prices, qty9 sizes), following protocol-v2's math/liquidation.rs step by step:
 *
 * - the liquidator fee ramps (get_liquidation_fee): the base fee while the scope has been in
 *   liquidation for less than the grace period, then base + elapsed slots × increase per slot,
 *   capped at the max. Drift counts Solana slots; the engine counts `floor(elapsed ms / slotMs)`.
 * - the insurance-fund fee is the implied remainder × 95 % (calculate_perp_if_fee): what the
 *   margin ratio (with the liquidation buffer) leaves after the liquidator fee and the shortage
 *   per unit of the position's value, × 19/20, capped at the market's max IF fee.
 *
 * Drift's fees are at 1e6 (LIQUIDATION_FEE_PRECISION), which is the engine's ppm; its margin ratio
 * ×100 is ppm too. With a 6-decimal quote and prices px8 = Drift's 1e6 price × 100 the divisions
 * below truncate exactly where Drift's do, so the results are Drift's integers (checked against the
 * test reference in reference/drift-v2.ts and the Rust tests' numbers).
 */
import { pow10 } from '../num/index.ts';

export interface DriftFeeRamp {
  /** Base liquidator fee, ppm. */
  readonly liquidatorFee: bigint;
  /** Ceiling of the ramped fee, ppm. */
  readonly maxLiquidatorFee: bigint;
  /** Milliseconds per slot (Drift: Solana slots, ~400 ms). */
  readonly slotMs: number;
  /** Slots before the fee starts to rise (LIQUIDATION_FEE_ADJUST_GRACE_PERIOD_SLOTS). */
  readonly gracePeriodSlots: number;
  /** Rise per slot after the grace period, ppm (LIQUIDATION_FEE_INCREASE_PER_SLOT). */
  readonly increasePerSlot: bigint;
}

/** The liquidator fee (ppm) of a scope in liquidation since `startMs`, at `nowMs`. */
export function rampedLiquidatorFeePpm(ramp: DriftFeeRamp, startMs: number, nowMs: number): bigint {
  const elapsedSlots = BigInt(Math.floor(Math.max(0, nowMs - startMs) / ramp.slotMs));
  if (elapsedSlots < BigInt(ramp.gracePeriodSlots)) return ramp.liquidatorFee;
  const fee = ramp.liquidatorFee + elapsedSlots * ramp.increasePerSlot;
  return fee < ramp.maxLiquidatorFee ? fee : ramp.maxLiquidatorFee;
}

export interface ImpliedInsuranceFeeInput {
  /** Target requirement − equity, settlement units (≥ 0). */
  readonly shortageQuote: bigint;
  /** |position size|, qty9. */
  readonly sizeQty9: bigint;
  /** Oracle / mark price, px8. */
  readonly pricePx8: bigint;
  /** The position's margin ratio including the liquidation buffer, ppm. */
  readonly marginRatioPpm: bigint;
  readonly liquidatorFeePpm: bigint;
  readonly maxInsuranceFeePpm: bigint;
  readonly quoteDecimals: number;
}

/**
 * Drift's IF fee, ppm: (marginRatio − liquidatorFee − shortage / (size × price)) × 19/20, each
 * difference saturating at 0, capped at the max; 0 when the price or size is 0 or the margin ratio
 * does not exceed the liquidator fee. shortage / (size × price) truncates in two steps, per base
 * unit then per price, as Drift does.
 */
export function impliedInsuranceFeePpm(i: ImpliedInsuranceFeeInput): bigint {
  if (i.pricePx8 <= 0n || i.sizeQty9 <= 0n) return 0n;
  if (i.marginRatioPpm <= i.liquidatorFeePpm) return 0n;
  const perBase = (i.shortageQuote * 1_000_000_000n) / i.sizeQty9; // quote units per base unit
  // perBase / price as a ppm ratio: × 1e8 (px8) × 1e6 (ppm) / 10^quoteDecimals.
  const up = 6 - i.quoteDecimals;
  const num = perBase * 100_000_000n * (up > 0 ? pow10(up) : 1n);
  const den = i.pricePx8 * (up < 0 ? pow10(-up) : 1n);
  const shortageRatio = num / den;
  const left = i.marginRatioPpm - i.liquidatorFeePpm - shortageRatio;
  const implied = ((left > 0n ? left : 0n) * 19n) / 20n;
  return implied < i.maxInsuranceFeePpm ? implied : i.maxInsuranceFeePpm;
}
