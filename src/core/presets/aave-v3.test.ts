/**
 * aave-v3 preset against Aave's published numbers:
 *  - test/vectors/aave_v3_health_factor.json: aave-utilities' health-factor and user-summary
 *    tests, and the v3.3 close-factor rules (LiquidationLogic.sol, Aave-v3.3-features.md);
 *  - test/vectors/aave_v3_docs.json: the docs' example (ETH $10,000 at LT 80%, $6,000 debt → HF 1.333).
 * Health factors here come from the engine's own valuation of a lending account (collateral
 * weighted at LT, debt a negative settlement balance), through lendingLiquidationPrice.
 */
import { describe, expect, it } from 'vitest';
import docs from '../../../test/vectors/aave_v3_docs.json' with { type: 'json' };
import hf from '../../../test/vectors/aave_v3_health_factor.json' with { type: 'json' };
import { liquidationPriceFor } from '../calculator/liquidation-price.ts';
import { Engine } from '../engine/engine.ts';
import { divRound, formatDecimal, parseDecimalUnsafe } from '../num/index.ts';
import { liquidationCall, percentDiv, percentMul } from '../reference/aave-v3.ts';
import { aaveConfig, aaveV3, lendingLiquidationPrice, maxCloseFactorBps } from './aave-v3.ts';

const H = 'aave_v3_health_factor.json';
const byName = (name: string) => hf.cases.find((c) => c.name === name)!;
/** A one-collateral market in market-reference units (18 decimals, like Aave's ETH-based reference). */
const refMarket = (ltBps: number, ltvBps = ltBps) =>
  aaveConfig(
    [
      {
        id: 'C',
        decimals: 18,
        ltvBps,
        liquidationThresholdBps: ltBps,
        liquidationBonusBps: 10500,
        liquidationProtocolFeeBps: 1000,
      },
    ],
    { id: 'REF', decimals: 18 },
  );
const units = (raw: string) => formatDecimal(BigInt(raw), 18);
const wadAbsDiff = (a: string, b: string) => {
  const d = parseDecimalUnsafe(a, 18) - parseDecimalUnsafe(b.slice(0, b.indexOf('.') + 19), 18);
  return d < 0n ? -d : d;
};

describe(`${H} › health factor through the engine's valuation (pool-math.test.ts)`, () => {
  it.each(['hf_equals_one', 'hf_1_666'])('%s', (name) => {
    const i = byName(name).inputs as {
      collateralMarketRef: string;
      debtMarketRef: string;
      liquidationThreshold_bps: number;
    };
    const r = lendingLiquidationPrice({
      config: refMarket(i.liquidationThreshold_bps),
      collateral: { C: units(i.collateralMarketRef) },
      prices: { C: '1' },
      debt: units(i.debtMarketRef),
    });
    const expected = String((byName(name).expected as { healthFactor: string }).healthFactor);
    expect(
      wadAbsDiff(r.healthFactor!, expected.includes('.') ? expected : `${expected}.0`),
    ).toBeLessThanOrEqual(1n);
    // HF = 1 is not liquidatable (Aave: HF < 1); the engine agrees (equity = 0 is not < MM = 0).
    expect(r.liquidatable).toBe(false);
  });
  it('hf_no_debt: no debt, no health factor and no liquidation price', () => {
    const i = byName('hf_no_debt').inputs as {
      collateralMarketRef: string;
      liquidationThreshold_bps: number;
    };
    const r = lendingLiquidationPrice({
      config: refMarket(i.liquidationThreshold_bps),
      collateral: { C: units(i.collateralMarketRef) },
      prices: { C: '1' },
      debt: '0',
    });
    expect(r.healthFactor).toBeNull();
    expect(r.liquidationPrice).toBeNull();
  });
});

describe(`${H} › user summary (generate-raw-user-summary.test.ts)`, () => {
  it.each(['user_summary_two_reserves', 'user_summary_two_reserves_emode'])('%s', (name) => {
    const c = byName(name);
    const i = c.inputs as {
      totalCollateralMarketRef: number;
      totalBorrowsMarketRef: number;
      weightedLtv_bps: number;
      weightedLiquidationThreshold_bps: number;
    };
    const r = lendingLiquidationPrice({
      config: refMarket(i.weightedLiquidationThreshold_bps, i.weightedLtv_bps),
      collateral: { C: String(i.totalCollateralMarketRef) },
      prices: { C: '1' },
      debt: String(i.totalBorrowsMarketRef),
    });
    expect(parseDecimalUnsafe(r.healthFactor!, 18)).toBe(
      parseDecimalUnsafe((c.expected as { healthFactor: string }).healthFactor, 18),
    );
  });
});

