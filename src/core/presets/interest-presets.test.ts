/**
 * The Aave and Drift presets configure interest-bearing balances in each venue's own terms.
 * Numbers by hand from the published curves: Aave v3's two-slope variable rate (aave.com,
 * "Aave V3 Interest Rate Strategy") with supply rate R·U·(1 − reserve factor); Drift's curve
 * (protocol-v2 SpotMarket: optimal_utilization, optimal_borrow_rate, max_borrow_rate on 1e6
 * precisions, as the SDK's spot test mocks them: 70 %, 10 %, 100 %).
 */
import { describe, expect, it } from 'vitest';
import { assertConserved } from '../../../test/support/conservation.ts';
import { crossView, evaluate } from '../account/figures.ts';
import { borrowRateRay, depositRateRay, RAY, YEAR_MS } from '../collateral/interest.ts';
import { Engine } from '../engine/engine.ts';
import { InterestConfigSchema } from '../model/interest-config.ts';
import { aaveConfig, aaveInterest } from './aave-v3.ts';
import { driftConfig, driftInterest } from './drift-v2.ts';

const ray = (text: string) => {
  const [i, f = ''] = text.split('.');
  return BigInt(i!) * RAY + BigInt((f + '0'.repeat(27)).slice(0, 27));
};

// A stablecoin-shaped strategy: U* 90 %, base 0, slope1 4 %, slope2 60 %, reserve factor 10 %.
const STRATEGY = {
  optimalUsageRatioBps: 9000,
  baseVariableBorrowRateBps: 0,
  variableRateSlope1Bps: 400,
  variableRateSlope2Bps: 6000,
  reserveFactorBps: 1000,
};

describe('aave-v3 interest', () => {
  it('maps the strategy to the same curve: 34 % at 95 % usage, suppliers 29.07 %', () => {
    const c = InterestConfigSchema.parse(aaveInterest(STRATEGY));
    // 0.04 + 0.6 × (0.95 − 0.9) / (1 − 0.9) = 0.34; supply 0.34 × 0.95 × 0.9 = 0.2907
    expect(borrowRateRay(c, ray('0.95'))).toBe(ray('0.34'));
    expect(depositRateRay(c, ray('0.34'), ray('0.95'))).toBe(ray('0.2907'));
  });

  it('accrues a year on a lending market at 95 % usage: the reserve factor is the protocol share', () => {
    const e = Engine.create(aaveConfig(undefined, { id: 'USDC', decimals: 6, interest: STRATEGY }));
    e.executeOrThrow({ type: 'prices', timeMs: 1, assets: { WETH: '3000', WBTC: '60000' } });
    e.executeOrThrow({ type: 'deposit', to: { account: 'supplier' }, asset: 'USDC', amount: '1000' });
    e.executeOrThrow({ type: 'deposit', to: { account: 'borrower' }, asset: 'WETH', amount: '1' });
    e.executeOrThrow({ type: 'borrow', subaccount: { account: 'borrower' }, amount: '950' });
    e.executeOrThrow({ type: 'accrue_interest', asset: 'USDC', elapsedMs: Number(YEAR_MS) });
    const usdc = (who: string) => e.state.subaccounts.get(`${who}/0`)!.balances.get('USDC');
    // debt 950 × 1.34 = 1,273; supply 1,000 × 1.2907 = 1,290.7; protocol 323 − 290.7 = 32.3 = 10 % of 323
    expect(usdc('borrower')).toBe(-1_273_000_000n);
    expect(usdc('supplier')).toBe(1_290_700_000n);
    expect(e.state.insurance.get('USDC')).toBe(32_300_000n);
    assertConserved(e.state);
  });
});

describe('drift-v2 interest and lazy funding', () => {
  const rates = {
    optimalUtilization: 700_000,
    optimalBorrowRate: 100_000,
    maxBorrowRate: 1_000_000,
    insuranceFundFactor: 100_000,
  };

  it("maps Drift's curve: 5 % at 35 %, 55 % at 85 %, deposits 42.075 % there", () => {
    const c = InterestConfigSchema.parse(driftInterest(rates));
    // below the kink: 0.1 × 0.35 / 0.7 = 0.05; above: 0.1 + (1 − 0.1) × (0.85 − 0.7) / 0.3 = 0.55
    expect(borrowRateRay(c, ray('0.35'))).toBe(ray('0.05'));
    expect(borrowRateRay(c, ray('0.85'))).toBe(ray('0.55'));
    // 0.55 × 0.85 × (1 − 0.1) = 0.42075
    expect(depositRateRay(c, ray('0.55'), ray('0.85'))).toBe(ray('0.42075'));
  });

  it("with Drift's arithmetic, unsettled funding counts in full: margin is the same before and after settling", () => {
    const e = Engine.create(driftConfig({ lazyFunding: true }));
    e.executeOrThrow({ type: 'prices', timeMs: 1, marks: { 'SOL-PERP': '100' }, assets: { SOL: '100' } });
    for (const w of ['a', 'b'])
      e.executeOrThrow({ type: 'deposit', to: { account: w }, asset: 'USDC', amount: '1000' });
    e.executeOrThrow({
      type: 'fill',
      market: 'SOL-PERP',
      buyer: { account: 'a' },
      seller: { account: 'b' },
      size: '10',
      price: '100',
    });
    const figures = (w: string) => {
      const f = evaluate(e.state, crossView(e.state.subaccounts.get(`${w}/0`)!));
      return [f.equityQuote, f.equityInitialQuote, f.freeCollateralQuote, f.healthQuote];
    };
    const untouched = [figures('a')[0]!, figures('b')[0]!];
    e.executeOrThrow({
      type: 'funding_tick',
      market: 'SOL-PERP',
      timeMs: 8 * 3600_000,
      premiumIndex: '0.0005',
    });
    const before = [figures('a'), figures('b')];
    // rate 0.05 % + clamp(0.01 % − 0.05 %) = 0.01 %; 10 SOL × 100 × 0.0001 = 0.1 USDC from a to b
    expect([before[0]![0]! - untouched[0]!, before[1]![0]! - untouched[1]!]).toEqual([-100_000n, 100_000n]);
    for (const w of ['a', 'b']) e.executeOrThrow({ type: 'settle_funding', subaccount: { account: w } });
    expect([figures('a'), figures('b')]).toEqual(before);
  });

  it('the preset takes the options and stays as it was without them', () => {
    const plain = driftConfig();
    expect(plain.fundingSettlement).toBeUndefined();
    expect(plain.assets[0]).toEqual({ id: 'USDC', decimals: 6 });
    const e = Engine.create(driftConfig({ usdcRates: rates, lazyFunding: true }));
    expect(e.state.config.fundingSettlement).toBe('lazy');
    expect(e.state.interest?.get('USDC')?.borrowIndex).toBe(RAY);
  });
});
