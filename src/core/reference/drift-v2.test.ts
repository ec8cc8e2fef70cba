/**
 * Drift protocol-v2 `calculate_base_asset_amount_to_cover_margin_shortage`
 * (test/vectors/drift_v2_liquidation_margin.json). Drift precisions → ours:
 * margin ratio 1e4 → ppm (×100), fees 1e6 = ppm, prices 1e6 → px8 (×100),
 * quote 1e6 = quote units at 6 decimals, base 1e9 = qty9.
 */
import { describe, expect, it } from 'vitest';
import vectors from '../../../test/vectors/drift_v2_liquidation_margin.json' with { type: 'json' };
import { driftBaseToCoverMarginShortage } from './drift-v2.ts';

const FILE = 'drift_v2_liquidation_margin.json';
const cases = vectors.cases.filter((c) => c.group === 'calculate_base_asset_amount_to_cover_margin_shortage');

describe(`${FILE} › calculate_base_asset_amount_to_cover_margin_shortage`, () => {
  it('has the cases we expect', () => expect(cases.length).toBe(3));
  it.each(cases)('$name', (c) => {
    const i = c.inputs as unknown as Record<string, number>;
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
    expect(got).toBe(BigInt((c.expected as { baseAssetAmount_1e9: number }).baseAssetAmount_1e9));
  });
});

describe('driftBaseToCoverMarginShortage edges', () => {
  const base = {
    shortageQuote: 10_000000n,
    marginRatioPpm: 100_000n,
    liquidationFeePpm: 0n,
    insuranceFundFeePpm: 0n,
    pricePx8: 300_00000000n,
    quoteDecimals: 6,
  };
  it("'ceil' covers the shortage where 'floor' may fall one qty9 short", () => {
    expect(driftBaseToCoverMarginShortage({ ...base, rounding: 'floor' })).toBe(333_333_333n);
    expect(driftBaseToCoverMarginShortage({ ...base, rounding: 'ceil' })).toBe(333_333_334n);
  });
  it('has no answer when fees eat the whole margin ratio or the price is 0', () => {
    expect(
      driftBaseToCoverMarginShortage({ ...base, liquidationFeePpm: 100_000n, rounding: 'floor' }),
    ).toBeNull();
    expect(
      driftBaseToCoverMarginShortage({
        ...base,
        liquidationFeePpm: 50_000n,
        insuranceFundFeePpm: 50_000n,
        rounding: 'floor',
      }),
    ).toBeNull();
    expect(driftBaseToCoverMarginShortage({ ...base, pricePx8: 0n, rounding: 'floor' })).toBeNull();
  });
});
