/**
 * Drift protocol-v2: cross-margined perpetuals and spot on Solana, USDC quote.
 *
 * Perp margin: a market's margin ratio grows with the square root of the
 * position size ("IMF factor", calculate_size_premium_liability_weight):
 *
 *     ratio = max(base, 0.8 × base + imf × √(size))
 *
 * (Plimsoll's `sqrtSize` margin model, margin/size-premium.ts). Spot: asset
 * weights shrink (calculate_size_discount_asset_weight) and liability weights grow
 * with the square root of the balance (collateral/size-discount.ts for assets;
 * Plimsoll's valuation values liabilities at 100% — see engineGaps).
 *
 * Liquidation (programs/drift/src/math/liquidation.rs): an account is
 * liquidatable when total collateral < maintenance requirement. The liquidator
 * takes over just enough base to cover the margin shortage net of fees:
 *
 *     base = shortage / (price × (marginRatio − liquidatorFee) − price × ifFee)
 *
 * (calculate_base_asset_amount_to_cover_margin_shortage, margin/liquidation-math.ts).
 * The liquidator fee ramps from the base fee to the max after a grace period
 * (get_liquidation_fee); the insurance fund takes the implied fee
 * (margin ratio − liquidator fee − shortage / (base × price)) × 95%, capped
 * (calculate_perp_if_fee). A bankrupt perp loss the insurance fund cannot cover is
 * socialized through the cumulative funding rate of both sides
 * (calculate_funding_rate_deltas_to_resolve_bankruptcy); a spot borrow through the
 * deposit interest index (calculate_cumulative_deposit_interest_delta_to_resolve_bankruptcy).
 *
 * Functions here keep Drift's integer precisions: margin ratio and spot weights
 * 1e4, fees 1e6, prices 1e6, quote 1e6, base 1e9, funding rate 1e9.
 */
import { sizeDiscountAssetWeight } from '../collateral/size-discount.ts';
import { baseToCoverMarginShortage } from '../margin/liquidation-math.ts';
import { sizePremiumRatio } from '../margin/size-premium.ts';
import type { MarketConfigInput } from '../model/config.ts';
import type { EngineConfigInput } from '../model/engine-config.ts';
import { divRound, formatDecimal, InvariantError, pow10 } from '../num/index.ts';
import type { VenuePreset } from './types.ts';

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

export { baseToCoverMarginShortage as driftBaseToCoverMarginShortage };

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

/** A Drift perp market on Plimsoll's sqrtSize model (ratios at 1e4 in Drift → decimal fractions). */
export function driftPerpMarket(
  id: string,
  base: string,
  p: {
    marginRatioInitial1e4: number;
    marginRatioMaintenance1e4: number;
    imfFactor1e6: number;
    stepSize?: string;
  },
): MarketConfigInput {
  // Drift's integer precisions (1e4, 1e6) → ppm decimal strings, exactly.
  const frac = (v: number, scale: number) => formatDecimal((BigInt(v) * 1_000_000n) / BigInt(scale), 6);
  return {
    id,
    kind: 'perpetual',
    base,
    stepSize: p.stepSize ?? '0.01',
    tickSize: '0.0001',
    margin: {
      kind: 'sqrtSize',
      initialRatio: frac(p.marginRatioInitial1e4, 10_000),
      maintenance: { ratio: frac(p.marginRatioMaintenance1e4, 10_000) },
      imfFactor: frac(p.imfFactor1e6, 1_000_000),
    },
    takerFee: '0.001',
    makerFee: '0',
  };
}

export function driftConfig(): EngineConfigInput {
  return {
    settlementAsset: 'USDC',
    assets: [
      { id: 'USDC', decimals: 6 },
      // SOL spot as in Drift's margin tests: initial asset weight 0.8, maintenance 0.9; size discount factor 0.
      { id: 'SOL', decimals: 9, initialWeight: '0.8', maintenanceWeight: '0.9' },
    ],
    markets: [
      // SOL-PERP as in Drift's calculate_user_equity_value tests: 10% / 5%, IMF factor 0.001.
      driftPerpMarket('SOL-PERP', 'SOL', {
        marginRatioInitial1e4: 1000,
        marginRatioMaintenance1e4: 500,
        imfFactor1e6: 1000,
      }),
    ],
    liquidation: {
      // Drift: liquidator fee (base 1%) to the liquidator, IF fee capped; the engine's ramp stands in.
      minPenalty: '0.01',
      maxPenalty: '0.05',
      targetBuffer: '0.02',
      // Drift: a bankrupt perp loss the insurance fund cannot cover goes through the funding index,
      // paid by every open base unit of both sides.
      socializeVia: 'funding_index',
      socializeSides: 'both',
    },
  };
}

export const driftV2: VenuePreset = {
  id: 'drift-v2',
  name: 'Drift protocol-v2',
  kind: 'perpetuals',
  summary:
    'Square-root size premium on perp margin ratios, size-scaled spot asset/liability weights, liquidation sized to cover the margin shortage plus fees, socialized loss through the funding index.',
  formula:
    'liquidatable when total collateral < maintenance requirement; perp ratio = max(base, 0.8·base + imf·√size); base to cover = shortage / (P·(MR − liqFee) − P·ifFee)',
  sources: [
    {
      title: 'drift-labs/protocol-v2 programs/drift/src/math/liquidation.rs (and liquidation/tests.rs)',
      url: 'https://github.com/drift-labs/protocol-v2/blob/master/programs/drift/src/math/liquidation.rs',
    },
    {
      title: 'drift-labs/protocol-v2 programs/drift/src/math/margin.rs (and margin/tests.rs)',
      url: 'https://github.com/drift-labs/protocol-v2/blob/master/programs/drift/src/math/margin.rs',
    },
  ],
  config: driftConfig,
  engineGaps: [
    {
      rule: 'Liquidation size covers the margin shortage to MM + liquidation buffer (2% of notional) net of the liquidator and IF fees; the liquidator fee ramps after a grace period; the IF fee is the implied remainder × 95%.',
      implementedBy: 'driftBaseToCoverMarginShortage, driftLiquidationFee, driftPerpIfFee',
      engineNeeds:
        'a target "MM + notional × buffer ratio" (the engine has MM × (1 + buffer)), a time-ramped penalty, and an IF fee computed from the shortage',
    },
    {
      rule: 'Spot liabilities are weighted above 100% and grow with the square root of the borrow (size premium); liquidation transfers liability for collateral.',
      implementedBy: 'driftSizePremium, driftLiabilityTransferToCoverMarginShortage',
      engineNeeds:
        'configurable liability weights (with size premium) on negative non-settlement balances, and a spot liquidation step',
    },
    {
      rule: 'A spot borrow nobody repays is socialized through the deposit interest index.',
      implementedBy: 'driftDepositInterestDeltaToResolveBankruptcy',
      engineNeeds: 'interest-bearing deposit balances with a cumulative index',
    },
  ],
};
