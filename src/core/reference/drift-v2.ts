/**
 * Drift protocol-v2's liquidation and spot formulas, re-implemented from
 * https://github.com/drift-labs/protocol-v2 (programs/drift/src/math/liquidation.rs, margin.rs)
 * as an independent check of the engine: a test reference only. The engine does not run these;
 * the drift-v2 preset configures what it does execute (the sqrtSize margin model, socialized
 * loss through the funding index) and docs/presets.md lists the rest as venue rules the engine
 * does not execute yet. Numbers come from the same repository's Rust tests
 * (math/liquidation/tests.rs, math/margin/tests.rs; test/vectors/drift_v2_*.json).
 *
 * - The liquidation size (calculate_base_asset_amount_to_cover_margin_shortage): the liquidator
 *   takes over just enough base to cover the margin shortage net of fees,
 *
 *       base = shortage / (price × (marginRatio − liquidatorFee) − price × ifFee)
 *
 *   with its integer steps kept and its precisions mapped to Plimsoll's (ppm ratios, px8
 *   prices, qty9 sizes).
 * - The liquidator fee ramps from the base fee to the max after a grace period
 *   (get_liquidation_fee); the insurance fund takes the implied fee
 *   (margin ratio − liquidator fee − shortage / (base × price)) × 95%, capped
 *   (calculate_perp_if_fee).
 * - A spot liquidation transfers liability for collateral
 *   (calculate_liability_transfer_to_cover_margin_shortage).
 * - A bankrupt perp loss the insurance fund cannot cover is socialized through the cumulative
 *   funding rate of both sides (calculate_funding_rate_deltas_to_resolve_bankruptcy); a spot
 *   borrow through the deposit interest index
 *   (calculate_cumulative_deposit_interest_delta_to_resolve_bankruptcy).
 *
 * `driftSpotAssetWeight` and `driftSizePremium` are not independent: they put Drift's precisions
 * (weights at 1e4) on the engine's own size discount and size premium
 * (collateral/size-discount.ts, margin/size-premium.ts) so the tests can feed them Drift's
 * vectors directly.
 *
 * Functions here keep Drift's integer precisions: margin ratio and spot weights 1e4, fees 1e6,
 * prices 1e6, quote 1e6, base 1e9, funding rate 1e9 — except driftBaseToCoverMarginShortage,
 * which takes Plimsoll's units (below).
 */
import { sizeDiscountAssetWeight } from '../collateral/size-discount.ts';
import { sizePremiumRatio } from '../margin/size-premium.ts';
import {
  divRound,
  InvariantError,
  PPM,
  PRICE_DECIMALS,
  pow10,
  QTY_DECIMALS,
  type Rounding,
} from '../num/index.ts';

/** Drift precisions. */
export const DRIFT = {
  QUOTE_PRECISION: 1_000_000n,
  PRICE_PRECISION: 1_000_000n,
  BASE_PRECISION: 1_000_000_000n,
  MARGIN_PRECISION: 10_000n,
  SPOT_WEIGHT_PRECISION: 10_000n,
  LIQUIDATION_FEE_PRECISION: 1_000_000n,
  FUNDING_RATE_PRECISION: 1_000_000_000n,
  /** FUNDING_RATE_PRECISION / QUOTE_PRECISION */
  FUNDING_RATE_TO_QUOTE_PRECISION_PRECISION_RATIO: 1_000n,
  /** LIQUIDATION_FEE_PRECISION / MARGIN_PRECISION */
  LIQUIDATION_FEE_TO_MARGIN_PRECISION_RATIO: 100n,
} as const;

/** Drift's spot asset weight with the size discount (weights at 1e4). */
export const driftSpotAssetWeight = (size9: bigint, imfFactor1e6: bigint, weight1e4: bigint) =>
  sizeDiscountAssetWeight(size9, imfFactor1e6, weight1e4, DRIFT.SPOT_WEIGHT_PRECISION);

