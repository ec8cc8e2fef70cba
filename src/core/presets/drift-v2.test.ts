/**
 * drift-v2 preset against Drift protocol-v2's own Rust unit tests (assert_eq! literals):
 *  - test/vectors/drift_v2_liquidation_margin.json (math/liquidation/tests.rs, math/margin/tests.rs);
 *  - test/vectors/drift_v2_size_weights.json (size-discounted asset weights, size-premium
 *    liability weights, and the perp margin requirement with an IMF factor);
 *  - test/vectors/drift_v2_bankruptcy.json (socialized loss through the funding rate and the
 *    deposit interest, liability transfer).
 * Drift's precisions are kept (ratios 1e4, fees 1e6, prices 1e6, base 1e9, quote 1e6).
 */
import { describe, expect, it } from 'vitest';
import bankruptcy from '../../../test/vectors/drift_v2_bankruptcy.json' with { type: 'json' };
import liq from '../../../test/vectors/drift_v2_liquidation_margin.json' with { type: 'json' };
import weights from '../../../test/vectors/drift_v2_size_weights.json' with { type: 'json' };
import { sizeAtPrecision9 } from '../collateral/size-discount.ts';
import { collateralValueQuote } from '../collateral/valuation.ts';
import { Engine } from '../engine/engine.ts';
import { createMarginModel } from '../margin/models.ts';
import { AssetConfigSchema, MarketConfigSchema } from '../model/config.ts';
import {
  driftBaseToCoverMarginShortage,
  driftDepositInterestDeltaToResolveBankruptcy,
  driftFundingDeltaToResolveBankruptcy,
  driftLiabilityTransferToCoverMarginShortage,
  driftLiquidationFee,
  driftPerpIfFee,
  driftSizePremium,
  driftSocializedPayment,
  driftSpotAssetWeight,
} from '../reference/drift-v2.ts';
import { driftConfig, driftPerpMarket } from './drift-v2.ts';

type N = Record<string, number>;
const groupOf = (cases: readonly { group?: string; name: string }[], g: string) =>
  cases.filter((c) => c.group === g) as unknown as { name: string; inputs: N; expected: N }[];
const L = 'drift_v2_liquidation_margin.json';

describe(`${L} › calculate_base_asset_amount_to_cover_margin_shortage`, () => {
  const cases = groupOf(liq.cases, 'calculate_base_asset_amount_to_cover_margin_shortage');
  it('has three cases', () => expect(cases.length).toBe(3));
  it.each(cases)('$name', ({ inputs: i, expected }) => {
    const got = driftBaseToCoverMarginShortage({
      shortageQuote: BigInt(i.marginShortage_quote!),
      marginRatioPpm: BigInt(i.marginRatio_1e4!) * 100n,
      liquidationFeePpm: BigInt(i.liquidationFee_1e6!),
      insuranceFundFeePpm: BigInt(i.ifLiquidationFee_1e6!),
      pricePx8: BigInt(i.oraclePrice_1e6!) * 100n,
      quotePricePx8: BigInt(i.quoteOraclePrice_1e6!) * 100n,
      quoteDecimals: 6,
      rounding: 'floor',
    });
    expect(got).toBe(BigInt(expected.baseAssetAmount_1e9!));
  });
});

const liabilityCases = [
  ...groupOf(liq.cases, 'calculate_liability_transfer_to_cover_margin_shortage').map((c) => ({
    ...c,
    file: L,
  })),
  ...groupOf(bankruptcy.cases, 'calculate_liability_transfer_to_cover_margin_shortage').map((c) => ({
    ...c,
    file: 'drift_v2_bankruptcy.json',
  })),
];
describe('calculate_liability_transfer_to_cover_margin_shortage (both files)', () => {
  it('has four cases', () => expect(liabilityCases.length).toBe(4));
  it.each(liabilityCases)('$file › $name', ({ inputs: i, expected }) => {
    const got = driftLiabilityTransferToCoverMarginShortage({
      shortageQuote: BigInt(i.marginShortage_quote!),
      assetWeight1e4: BigInt(i.assetWeight_1e4!),
      assetLiquidationMultiplier1e6: BigInt(i.assetLiquidationMultiplier_1e6!),
      liabilityWeight1e4: BigInt(i.liabilityWeight_1e4!),
      liabilityLiquidationMultiplier1e6: BigInt(i.liabilityLiquidationMultiplier_1e6!),
      liabilityDecimals: i.liabilityDecimals!,
      liabilityPrice1e6: BigInt(i.liabilityPrice_1e6!),
      ifLiquidationFee1e6: BigInt(i.ifLiquidationFee_1e6!),
    });
    expect(got).toBe(BigInt(expected.liabilityTransfer_tokenUnits!));
  });
});