describe(`${H} › close factor (v3.3+)`, () => {
  const cases = hf.cases.filter((c) => c.name.startsWith('close_factor_rules'));
  it('has four cases', () => expect(cases.length).toBe(4));
  it.each(cases)('$name', (c) => {
    const i = c.inputs as { healthFactor: number; totalDebtUsd?: number; totalCollateralUsd?: number };
    const wad = parseDecimalUnsafe(String(i.healthFactor), 18);
    const base = (usd: number | undefined) => BigInt(usd ?? 1_000_000) * 10n ** 8n;
    const cf = maxCloseFactorBps(wad, base(i.totalCollateralUsd), base(i.totalDebtUsd));
    const e = c.expected as { maxCloseFactor?: number; liquidatable?: boolean };
    if (e.liquidatable === false) expect(cf).toBeNull();
    else expect(cf).toBe(BigInt(Math.round(e.maxCloseFactor! * 10_000)));
  });
  it('v3_3_close_factor_whole_position_example: 50% of the whole $9,000 debt covers one $3,000 reserve', () => {
    const c = byName('v3_3_close_factor_whole_position_example');
    const e = c.expected as { maxRepayOneReserve_v3_3: number; maxRepayOneReserve_pre_v3_3: number };
    const cf = maxCloseFactorBps(990_000_000_000_000_000n, 9_000n * 10n ** 8n, 9_000n * 10n ** 8n)!;
    const totalDebt = 9_000n;
    const maxRepay = (totalDebt * cf) / 10_000n;
    expect(maxRepay >= 3_000n ? 3_000n : maxRepay).toBe(BigInt(e.maxRepayOneReserve_v3_3));
    expect((3_000n * cf) / 10_000n).toBe(BigInt(e.maxRepayOneReserve_pre_v3_3)); // the old per-reserve rule
  });
});

describe('aave_v3_docs.json › the docs’ health-factor example, and its liquidation price', () => {
  const c = docs.cases[0]!;
  it(c.name, () => {
    // $10,000 of ETH: 4 WETH at $2,500, LT 80%; $6,000 debt.
    const r = liquidationPriceFor({
      preset: 'aave-v3',
      config: aaveConfig([
        {
          id: 'WETH',
          decimals: 18,
          ltvBps: 7500,
          liquidationThresholdBps: 8000,
          liquidationBonusBps: 10500,
          liquidationProtocolFeeBps: 1000,
        },
      ]),
      collateral: { WETH: '4' },
      assetPrices: { WETH: '2500' },
      debt: c.inputs.debtUsd,
    });
    // The docs print HF to three decimals.
    expect(
      formatDecimal(divRound(parseDecimalUnsafe(r.lending!.healthFactor!, 18), 10n ** 15n, 'halfEven'), 3),
    ).toBe(c.expected.healthFactor);
    // HF = 1 at collateral = debt / LT = $7,500 → $1,875 per ETH = 75% of $2,500 (to 1e-8 on the safe side).
    const lp = parseDecimalUnsafe(r.liquidationPrice!, 8);
    expect(lp).toBeLessThan(187_500_000_000n);
    expect(lp).toBeGreaterThanOrEqual(187_500_000_000n - 2n);
    expect(r.lending!.formulaLiquidationPrice).toBe('1875');
    expect(parseDecimalUnsafe(c.expected.liquidationPriceShareOfCurrent_derived, 8) * 2500n).toBe(
      187_500_000_000n,
    );
  });
});

describe('liquidationCall: LiquidationLogic’s collateral, debt and protocol fee (hand-derived, no published numeric example)', () => {
  const base = {
    debtPrice: 100_000_000n, // $1 (base currency 8 decimals)
    collateralPrice: 200_000_000_000n, // $2,000
    debtDecimals: 6,
    collateralDecimals: 18,
    liquidationBonusBps: 10_500n,
    liquidationProtocolFeeBps: 1_000n,
  };
  it('repays 1,000 USDC for 0.525 WETH, 10% of the 0.025 bonus to the protocol', () => {
    const r = liquidationCall({
      ...base,
      debtToCover: 1_000_000_000n,
      userCollateralBalance: 10n * 10n ** 18n,
    });
    expect(r).toEqual({
      collateralToLiquidator: 522_500_000_000_000_000n,
      debtRepaid: 1_000_000_000n,
      protocolFee: 2_500_000_000_000_000n,
    });
  });
  it('runs out of collateral: the debt repaid shrinks, Aave rounding (percentDiv half up)', () => {
    const r = liquidationCall({
      ...base,
      debtToCover: 1_000_000_000n,
      userCollateralBalance: 300_000_000_000_000_000n,
    });
    expect(r.debtRepaid).toBe(571_428_571n);
    expect(r.protocolFee).toBe(1_428_571_428_571_429n);
    expect(r.collateralToLiquidator + r.protocolFee).toBe(300_000_000_000_000_000n);
  });
  it('PercentageMath rounds half up', () => {
    expect(percentMul(1n, 5_000n)).toBe(1n); // 0.5 → 1
    expect(percentMul(1n, 4_999n)).toBe(0n);
    expect(percentDiv(1n, 20_000n)).toBe(1n); // 0.5 → 1
  });
});

describe('aave-v3 preset shape', () => {
  it('is a valid engine configuration: LTV as initial weight, LT as maintenance weight', () => {
    const e = Engine.create(aaveV3.config());
    const weth = e.state.assets.get('WETH')!;
    expect(weth.initialWeight).toBe(805_000n);
    expect(weth.maintenanceWeight).toBe(830_000n);
  });
  it('adding collateral lowers the liquidation price (what-if)', () => {
    const input = {
      preset: 'aave-v3',
      collateral: { WETH: '4' },
      assetPrices: { WETH: '2500' },
      debt: '6000',
    };
    const a = liquidationPriceFor(input);
    const b = liquidationPriceFor({ ...input, whatIf: { addCollateral: '1' } });
    expect(parseDecimalUnsafe(b.liquidationPrice!, 8)).toBeLessThan(
      parseDecimalUnsafe(a.liquidationPrice!, 8),
    );
  });
});
