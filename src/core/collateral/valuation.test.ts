/**
 * Collateral valuation against Drift protocol-v2:
 *  - size-discounted asset weights (test/vectors/drift_v2_size_weights.json, spot_market_asset_weight);
 *  - a cross-margin spot account (test/vectors/drift_v2_liquidation_margin.json,
 *    "calculate_margin_requirement_and_total_collateral (spot, initial)").
 */
import { describe, expect, it } from 'vitest';
import liq from '../../../test/vectors/drift_v2_liquidation_margin.json' with { type: 'json' };
import weights from '../../../test/vectors/drift_v2_size_weights.json' with { type: 'json' };
import { AssetConfigSchema } from '../model/config.ts';
import { sizeAtPrecision9, sizeDiscountAssetWeight } from './size-discount.ts';
import {
  collateralValueQuote,
  effectiveAssetWeightPpm,
  weightFor,
  yieldBearingPricePx8,
} from './valuation.ts';

const assetCases = weights.cases.filter(
  (c) => c.group === 'spot_market_asset_weight' && (c.inputs as { kind?: string }).kind === 'asset',
);
type WeightInputs = { decimals: number; tokenAmount: number; weight_1e4: number; imfFactor_1e6: number };

describe('drift_v2_size_weights.json › spot_market_asset_weight (asset weight = size discount)', () => {
  it('has the cases we expect', () => expect(assetCases.length).toBe(7));
  it.each(assetCases)('$name', (c) => {
    const i = c.inputs as WeightInputs;
    const expected = BigInt((c.expected as { weight_1e4: number }).weight_1e4);
    const balance = BigInt(i.tokenAmount);
    const size9 = sizeAtPrecision9(balance, i.decimals);
    // Drift's own precision (1e4): exact.
    expect(sizeDiscountAssetWeight(size9, BigInt(i.imfFactor_1e6), BigInt(i.weight_1e4), 10_000n)).toBe(
      expected,
    );
    // Ours (ppm): one floor after the same denominator, so ⌊ppm / 100⌋ is Drift's weight exactly.
    const ppm = effectiveAssetWeightPpm(
      balance,
      i.decimals,
      BigInt(i.weight_1e4) * 100n,
      BigInt(i.imfFactor_1e6),
    );
    expect(ppm / 100n).toBe(expected);
    // And the value of the balance at $1 is Drift's token value × weight, to within one Drift weight step.
    const value = collateralValueQuote({
      balance,
      assetDecimals: i.decimals,
      pricePx8: 1_00000000n,
      weightPpm: BigInt(i.weight_1e4) * 100n,
      sizeHaircutFactorPpm: BigInt(i.imfFactor_1e6),
      quoteDecimals: 6,
    });
    const driftValue = (balance * expected) / 10_000n; // token value (1e6, $1) × weight / SPOT_WEIGHT_PRECISION
    expect(value - driftValue).toBeGreaterThanOrEqual(0n);
    expect(value - driftValue).toBeLessThan(balance / 10_000n + 1n);
  });
});

/**
 * Drift evaluates open orders at their worst case (fully filled). We express that
 * account as balances: the SOL the order would deliver or take, and the quote the
 * order would pay or receive ("orders value"). Collateral is the assets at their
 * initial weights; the requirement is the liabilities at their liability weights
 * plus Drift's fixed $0.01 per open order. Setup from the group's description:
 * USDC weight 1.0 (6 decimals); SOL $100, 9 decimals, initial asset weight 0.8,
 * initial liability weight 1.2.
 */
const spotGroup = 'calculate_margin_requirement_and_total_collateral (spot, initial)';
const spotCases = liq.cases.filter((c) => c.group === spotGroup);
describe(`drift_v2_liquidation_margin.json › ${spotGroup}`, () => {
  const usdc = (balance: bigint) =>
    collateralValueQuote({
      balance,
      assetDecimals: 6,
      pricePx8: 1_00000000n,
      weightPpm: 1_000_000n,
      sizeHaircutFactorPpm: 0n,
      quoteDecimals: 6,
    });
  const sol = (balance: bigint) =>
    collateralValueQuote({
      balance,
      assetDecimals: 9,
      pricePx8: 100_00000000n,
      weightPpm: 800_000n,
      sizeHaircutFactorPpm: 0n,
      quoteDecimals: 6,
      liabilityWeightPpm: 1_200_000n,
    });
  const OPEN_ORDER_QUOTE = 10_000n; // $0.01 per open order (Drift)

  it('has the cases we expect', () => expect(spotCases.length).toBe(2));
  it.each(spotCases)('$name', (c) => {
    const i = c.inputs as unknown as Record<string, number>;
    const solAfter = (BigInt(i.solDeposit!) + BigInt(i.solOpenBids!) - BigInt(i.solOpenAsks!)) * 10n ** 9n;
    const ordersValue = (BigInt(i.solOpenAsks!) - BigInt(i.solOpenBids!)) * 100n * 10n ** 6n; // quote units
    const values = [usdc(BigInt(i.usdcDeposit!) * 10n ** 6n), usdc(ordersValue), sol(solAfter)];
    const collateral = values.filter((v) => v > 0n).reduce((a, b) => a + b, 0n);
    const requirement =
      values.filter((v) => v < 0n).reduce((a, b) => a - b, 0n) + BigInt(i.openOrders!) * OPEN_ORDER_QUOTE;
    const expected = c.expected as { marginRequirement_quote: number; totalCollateral_quote: number };
    expect(collateral).toBe(BigInt(expected.totalCollateral_quote));
    expect(requirement).toBe(BigInt(expected.marginRequirement_quote));
  });
});

describe('collateralValueQuote rounding and weights', () => {
  const one = { assetDecimals: 8, pricePx8: 3_00000000n, sizeHaircutFactorPpm: 0n, quoteDecimals: 6 };
  it('rounds an asset down and a liability up in magnitude', () => {
    // 1 sat at $3 = 0.00000003 USD → 0 quote units as an asset, −1 as a liability
    expect(collateralValueQuote({ ...one, balance: 1n, weightPpm: 1_000_000n })).toBe(0n);
    expect(collateralValueQuote({ ...one, balance: -1n, weightPpm: 1_000_000n })).toBe(-1n);
  });
  it('values liabilities at 100% whatever the asset weight', () => {
    expect(collateralValueQuote({ ...one, balance: -100_000_000n, weightPpm: 500_000n })).toBe(-3_000000n);
  });
  it('applies the size haircut only when it is below the configured weight', () => {
    const args = { ...one, balance: 10n ** 8n, weightPpm: 900_000n, sizeHaircutFactorPpm: 1_000_000n };
    // 1 token: 1.1 / (1 + 1.0 × √1) = 0.55 < 0.9
    expect(effectiveAssetWeightPpm(args.balance, 8, 900_000n, 1_000_000n)).toBe(550_000n);
    expect(collateralValueQuote(args)).toBe(1_650000n);
  });
});

describe('yieldBearingPricePx8 and weightFor', () => {
  it('prices through the exchange rate, rounding down', () => {
    expect(yieldBearingPricePx8(1_050_000_000_000_000_000n, 2_000_00000000n)).toBe(2_100_00000000n);
    expect(yieldBearingPricePx8(1n, 99_999_999_999n)).toBe(0n);
  });
  it('picks the weight for the purpose', () => {
    const asset = AssetConfigSchema.parse({
      id: 'ETH',
      decimals: 18,
      initialWeight: '0.8',
      maintenanceWeight: '0.9',
    });
    expect(weightFor(asset, 'initial')).toBe(800_000n);
    expect(weightFor(asset, 'maintenance')).toBe(900_000n);
  });
});