describe(`${L} › calculate_perp_if_fee`, () => {
  const cases = groupOf(liq.cases, 'calculate_perp_if_fee');
  it('has three cases', () => expect(cases.length).toBe(3));
  it.each(cases)('$name', ({ inputs: i, expected }) => {
    const got = driftPerpIfFee({
      shortageQuote: BigInt(i.marginShortage_quote!),
      baseAssetAmount1e9: BigInt(i.baseAssetAmount_1e9!),
      marginRatio1e4: BigInt(i.marginRatio_1e4!),
      liquidatorFee1e6: BigInt(i.liquidatorFee_1e6!),
      oraclePrice1e6: BigInt(i.oraclePrice_1e6!),
      quotePrice1e6: BigInt(i.quotePrice_1e6!),
      maxIfFee1e6: BigInt(i.maxIfFee_1e6!),
    });
    expect(got).toBe(BigInt(expected.ifFee_1e6!));
  });
});

describe(`${L} › get_liquidation_fee`, () => {
  it.each(groupOf(liq.cases, 'get_liquidation_fee'))('$name', ({ inputs: i, expected }) => {
    const got = driftLiquidationFee(
      BigInt(i.baseLiqFee_1e6!),
      BigInt(i.maxLiqFee_1e6!),
      BigInt(i.userLiquidationStartSlot!),
      BigInt(i.currentSlot!),
    );
    expect(got).toBe(BigInt(expected.fee_1e6!));
  });
  it('ramps after the grace period and stops at the max', () => {
    expect(driftLiquidationFee(20_000n, 50_000n, 0n, 1_499n)).toBe(20_000n);
    expect(driftLiquidationFee(20_000n, 50_000n, 0n, 1_500n)).toBe(21_500n);
    expect(driftLiquidationFee(20_000n, 50_000n, 0n, 100_000n)).toBe(50_000n);
  });
});

describe(`${L} › calculate_margin_requirement_and_total_collateral (spot, initial), with the preset's SOL asset`, () => {
  const sol = AssetConfigSchema.parse(driftConfig().assets.find((a) => a.id === 'SOL'));
  const cases = groupOf(liq.cases, 'calculate_margin_requirement_and_total_collateral (spot, initial)');
  it('has two cases', () => expect(cases.length).toBe(2));
  it.each(cases)('$name', ({ inputs: i, expected }) => {
    const usdc = (balance: bigint) =>
      collateralValueQuote({
        balance,
        assetDecimals: 6,
        pricePx8: 1_00000000n,
        weightPpm: 1_000_000n,
        sizeHaircutFactorPpm: 0n,
        quoteDecimals: 6,
      });
    // SOL at $100 with the preset's initial weight and initial liability weight (1.2, Drift's).
    const solValue = (balance: bigint) =>
      collateralValueQuote({
        balance,
        assetDecimals: 9,
        pricePx8: 100_00000000n,
        weightPpm: sol.initialWeight,
        sizeHaircutFactorPpm: sol.sizeHaircutFactor,
        quoteDecimals: 6,
        liabilityWeightPpm: sol.liabilityWeight!.initial,
      });
    const solAfter = (BigInt(i.solDeposit!) + BigInt(i.solOpenBids!) - BigInt(i.solOpenAsks!)) * 10n ** 9n;
    const ordersValue = (BigInt(i.solOpenAsks!) - BigInt(i.solOpenBids!)) * 100n * 10n ** 6n;
    const values = [usdc(BigInt(i.usdcDeposit!) * 10n ** 6n), usdc(ordersValue), solValue(solAfter)];
    const collateral = values.filter((v) => v > 0n).reduce((a, b) => a + b, 0n);
    const requirement =
      values.filter((v) => v < 0n).reduce((a, b) => a - b, 0n) + BigInt(i.openOrders!) * 10_000n;
    expect(collateral).toBe(BigInt(expected.totalCollateral_quote!));
    expect(requirement).toBe(BigInt(expected.marginRequirement_quote!));
  });
});

