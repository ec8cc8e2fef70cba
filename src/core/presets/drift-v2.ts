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
 * with the square root of the balance (collateral/size-discount.ts for assets, the asset's
 * `liabilityWeight` with the size premium for borrows: collateral/weights.ts).
 *
 * Liquidation (programs/drift/src/math/liquidation.rs): an account is
 * liquidatable when total collateral < maintenance requirement — the engine's
 * trigger. A bankrupt perp loss the insurance fund cannot cover is socialized
 * through the cumulative funding rate of both sides
 * (calculate_funding_rate_deltas_to_resolve_bankruptcy), which the preset's
 * policy executes (`socializeVia: 'funding_index'`, `socializeSides: 'both'`).
 *
 * Drift's other liquidation formulas — the base to cover a margin shortage, the
 * liquidator fee ramp, the insurance-fund fee, the spot liability transfer and
 * the socialized spot loss — are not executed by the engine (engineGaps); they
 * are re-implemented at Drift's precisions as the tests' reference in
 * reference/drift-v2.ts.
 */
import type { MarketConfigInput } from '../model/config.ts';
import type { EngineConfigInput } from '../model/engine-config.ts';
import type { InterestConfigInput } from '../model/interest-config.ts';
import { formatDecimal } from '../num/index.ts';
import type { VenuePreset } from './types.ts';

/** A Drift perp market on Plimsoll's sqrtSize model (ratios at 1e4 in Drift → decimal fractions). */
export function driftPerpMarket(
  id: string,
  base: string,
  p: {
    marginRatioInitial1e4: number;
    marginRatioMaintenance1e4: number;
    imfFactor1e6: number;
    stepSize?: string;
    tickSize?: string;
    /** unrealized_pnl_initial/maintenance_asset_weight (1e4) and unrealized_pnl_imf_factor (1e6). */
    unrealizedPnlWeight?: { initial1e4: number; maintenance1e4: number; imfFactor1e6: number };
  },
): MarketConfigInput {
  // Drift's integer precisions (1e4, 1e6) → ppm decimal strings, exactly.
  const frac = (v: number, scale: number) => formatDecimal((BigInt(v) * 1_000_000n) / BigInt(scale), 6);
  return {
    id,
    kind: 'perpetual',
    base,
    stepSize: p.stepSize ?? '0.01',
    tickSize: p.tickSize ?? '0.0001',
    margin: {
      kind: 'sqrtSize',
      initialRatio: frac(p.marginRatioInitial1e4, 10_000),
      maintenance: { ratio: frac(p.marginRatioMaintenance1e4, 10_000) },
      imfFactor: frac(p.imfFactor1e6, 1_000_000),
    },
    ...(p.unrealizedPnlWeight && {
      unrealizedPnlWeight: {
        initial: frac(p.unrealizedPnlWeight.initial1e4, 10_000),
        maintenance: frac(p.unrealizedPnlWeight.maintenance1e4, 10_000),
        imfFactor: frac(p.unrealizedPnlWeight.imfFactor1e6, 1_000_000),
      },
    }),
    takerFee: '0.001',
    makerFee: '0',
  };
}

/** Drift's OPEN_ORDER_MARGIN_REQUIREMENT: $0.01 of margin per open order, initial and maintenance. */
export const DRIFT_OPEN_ORDER_CHARGE = '0.01';

/**
 * A spot market's borrow-rate curve in Drift's own terms (SpotMarket fields, on Drift's 1e6
 * precisions: SPOT_MARKET_UTILIZATION_PRECISION and SPOT_MARKET_RATE_PRECISION) and the
 * insurance fund's share of the interest (insurance_fund.total_factor, 1e6).
 */
export interface DriftSpotRates {
  readonly optimalUtilization: number;
  readonly optimalBorrowRate: number;
  readonly maxBorrowRate: number;
  readonly insuranceFundFactor: number;
}

/**
 * The engine's interest configuration for Drift's two-segment curve (collateral/interest.ts):
 * borrow rate optimal_rate·U/U* up to the kink, then rising linearly to max_rate at U = 1
 * (base 0, slope1 = optimal rate, slope2 = max − optimal); deposit rate = borrow rate · U ·
 * (1 − insurance factor), the insurance fund's share to the insurance fund. Drift's
 * min_borrow_rate floor and its later multi-segment curve above the kink are not expressed.
 */