/** Drift's spot liability weight / perp margin ratio with the size premium (1e4). */
export const driftSizePremium = (size9: bigint, imfFactor1e6: bigint, weight1e4: bigint) =>
  sizePremiumRatio(size9, imfFactor1e6, weight1e4, DRIFT.SPOT_WEIGHT_PRECISION);

/**
 * Liquidator fee after a liquidation has gone on for a while (get_liquidation_fee):
 * the base fee within the grace period, then base + slots elapsed × increase per
 * slot, capped at the max. Fees at 1e6.
 *
 * @param gracePeriodSlots LIQUIDATION_FEE_ADJUST_GRACE_PERIOD_SLOTS (1,500 ≈ 10 minutes in the SDK port)
 * @param increasePerSlot1e6 LIQUIDATION_FEE_INCREASE_PER_SLOT (".01 bps per slot" = 1 at 1e6)
 */
export function driftLiquidationFee(
  baseFee1e6: bigint,
  maxFee1e6: bigint,
  lastActiveSlot: bigint,
  currentSlot: bigint,
  gracePeriodSlots = 1_500n,
  increasePerSlot1e6 = 1n,
): bigint {
  if (currentSlot < lastActiveSlot) throw new RangeError('current slot is before the last active slot');
  const elapsed = currentSlot - lastActiveSlot;
  if (elapsed < gracePeriodSlots) return baseFee1e6;
  const fee = baseFee1e6 + elapsed * increasePerSlot1e6;
  return fee < maxFee1e6 ? fee : maxFee1e6;
}

/**
 * Insurance-fund fee on a perp liquidation, at 1e6 (calculate_perp_if_fee):
 *
 *     implied = (marginRatio − liquidatorFee − shortage × 1e9 / base × 1e6 / price) × 19 / 20
 *     fee     = min(maxIfFee, implied);  0 when price, quote price or base is 0 or marginRatio ≤ liquidatorFee
 *
 * margin ratio at 1e4 (scaled ×100 to 1e6), price = oracle × quote oracle / 1e6.
 */
export function driftPerpIfFee(i: {
  shortageQuote: bigint;
  baseAssetAmount1e9: bigint;
  marginRatio1e4: bigint;
  liquidatorFee1e6: bigint;
  oraclePrice1e6: bigint;
  quotePrice1e6: bigint;
  maxIfFee1e6: bigint;
}): bigint {
  const marginRatio = i.marginRatio1e4 * DRIFT.LIQUIDATION_FEE_TO_MARGIN_PRECISION_RATIO;
  if (i.oraclePrice1e6 === 0n || i.quotePrice1e6 === 0n || i.baseAssetAmount1e9 === 0n) return 0n;
  if (marginRatio <= i.liquidatorFee1e6) return 0n;
  const price = (i.oraclePrice1e6 * i.quotePrice1e6) / DRIFT.PRICE_PRECISION;
  const shortageRatio =
    (((i.shortageQuote * DRIFT.BASE_PRECISION) / i.baseAssetAmount1e9) * DRIFT.PRICE_PRECISION) / price;
  const sat = (x: bigint) => (x < 0n ? 0n : x);
  const implied = (sat(sat(marginRatio - i.liquidatorFee1e6) - shortageRatio) * 19n) / 20n;
  return implied < i.maxIfFee1e6 ? implied : i.maxIfFee1e6;
}

/**
 * Spot liability to transfer so that the freed margin covers the shortage
 * (calculate_liability_transfer_to_cover_margin_shortage), token units of the liability:
 *
 *     shortage × 10^(dec−6) × 1e6 × 1e4 × 10 /
 *       (price × (liabW × 10 − assetW × 10 × assetMult / liabMult) − price × ifFee / 1e6 × liabW × 10)
 *
 * null when asset and liability weights are equal (Drift: u128::MAX, "transfer everything").
 */
