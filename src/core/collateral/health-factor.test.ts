/**
 * Aave v3 health factor (test/vectors/aave_v3_health_factor.json; aave-utilities'
 * own tests). Amounts are market-reference units; thresholds bps → ppm (×100).
 */
import Big from 'big.js';
import { describe, expect, it } from 'vitest';
import vectors from '../../../test/vectors/aave_v3_health_factor.json' with { type: 'json' };
import { availableBorrowsQuote } from '../reference/aave-v3.ts';
import { HEALTH_FACTOR_NO_DEBT, healthFactor } from './health-factor.ts';

const FILE = 'aave_v3_health_factor.json';
const byName = (name: string) => vectors.cases.find((c) => c.name === name)!;
const wadToBig = (hf: bigint) => new Big(hf.toString()).div(new Big(10).pow(18));

describe(`${FILE} › health factor from balances (pool-math.test.ts)`, () => {
  it.each(['hf_equals_one', 'hf_1_666'])('%s', (name) => {
    const c = byName(name);
    const i = c.inputs as {
      collateralMarketRef: string;
      debtMarketRef: string;
      liquidationThreshold_bps: number;
    };
    const hf = healthFactor(
      [
        {
          valueQuote: BigInt(i.collateralMarketRef),
          liquidationThresholdPpm: BigInt(i.liquidationThreshold_bps) * 100n,
        },
      ],
      BigInt(i.debtMarketRef),
    );
    const expected = new Big((c.expected as { healthFactor: string }).healthFactor);
    const tol = new Big((c.tolerance as { abs: number }).abs);
    expect(wadToBig(hf).minus(expected).abs().lte(tol)).toBe(true);
  });

  it('hf_no_debt: aave-utilities returns the sentinel -1, Aave on chain uint256 max; we return uint256 max', () => {
    const i = byName('hf_no_debt').inputs as {
      collateralMarketRef: string;
      liquidationThreshold_bps: number;
    };
    expect(byName('hf_no_debt').expected.healthFactor).toBe('-1');
    const hf = healthFactor(
      [
        {
          valueQuote: BigInt(i.collateralMarketRef),
          liquidationThresholdPpm: BigInt(i.liquidationThreshold_bps) * 100n,
        },
      ],
      0n,
    );
    expect(hf).toBe(HEALTH_FACTOR_NO_DEBT);
  });

  it('hf_big_units: the "BigUnits" variant does not divide the threshold by 1e4 (5000 bps read as 5000 × 100%)', () => {
    const c = byName('hf_big_units');
    const i = c.inputs as {
      collateralMarketRef: string;
      debtMarketRef: string;
      liquidationThreshold_bps: number;
    };
    const hf = healthFactor(
      [
        {
          valueQuote: BigInt(i.collateralMarketRef),
          liquidationThresholdPpm: BigInt(i.liquidationThreshold_bps) * 1_000_000n,
        },
      ],
      BigInt(i.debtMarketRef),
    );
    expect(wadToBig(hf).eq(new Big((c.expected as { healthFactor: string }).healthFactor))).toBe(true);
  });
});

describe(`${FILE} › user summary (generate-raw-user-summary.test.ts)`, () => {
  it.each(['user_summary_two_reserves', 'user_summary_two_reserves_emode'])('%s', (name) => {
    const c = byName(name);
    const i = c.inputs as {
      totalCollateralMarketRef: number;
      totalBorrowsMarketRef: number;
      weightedLtv_bps: number;
      weightedLiquidationThreshold_bps: number;
    };
    const e = c.expected as { healthFactor: string; availableBorrowsMarketRef: string };
    const value = BigInt(i.totalCollateralMarketRef);
    const debt = BigInt(i.totalBorrowsMarketRef);
    const hf = healthFactor(
      [{ valueQuote: value, liquidationThresholdPpm: BigInt(i.weightedLiquidationThreshold_bps) * 100n }],
      debt,
    );
    expect(wadToBig(hf).eq(new Big(e.healthFactor))).toBe(true);
    expect(
      availableBorrowsQuote([{ valueQuote: value, ltvPpm: BigInt(i.weightedLtv_bps) * 100n }], debt),
    ).toBe(BigInt(e.availableBorrowsMarketRef));
  });
});

describe('healthFactor shape', () => {
  it('sums several collaterals with their own thresholds, rounding down', () => {
    const hf = healthFactor(
      [
        { valueQuote: 100n, liquidationThresholdPpm: 800_000n },
        { valueQuote: 50n, liquidationThresholdPpm: 500_000n },
      ],
      315n,
    );
    expect(hf).toBe(333_333_333_333_333_333n); // 105 / 315 = 0.333…
  });
});