export function driftInterest(r: DriftSpotRates): InterestConfigInput {
  const e6 = (v: number) => formatDecimal(BigInt(v), 6);
  return {
    optimalUtilization: e6(r.optimalUtilization),
    baseRate: '0',
    slope1: e6(r.optimalBorrowRate),
    slope2: e6(r.maxBorrowRate - r.optimalBorrowRate),
    protocolShare: e6(r.insuranceFundFactor),
  };
}

/**
 * The Drift configuration. Options: `usdcRates` makes USDC balances interest-bearing on
 * Drift's curve; `lazyFunding` settles funding through per-side cumulative indexes, as Drift
 * does (docs/funding-and-interest.md). Without options, the configuration the fixtures test.
 */
export function driftConfig(
  opts: { usdcRates?: DriftSpotRates; lazyFunding?: boolean } = {},
): EngineConfigInput {
  return {
    settlementAsset: 'USDC',
    // Margin figures on Drift's integer grid, to the unit (account/drift-arithmetic.ts).
    marginArithmetic: 'drift-v2',
    openOrderCharge: DRIFT_OPEN_ORDER_CHARGE,
    ...(opts.lazyFunding ? { fundingSettlement: 'lazy' as const } : {}),
    assets: [
      { id: 'USDC', decimals: 6, ...(opts.usdcRates ? { interest: driftInterest(opts.usdcRates) } : {}) },
      // SOL spot as in Drift's margin tests: asset weights 0.8 / 0.9, liability weights 1.2 / 1.1
      // (a SOL borrow, `borrow … asset: 'SOL'`); size discount / premium factor 0.
      {
        id: 'SOL',
        decimals: 9,
        initialWeight: '0.8',
        maintenanceWeight: '0.9',
        liabilityWeight: { initial: '1.2', maintenance: '1.1' },
      },
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
      // Drift's two fees (liquidation/drift-fees.ts): the liquidator fee, 1 % ramping by 0.0001 % a
      // 400 ms slot after a 1,500-slot grace period up to 5 % (get_liquidation_fee), and the IF
      // fee = the shortage's implied remainder × 95 %, at most 1 % (calculate_perp_if_fee). The
      // fee levels are this preset's (a market's liquidator_fee / if_liquidation_fee are
      // governance-set); load the live markets' values for production.
      penalty: {
        kind: 'drift',
        liquidatorFee: '0.01',
        maxLiquidatorFee: '0.05',
        maxInsuranceFee: '0.01',
        slotMs: 400,
        gracePeriodSlots: 1500,
        increasePerSlot: '0.000001',
      },
      // Drift's liquidation_margin_buffer_ratio: liquidate until equity ≥ MM + 2 % of notional.
      target: 'maintenance_plus_notional',
      targetBuffer: '0.02',
      // Drift liquidate_spot: a position-less scope short because of a borrow hands liability to
      // the liquidator for collateral at the liquidator fee's premium; the IF takes 1 % of the
      // transfer (this preset's level: a spot market's if_liquidation_fee is governance-set).
      spotLiquidation: { kind: 'drift', ifLiquidationFee: '0.01' },
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
      implementedBy:
        "— (executed by the engine: the preset sets `target: 'maintenance_plus_notional'` and `penalty: { kind: 'drift' }`; test references driftBaseToCoverMarginShortage, driftLiquidationFee, driftPerpIfFee in reference/drift-v2.ts)",
      engineNeeds: '—',
    },
    {
      rule: 'Liquidation transfers spot liability for collateral (liquidate_spot); a spot borrow nobody repays is paid by the insurance fund, then socialized through the deposit interest index (resolve_spot_bankruptcy).',
      implementedBy:
        "— (executed by the engine: the preset sets `spotLiquidation: { kind: 'drift' }`, engine/liquidation/drift-spot.ts; test references driftLiabilityTransferToCoverMarginShortage, driftDepositInterestDeltaToResolveBankruptcy in reference/drift-v2.ts)",
      engineNeeds: '—',
    },
  ],
};