export function driftLiabilityTransferToCoverMarginShortage(i: {
  shortageQuote: bigint;
  assetWeight1e4: bigint;
  assetLiquidationMultiplier1e6: bigint;
  liabilityWeight1e4: bigint;
  liabilityLiquidationMultiplier1e6: bigint;
  liabilityDecimals: number;
  liabilityPrice1e6: bigint;
  ifLiquidationFee1e6: bigint;
}): bigint | null {
  if (i.assetWeight1e4 === i.liabilityWeight1e4) return null;
  const [numScale, denScale] =
    i.liabilityDecimals > 6 ? [pow10(i.liabilityDecimals - 6), 1n] : [1n, pow10(6 - i.liabilityDecimals)];
  const weights =
    i.liabilityWeight1e4 * 10n -
    (i.assetWeight1e4 * 10n * i.assetLiquidationMultiplier1e6) / i.liabilityLiquidationMultiplier1e6;
  const ifTerm =
    ((i.liabilityPrice1e6 * i.ifLiquidationFee1e6) / DRIFT.LIQUIDATION_FEE_PRECISION) *
    i.liabilityWeight1e4 *
    10n;
  const denominator = i.liabilityPrice1e6 * weights - ifTerm;
  if (denominator <= 0n) throw new InvariantError('liability transfer denominator is not positive');
  return (
    (i.shortageQuote * numScale * DRIFT.PRICE_PRECISION * DRIFT.SPOT_WEIGHT_PRECISION * 10n) /
    denominator /
    denScale
  );
}

/**
 * Socialized loss: the cumulative funding-rate delta (1e9, quote per base) that
 * makes every open base unit of both sides pay for a perp bankruptcy the insurance
 * fund could not cover (calculate_funding_rate_deltas_to_resolve_bankruptcy):
 *
 *     delta = ⌈|loss| × 1e9 / (|longs| + |shorts|)⌉ × 1e3
 *
 * Applied as cumulative_funding_rate_long += delta, cumulative_funding_rate_short −= delta.
 *
 * @param lossQuote the loss, quote units 1e-6 (sign ignored)
 * @throws RangeError when there is no open interest to socialize it on
 */
export function driftFundingDeltaToResolveBankruptcy(
  lossQuote: bigint,
  longBase1e9: bigint,
  shortBase1e9: bigint,
) {
  const abs = (x: bigint) => (x < 0n ? -x : x);
  const total = abs(longBase1e9) + abs(shortBase1e9);
  if (total === 0n)
    throw new RangeError('cannot resolve a perp bankruptcy when the total base asset amount is 0');
  return (
    divRound(abs(lossQuote) * DRIFT.BASE_PRECISION, total, 'ceil') *
    DRIFT.FUNDING_RATE_TO_QUOTE_PRECISION_PRECISION_RATIO
  );
}

/** What one position pays (quote units) when the funding rate steps by `delta1e9`: base × delta / 1e9 / 1e3, rounded up. */
export function driftSocializedPayment(base1e9: bigint, delta1e9: bigint): bigint {
  const abs = base1e9 < 0n ? -base1e9 : base1e9;
  return divRound(
    abs * delta1e9,
    DRIFT.BASE_PRECISION * DRIFT.FUNDING_RATE_TO_QUOTE_PRECISION_PRECISION_RATIO,
    'ceil',
  );
}

/**
 * Socialized spot loss: the step of the cumulative deposit interest (1e10) that
 * makes depositors absorb a borrow nobody repays
 * (calculate_cumulative_deposit_interest_delta_to_resolve_bankruptcy):
 *
 *     delta = ⌈cumulativeDepositInterest × borrow / totalDeposits⌉   (0 when there are no deposits)
 */
export function driftDepositInterestDeltaToResolveBankruptcy(
  borrowTokens: bigint,
  cumulativeDepositInterest1e10: bigint,
  totalDepositTokens: bigint,
): bigint {
  if (totalDepositTokens === 0n) return 0n;
  return divRound(cumulativeDepositInterest1e10 * borrowTokens, totalDepositTokens, 'ceil');
}

