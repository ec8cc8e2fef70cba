/**
 * dydx-v4 preset against dYdX v4-chain's own unit tests:
 *  - test/vectors/dydx_v4_margin_liquidation.json: liquidity tiers (liquidity_tier_test.go),
 *    TestGetBankruptcyPriceInQuoteQuantums and TestGetFillablePrice (liquidations_test.go);
 *  - test/vectors/dydx_v4_liquidation_fees.json: TestGetLiquidationInsuranceFundDelta and more
 *    TestGetFillablePrice cases.
 * Every figure is exact (tolerance 0). Base quantums: BTC 1e-8, ETH 1e-9 (the test perpetuals'
 * atomic resolutions); quote quantums 1e-6 USDC = quote units here.
 */
import { describe, expect, it } from 'vitest';
import fees from '../../../test/vectors/dydx_v4_liquidation_fees.json' with { type: 'json' };
import vectors from '../../../test/vectors/dydx_v4_margin_liquidation.json' with { type: 'json' };
import { liquidationPriceFor } from '../calculator/liquidation-price.ts';
import { Engine } from '../engine/engine.ts';
import { createMarginModel, oiAdjustedInitialPpm } from '../margin/models.ts';
import { MarginModelConfigSchema } from '../model/config.ts';
import { formatDecimal, parseDecimalUnsafe } from '../num/index.ts';
import {
  type DydxSubaccount,
  dydxBankruptcyPriceQuote,
  dydxFillablePrice,
  dydxInsuranceFundDelta,
  dydxIsLiquidatable,
} from '../reference/dydx-v4.ts';
import { group, TEST_TIER } from './dydx-v4.testkit.ts';
import { DYDX_LIQUIDITY_TIERS, dydxConfig, dydxMarket, type LiquidityTier } from './dydx-v4.ts';
import { div, mul, rat, ratToString } from './rational.ts';

const F1 = 'dydx_v4_margin_liquidation.json';
const F2 = 'dydx_v4_liquidation_fees.json';
type Any = Record<string, unknown>;
const q9 = (text: string) => parseDecimalUnsafe(text, 9);
const px8 = (text: string) => parseDecimalUnsafe(text, 8);
const atomic: Record<string, number> = { 'BTC-USD': 8, 'ETH-USD': 9 };

function subaccountOf(i: Any): DydxSubaccount {
  const positions = (i.positions as
    | { market: string; sizeBase: string; oraclePriceUsd: string }[]
    | undefined) ?? [
    {
      market: String(i.market),
      sizeBase: String(i.positionSizeBtc),
      oraclePriceUsd: String(i.oraclePriceUsd),
    },
  ];
  return {
    usdcQuote: parseDecimalUnsafe(String(i.usdcBalance), 6),
    positions: positions.map((p) => ({
      market: p.market,
      sizeQty9: q9(p.sizeBase),
      oraclePx8: px8(p.oraclePriceUsd),
      tier: TEST_TIER,
    })),
  };
}