describe('drift_v2_size_weights.json › spot_market_asset_weight (size discount / size premium at 1e4)', () => {
  const cases = groupOf(weights.cases, 'spot_market_asset_weight') as unknown as {
    name: string;
    inputs: N & { kind: string };
    expected: N;
  }[];
  it('has twelve cases', () => expect(cases.length).toBe(12));
  it.each(cases)('$name', ({ inputs: i, expected }) => {
    const size9 = sizeAtPrecision9(BigInt(i.tokenAmount!), i.decimals!);
    const f = i.kind === 'asset' ? driftSpotAssetWeight : driftSizePremium;
    expect(f(size9, BigInt(i.imfFactor_1e6!), BigInt(i.weight_1e4!))).toBe(BigInt(expected.weight_1e4!));
  });
});

describe('drift_v2_size_weights.json › calculate_user_equity_value_tests: the preset market’s IM', () => {
  const cases = groupOf(weights.cases, 'calculate_user_equity_value_tests');
  it('has two cases', () => expect(cases.length).toBe(2));
  it.each(cases)(
    '$name: Drift floors, the engine rounds up — equal or one quote unit above',
    ({ inputs: i, expected }) => {
      const market = MarketConfigSchema.parse(
        driftPerpMarket('SOL-PERP', 'SOL', {
          marginRatioInitial1e4: i.marginRatioInitial_1e4!,
          marginRatioMaintenance1e4: i.marginRatioMaintenance_1e4!,
          imfFactor1e6: i.imfFactor_1e6!,
        }),
      );
      const model = createMarginModel(market.margin, 6);
      const size = BigInt(Math.abs(i.baseAssetAmount_1e9!));
      // notional in quote units, rounded up (engine); Drift's price is 1e6 → px8 ×100.
      const notional = (size * BigInt(i.oraclePrice_1e6!) * 100n + 10n ** 11n - 1n) / 10n ** 11n;
      const im = model.requirement(
        { sizeQty9: size, notionalQuote: notional },
        { openInterestQuote: 0n },
      ).initialQuote;
      const drift = BigInt(expected.marginRequirement_quote!);
      expect(im - drift >= 0n && im - drift <= 1n).toBe(true);
    },
  );
});

describe('drift_v2_bankruptcy.json › socialized loss', () => {
  const funding = groupOf(bankruptcy.cases, 'calculate_funding_rate_deltas_to_resolve_bankruptcy');
  it('total_base_asset_amount_not_zero', () => {
    const c = funding.find((x) => x.name === 'total_base_asset_amount_not_zero')!;
    const delta = driftFundingDeltaToResolveBankruptcy(
      BigInt(c.inputs.loss_quote!),
      BigInt(c.inputs.baseAssetAmountLong_1e9!),
      BigInt(c.inputs.baseAssetAmountShort_1e9!),
    );
    expect(delta).toBe(BigInt(c.expected.cumulativeFundingRateDelta_1e9!));
    // Every open base unit pays: 7 longs + 4 shorts cover the $100 loss (rounded up, never short).
    const paid =
      driftSocializedPayment(7_000_000_000n, delta) + driftSocializedPayment(-4_000_000_000n, delta);
    expect(paid >= 100_000_000n && paid <= 100_000_011n).toBe(true);
  });
  it('total_base_asset_amount_is_zero (CantResolvePerpBankruptcy)', () => {
    expect(() => driftFundingDeltaToResolveBankruptcy(-1_000_000n, 0n, 0n)).toThrow(RangeError);
  });
  it.each(groupOf(bankruptcy.cases, 'calculate_cumulative_deposit_interest_delta_to_resolve_bankruptcy'))(
    '$name',
    ({ inputs: i, expected }) => {
      expect(
        driftDepositInterestDeltaToResolveBankruptcy(
          BigInt(i.borrow_tokenUnits!),
          BigInt(i.cumulativeDepositInterest_1e10!),
          BigInt(i.totalDeposits_tokenUnits!),
        ),
      ).toBe(BigInt(expected.delta_1e10!));
    },
  );
});

describe('drift-v2 preset shape', () => {
  it('is a valid engine configuration', () => expect(() => Engine.create(driftConfig())).not.toThrow());
});