/*
 * Liquidation size. Taking over base B at price P frees B·P·marginRatio of requirement but costs
 * the account the liquidator fee B·P·liqFee and the insurance-fund fee B·P·ifFee, so the shortage
 * is covered when B · P · (marginRatio − liqFee − ifFee) ≥ shortage. Drift's integer steps, with its
 * precisions mapped to ours (its margin ratio is 1e4 and is first scaled to the 1e6 fee precision —
 * our ratios are ppm already; its prices are 1e6, ours px8):
 *
 *     adjPx   = ⌊P × quotePrice / 1e8⌋                      (P in quote-asset terms of the oracle currency)
 *     freed   = ⌊adjPx × (marginRatio − liqFee) / 1e6⌋ − ⌊P × ifFee / 1e6⌋     px8 per whole base
 *     B(qty9) = shortage × 10^(9 + 8 − quoteDecimals) / freed     (rounded as asked; Drift floors)
 *
 * As in Drift, the IF fee term is valued at the oracle price without the quote price adjustment.
 */

/** 1.0 in px8: the quote asset priced in itself. */
const ONE_PX8 = pow10(PRICE_DECIMALS);

export interface DriftMarginShortageInput {
  /** Margin shortage (MM − equity, > 0), quote units. */
  readonly shortageQuote: bigint;
  /** Maintenance margin ratio of the position (plus any liquidation buffer), ppm. */
  readonly marginRatioPpm: bigint;
  /** Liquidation penalty paid to the liquidator, ppm of notional. */
  readonly liquidationFeePpm: bigint;
  /** Insurance-fund fee, ppm of notional. */
  readonly insuranceFundFeePpm: bigint;
  /** Oracle price of the base, px8. */
  readonly pricePx8: bigint;
  /** Price of the quote asset in the oracle's currency, px8 (default 1.0). */
  readonly quotePricePx8?: bigint;
  /** Decimals of the quote asset's smallest unit. */
  readonly quoteDecimals: number;
  /** Rounding of the final division ('floor' reproduces Drift; 'ceil' never under-covers). */
  readonly rounding: Rounding;
}

/**
 * Base amount (qty9) to take over so that the freed margin net of fees covers
 * the shortage; null when no amount can (price 0, or fees ≥ the margin ratio) —
 * Drift returns u64::MAX there: liquidate everything that is allowed.
 *
 * @example driftBaseToCoverMarginShortage({ shortageQuote: 10_000000n, marginRatioPpm: 100_000n,
 *   liquidationFeePpm: 0n, insuranceFundFeePpm: 0n, pricePx8: 100_00000000n, quoteDecimals: 6,
 *   rounding: 'floor' }) // 1_000_000_000n (1 base unit)
 */
export function driftBaseToCoverMarginShortage(input: DriftMarginShortageInput): bigint | null {
  const { shortageQuote, marginRatioPpm, liquidationFeePpm, insuranceFundFeePpm, pricePx8, quoteDecimals } =
    input;
  const quotePricePx8 = input.quotePricePx8 ?? ONE_PX8;
  if (shortageQuote < 0n || pricePx8 < 0n || quotePricePx8 < 0n) throw new InvariantError('negative input');
  if (marginRatioPpm < 0n || liquidationFeePpm < 0n || insuranceFundFeePpm < 0n) {
    throw new InvariantError('negative ratio');
  }
  if (pricePx8 === 0n || marginRatioPpm <= liquidationFeePpm) return null;
  const adjPx8 = (pricePx8 * quotePricePx8) / ONE_PX8;
  const freedPx8 =
    (adjPx8 * (marginRatioPpm - liquidationFeePpm)) / PPM - (pricePx8 * insuranceFundFeePpm) / PPM;
  if (freedPx8 <= 0n) return null;
  const shift = QTY_DECIMALS + PRICE_DECIMALS - quoteDecimals;
  const numerator = shift >= 0 ? shortageQuote * pow10(shift) : shortageQuote;
  const denominator = shift >= 0 ? freedPx8 : freedPx8 * pow10(-shift);
  return divRound(numerator, denominator, input.rounding);
}