describe(`${F1} › liquidity tiers as the preset's openInterestScaled model`, () => {
  const tierOf = (i: Any): LiquidityTier => ({
    name: 't',
    initialMarginPpm: BigInt(i.initialMarginPpm as number),
    maintenanceFractionPpm: BigInt((i.maintenanceFractionPpm as number | undefined) ?? 1_000_000),
    openInterestLowerCap: String(Number(i.openInterestLowerCap ?? 0) / 1e6),
    openInterestUpperCap: String(Number(i.openInterestUpperCap ?? 0) / 1e6),
  });
  const modelOf = (t: LiquidityTier) =>
    createMarginModel(MarginModelConfigSchema.parse(dydxMarket('X', 'X', t).margin), 6);
  it.each(group(vectors.cases, 'liquidity_tier_maintenance_margin_ppm'))('maintenance ppm › $name', (c) => {
    // MM of a notional of 1,000,000 quote units is the maintenance ratio in ppm.
    const r = modelOf(tierOf(c.inputs)).requirement(
      { sizeQty9: 1n, notionalQuote: 1_000_000n },
      { openInterestQuote: 0n },
    );
    expect(r.maintenanceQuote).toBe(BigInt(c.expected.maintenanceMarginPpm as number));
  });
  it.each(group(vectors.cases, 'liquidity_tier_initial_margin_quote_quantums'))(
    'initial margin › $name',
    (c) => {
      const r = modelOf(tierOf(c.inputs)).requirement(
        { sizeQty9: 1n, notionalQuote: BigInt(c.inputs.positionNotionalQuoteQuantums as number) },
        { openInterestQuote: BigInt(c.inputs.openInterestNotional as number) },
      );
      expect(r.initialQuote).toBe(BigInt(c.expected.initialMarginQuoteQuantums as number));
    },
  );
  it.each(group(vectors.cases, 'liquidity_tier_adjusted_initial_margin_ppm'))(
    'adjusted IMF ppm › $name',
    (c) => {
      const i = c.inputs as Record<string, number>;
      expect(
        oiAdjustedInitialPpm(
          BigInt(i.initialMarginPpm!),
          BigInt(i.openInterestNotional!),
          BigInt(i.openInterestLowerCap!),
          BigInt(i.openInterestUpperCap!),
        ),
      ).toBe(BigInt(c.expected.adjustedInitialMarginPpm as number));
    },
  );
});

describe(`${F1} › TestGetBankruptcyPriceInQuoteQuantums`, () => {
  const cases = group(vectors.cases, 'TestGetBankruptcyPriceInQuoteQuantums');
  it('has the five cases', () => expect(cases.length).toBe(5));
  it.each(cases)('$name', (c) => {
    const s = subaccountOf({ ...c.inputs, market: 'BTC-USD' });
    const got = dydxBankruptcyPriceQuote(s, 'BTC-USD', q9(String(c.inputs.deltaBtc)));
    expect(got).toBe(BigInt(c.expected.bankruptcyQuoteQuantums as number));
  });
});

const fillableCases = [
  ...group(vectors.cases, 'TestGetFillablePrice').map((c) => ({ ...c, file: F1 })),
  ...group(fees.cases, 'TestGetFillablePrice').map((c) => ({ ...c, file: F2 })),
];
describe('TestGetFillablePrice (both files)', () => {
  it('has the eleven cases', () => expect(fillableCases.length).toBe(11));
  it.each(fillableCases)('$file › $name', (c) => {
    const i = c.inputs;
    const market = String(i.market ?? 'BTC-USD');
    const cfg = (i.fillablePriceConfig as Any | undefined) ?? i;
    const price = dydxFillablePrice(
      subaccountOf({ ...i, market }),
      market,
      q9(String(i.deltaBase ?? i.deltaBtc)),
      {
        bankruptcyAdjustmentPpm: BigInt(cfg.bankruptcyAdjustmentPpm as number),
        spreadToMaintenanceMarginRatioPpm: BigInt(cfg.spreadToMaintenanceMarginRatioPpm as number),
      },
    );
    // USD per whole unit → quote quantums per base quantum.
    const perQuantum = div(mul(price, rat(1_000_000n)), rat(10n ** BigInt(atomic[market]!)));
    expect(ratToString(perQuantum)).toBe(c.expected.fillablePriceRational_quoteQuantumsPerBaseQuantum);
  });
});

describe(`${F2} › TestGetLiquidationInsuranceFundDelta`, () => {
  const cases = group(fees.cases, 'TestGetLiquidationInsuranceFundDelta');
  it('has the thirteen cases', () => expect(cases.length).toBe(13));
  it.each(cases)('$name', (c) => {
    const i = c.inputs;
    const s = subaccountOf({ ...i, market: 'BTC-USD' });
    const got = dydxInsuranceFundDelta(
      s,
      'BTC-USD',
      i.isBuy as boolean,
      q9(String(i.fillAmountBtc)),
      px8(String(i.fillPriceUsdPerBtc)),
      BigInt(i.maxLiquidationFeePpm as number),
    );
    expect(got).toBe(BigInt(c.expected.insuranceFundDeltaQuoteQuantums as number));
  });
  it('a zero fill amount is refused (ErrInvalidQuantumsForInsuranceFundDeltaCalculation)', () => {
    const s = subaccountOf({
      market: 'BTC-USD',
      positionSizeBtc: '-0.1',
      usdcBalance: '4900',
      oraclePriceUsd: '50000',
    });
    expect(() => dydxInsuranceFundDelta(s, 'BTC-USD', true, 0n, px8('50000'))).toThrow(RangeError);
  });
});

describe('the engine agrees with dYdX: trigger and bankruptcy price of a full close', () => {
  // Full-close cases of TestGetBankruptcyPriceInQuoteQuantums. In the engine the USDC asset position is
  // wallet − entry value; an entry price at or under the oracle keeps the wallet non-negative.
  const config = { ...dydxConfig(), markets: [dydxMarket('BTC-USD', 'BTC', TEST_TIER, '0.00000001')] };
  const full = group(vectors.cases, 'TestGetBankruptcyPriceInQuoteQuantums').filter(
    (c) => String(c.inputs.deltaBtc) === String(-Number(c.inputs.positionSizeBtc)),
  );
  it('has the three full-close cases', () => expect(full.length).toBe(3));
  it.each(full)('$name', (c) => {
    const i = c.inputs;
    const size = String(i.positionSizeBtc);
    const usdc = parseDecimalUnsafe(String(i.usdcBalance), 6);
    const size9 = parseDecimalUnsafe(size, 9);
    // wallet = USDC + size × entry (quote units: qty9 × whole dollars / 1e3)
    const walletAt = (entry: bigint) => usdc + (size9 * entry) / 1_000n;
    const entry = walletAt(50_000n) >= 0n ? 50_000n : 49_000n;
    const wallet = walletAt(entry);
    const r = liquidationPriceFor({
      preset: 'dydx-v4',
      config,
      walletBalance: formatDecimal(wallet, 6),
      positions: [{ market: 'BTC-USD', size, entryPrice: entry.toString() }],
      marks: { 'BTC-USD': '50000' },
    });
    const s = subaccountOf({ ...i, market: 'BTC-USD' });
    expect(r.breakdown.liquidatable).toBe(dydxIsLiquidatable(s));
    // Quote received (+) / paid (−) to close at the bankruptcy price = size × bankruptcy price.
    const dydxQuote = dydxBankruptcyPriceQuote(s, 'BTC-USD', -size9);
    const engineQuote = (size9 * parseDecimalUnsafe(r.bankruptcyPrice!, 8)) / 10n ** 11n;
    const d = engineQuote - dydxQuote;
    expect(d >= -1n && d <= 1n).toBe(true);
  });
});

describe('dydx-v4 preset shape', () => {
  it('is a valid engine configuration', () => expect(() => Engine.create(dydxConfig())).not.toThrow());
  it('tiers: maintenance = ⌊IMF × fraction⌋ (Large-Cap 5% × 60% = 3%)', () => {
    const t = DYDX_LIQUIDITY_TIERS['Large-Cap']!;
    const m = createMarginModel(MarginModelConfigSchema.parse(dydxMarket('BTC-USD', 'BTC', t).margin), 6);
    expect(m.requirement({ sizeQty9: 1n, notionalQuote: 1_000_000n }, { openInterestQuote: 0n })).toEqual({
      initialQuote: 50_000n,
      maintenanceQuote: 30_000n,
    });
  });
  it('refuses a delta that does not reduce the position', () => {
    const s = subaccountOf({
      market: 'BTC-USD',
      positionSizeBtc: '0.1',
      usdcBalance: '-4000',
      oraclePriceUsd: '50000',
    });
    expect(() => dydxBankruptcyPriceQuote(s, 'BTC-USD', q9('0.1'))).toThrow(RangeError);
    expect(() => dydxBankruptcyPriceQuote(s, 'BTC-USD', q9('-0.2'))).toThrow(RangeError);
  });
});
