/**
 * Margin breakdown: the bracket it names is the venue's published one, the terms it shows are
 * the ones hand-computed from the published rules, and its parts add up exactly to the totals
 * the report gives.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ref, venueConfig } from '../../../test/support/fixtures.ts';
import { Engine } from '../engine/engine.ts';
import type { EngineConfigInput } from '../model/engine-config.ts';
import type { ReadonlySubaccount } from '../model/state.ts';
import { parseDecimal } from '../num/index.ts';
import { binanceUsdmConfig } from '../presets/binance-usdm.ts';
import { driftConfig } from '../presets/drift-v2.ts';
import { dydxConfig } from '../presets/dydx-v4.ts';
import { type MarginBreakdown, marginBreakdown, type ScopeBreakdown } from './breakdown.ts';
import { type ScopeReport, subaccountReport } from './report.ts';

const BRACKETS = JSON.parse(
  readFileSync(new URL('../../../test/vectors/binance_usdm_btcusdt_brackets.json', import.meta.url), 'utf8'),
) as {
  brackets: {
    minNotional: string;
    maxNotional: string;
    maintenanceMarginRate: string;
    maxLeverage: number;
    maintAmt: string;
  }[];
};

/** Exact decimal → bigint at 30 places, so strings of different scales compare and add exactly. */
const X = (s: string) => {
  const r = parseDecimal(s, 30);
  if (!r.ok) throw new Error(`not a decimal: ${s}`);
  return r.value;
};
const same = (a: string, b: string) => expect(X(a)).toBe(X(b));

/** Every part adds up to the totals of the report (the property the breakdown exists for). */
function assertAddsUp(b: ScopeBreakdown, r: ScopeReport): void {
  same(b.initialMargin, r.initialMargin);
  same(b.maintenanceMargin, r.maintenanceMargin);
  same(b.equity, r.equity);
  same(b.collateralValue, r.collateralValue);
  same(b.collateralValueInitial, r.collateralValueInitial);
  const sum = (xs: string[]) => xs.reduce((a, x) => a + X(x), 0n);
  expect(sum(b.collateral.map((c) => c.valueMaintenance))).toBe(X(b.collateralValue));
  expect(sum(b.collateral.map((c) => c.valueInitial))).toBe(X(b.collateralValueInitial));
  expect(X(b.collateralValue) + X(b.unrealizedPnl) - X(b.pnlHaircut)).toBe(X(b.equity));
  expect(b.positions.length).toBe(r.positions.length);
  for (const p of b.positions) {
    const rp = r.positions.find((x) => x.market === p.market)!;
    same(p.initialMargin, rp.initialMargin);
    same(p.maintenanceMargin, rp.maintenanceMargin);
    same(p.notional, rp.notional);
    expect(X(p.modelInitialMargin) + X(p.leverageCapAddOn)).toBe(X(p.initialMargin));
    const m = p.model;
    const imAmount = typeof m.initialMargin === 'string' ? m.initialMargin : m.initialMargin.amount;
    same(imAmount, p.modelInitialMargin);
    same(m.maintenanceMargin.amount, p.maintenanceMargin);
    for (const part of [m.initialMargin, m.maintenanceMargin]) {
      if (typeof part === 'string') continue;
      expect(X(part.exact) + X(part.roundingUp)).toBe(X(part.amount));
      expect(X(part.roundingUp) >= 0n).toBe(true);
    }
    if (m.kind === 'brackets')
      expect(X(m.notionalTimesMaintenanceRatio) - X(m.tier.maintenanceAmount)).toBe(
        X(m.maintenanceMargin.exact),
      );
    if (m.kind === 'openInterestScaled')
      expect(X(m.baseInitialMargin) + X(m.openInterestAddOn)).toBe(X(m.initialMargin));
  }
  if (b.marginModel === 'standard') {
    expect(sum(b.positions.map((p) => p.initialMargin))).toBe(X(b.initialMargin));
    expect(sum(b.positions.map((p) => p.maintenanceMargin))).toBe(X(b.maintenanceMargin));
  }
}

function assertReportMatches(state: Engine['state'], sub: ReadonlySubaccount): MarginBreakdown {
  const b = marginBreakdown(state, sub);
  const r = subaccountReport(state, sub);
  assertAddsUp(b.cross, r.cross);
  expect(b.isolated.map((s) => s.scope)).toEqual(r.isolated.map((s) => s.scope));
  for (const [i, s] of b.isolated.entries()) assertAddsUp(s, r.isolated[i]!);
  return b;
}

function binance(marks: Record<string, string>): Engine {
  const e = Engine.create(binanceUsdmConfig());
  e.executeOrThrow({ type: 'prices', timeMs: 1, marks });
  e.executeOrThrow({ type: 'deposit', to: ref('mm'), asset: 'USDT', amount: '100000000000' });
  return e;
}
const buy = (e: Engine, who: string, market: string, size: string, price: string) =>
  e.executeOrThrow({ type: 'fill', market, buyer: ref(who), seller: ref('mm'), size, price });

describe('margin breakdown: Binance USDⓈ-M brackets', () => {
  it('names_the_published_bracket_and_cum_for_notionals_across_the_ladder', () => {
    // A position per published bracket, notional inside it (BTC at 100 USDT: size = notional / 100),
    // and the two freqtrade expectations (170.30 → bracket 1; 600,000,000 → the last, on its floor).
    const notionals = [
      '170.3',
      '100000',
      '500000',
      '2000000',
      '10000000',
      '50000000',
      '150000000',
      '300000000',
      '500000000',
      '600000000',
    ];
    for (const [i, n] of notionals.entries()) {
      const e = binance({ BTCUSDT: '100' });
      e.executeOrThrow({ type: 'deposit', to: ref('a'), asset: 'USDT', amount: '1000000000' });
      buy(e, 'a', 'BTCUSDT', (Number(n) / 100).toString(), '100');
      const sub = e.state.subaccounts.get('a/0')!;
      const p = assertReportMatches(e.state, sub).cross.positions[0]!;
      const published = BRACKETS.brackets[i]!;
      if (p.model.kind !== 'brackets') throw new Error('expected brackets');
      expect(p.model.tier.tier).toBe(i + 1);
      same(p.model.tier.notionalFloor, published.minNotional);
      if (i < notionals.length - 1) same(p.model.tier.notionalCap!, published.maxNotional);
      same(p.model.tier.maintenanceRatio, published.maintenanceMarginRate);
      same(p.model.tier.maintenanceAmount, published.maintAmt);
      // 1 / IMR: the preset's IMR is 1 / max leverage rounded up to a ppm (1/3 → 0.333334).
      expect(Number(p.model.tier.maxLeverage)).toBeCloseTo(published.maxLeverage, 4);
    }
  });

  it('worked_example_btc_position_mm_is_notional_times_mmr_minus_cum', () => {
    // Binance's worked example (test/vectors/binance_usdm_worked_example.json): BTCUSDT long
    // 109.488 at mark 31,967.27. By hand: notional = 109.488 × 31,967.27 = 3,500,032.45776
    // (bracket 4: 1,000,000–7,500,000, MMR 2.5%, cum 16,300);
    // MM = 3,500,032.45776 × 0.025 − 16,300 = 87,500.811444 − 16,300 = 71,200.811444,
    // the vector's TMM1 (71,200.81144, given to 5 places).
    const e = binance({ BTCUSDT: '31967.27', ETHUSDT: '1335.18' });
    e.executeOrThrow({ type: 'deposit', to: ref('a'), asset: 'USDT', amount: '1535443.01' });
    e.executeOrThrow({ type: 'prices', timeMs: 2, marks: { BTCUSDT: '32481.9' } });
    buy(e, 'a', 'BTCUSDT', '109.488', '32481.9');
    e.executeOrThrow({ type: 'prices', timeMs: 3, marks: { BTCUSDT: '31967.27' } });
    const p = assertReportMatches(e.state, e.state.subaccounts.get('a/0')!).cross.positions[0]!;
    if (p.model.kind !== 'brackets') throw new Error('expected brackets');
    same(p.notional, '3500032.45776');
    expect(p.model.tier.tier).toBe(4);
    same(p.model.tier.maintenanceRatio, '0.025');
    same(p.model.tier.maintenanceAmount, '16300');
    same(p.model.notionalTimesMaintenanceRatio, '87500.811444');
    same(p.maintenanceMargin, '71200.811444');
    same(p.model.maintenanceMargin.roundingUp, '0');
    // IM = notional / 20 (the tier's max leverage): 175,001.622888
    same(p.initialMargin, '175001.622888');
    expect(Math.abs(Number(p.maintenanceMargin) - 71200.81144)).toBeLessThan(0.00001);
  });

  it('a_leverage_cap_shows_as_an_add_on_over_the_bracket_im', () => {
    const e = binance({ BTCUSDT: '1000' });
    e.executeOrThrow({ type: 'deposit', to: ref('a'), asset: 'USDT', amount: '100000' });
    e.executeOrThrow({ type: 'set_leverage', subaccount: ref('a'), market: 'BTCUSDT', maxLeverage: '10' });
    buy(e, 'a', 'BTCUSDT', '10', '1000');
    // notional 10,000: bracket 1 IM = 10,000 / 125 = 80; the 10x cap asks 1,000 → add-on 920.
    const p = assertReportMatches(e.state, e.state.subaccounts.get('a/0')!).cross.positions[0]!;
    same(p.modelInitialMargin, '80');
    same(p.leverageCap!, '10');
    same(p.leverageCapAddOn, '920');
    same(p.initialMargin, '1000');
  });
});

describe('margin breakdown: other models and scopes', () => {
  it('fixed_isolated_and_collateral_add_up', () => {
    const e = Engine.create(venueConfig());
    e.executeOrThrow({
      type: 'prices',
      timeMs: 1,
      marks: { 'BTC-PERP': '60000', 'ETH-PERP': '3000' },
      assets: { BTC: '60000', ETH: '3000' },
    });
    e.executeOrThrow({ type: 'deposit', to: ref('mm'), asset: 'USDC', amount: '10000000' });
    e.executeOrThrow({ type: 'deposit', to: ref('a'), asset: 'USDC', amount: '5000' });
    e.executeOrThrow({ type: 'deposit', to: ref('a'), asset: 'BTC', amount: '0.1' });
    e.executeOrThrow({ type: 'set_margin_mode', subaccount: ref('a'), market: 'ETH-PERP', mode: 'isolated' });
    buy(e, 'a', 'BTC-PERP', '0.1', '60000');
    buy(e, 'a', 'ETH-PERP', '1', '3000');
    e.executeOrThrow({ type: 'prices', timeMs: 2, marks: { 'BTC-PERP': '59000.3', 'ETH-PERP': '2999.99' } });
    const b = assertReportMatches(e.state, e.state.subaccounts.get('a/0')!);
    // BTC-PERP fixed 10% / 5%: notional 5,900.03 → IM 590.003, MM 295.0015 (exact, no rounding).
    const btc = b.cross.positions[0]!;
    if (btc.model.kind !== 'fixed') throw new Error('expected fixed');
    same(btc.model.initialMargin.exact, '590.003');
    same(btc.model.maintenanceMargin.exact, '295.0015');
    same(btc.model.maintenanceMargin.roundingUp, '0');
    // BTC collateral 0.1 at 60,000, weights 0.8 / 0.9: 4,800 / 5,400.
    const coll = b.cross.collateral.find((c) => c.asset === 'BTC')!;
    same(coll.valueInitial, '4800');
    same(coll.valueMaintenance, '5400');
    // ETH-PERP isolated, fixed 5% with MM = 60% of it = 3%: notional 2,999.99 → MM 89.9997.
    const eth = b.isolated[0]!.positions[0]!;
    if (eth.model.kind !== 'fixed') throw new Error('expected fixed');
    same(eth.model.maintenanceRatio, '0.03');
    same(eth.maintenanceMargin, '89.9997');
  });

  it('short_option_terms_follow_deribits_rule', () => {
    const EXPIRY = Date.UTC(2026, 11, 25, 8);
    const base = venueConfig();
    const e = Engine.create({
      ...base,
      markets: [
        ...(base.markets ?? []),
        {
          id: 'BTC-90000-P',
          kind: 'option',
          base: 'BTC',
          stepSize: '0.01',
          expiryMs: EXPIRY,
          option: { underlying: 'BTC-PERP', right: 'put', strike: '90000' },
          margin: { kind: 'standardOption' },
        },
      ],
    } as EngineConfigInput);
    e.executeOrThrow({ type: 'prices', timeMs: 1_000, marks: { 'BTC-PERP': '100000' } });
    e.executeOrThrow({ type: 'prices', timeMs: 2_000, marks: { 'BTC-90000-P': '2500' } });
    e.executeOrThrow({ type: 'deposit', to: ref('writer'), asset: 'USDC', amount: '100000' });
    e.executeOrThrow({ type: 'deposit', to: ref('buyer'), asset: 'USDC', amount: '100000' });
    e.executeOrThrow({
      type: 'fill',
      market: 'BTC-90000-P',
      buyer: ref('buyer'),
      seller: ref('writer'),
      size: '2',
      price: '2500',
      timeMs: 3_000,
    });
    // Deribit's rule, per unit, S 100,000, M 2,500, K 90,000 (put OTM by 10,000):
    //   IM = max(0.15·S − OTM, 0.1·S) + M = max(5,000, 10,000) + 2,500 = 12,500 (floor binds)
    //   MM = max(0.075·S, 0.075·M) + M = 7,500 + 2,500 = 10,000
    // × 2 units: IM 25,000, MM 20,000.
    const p = assertReportMatches(e.state, e.state.subaccounts.get('writer/0')!).cross.positions[0]!;
    if (p.model.kind !== 'standardOption' || !p.model.short) throw new Error('expected a short option');
    same(p.model.short.outOfTheMoney, '10000');
    same(p.model.short.initialRiskTerm, '5000');
    same(p.model.short.initialFloorTerm, '10000');
    expect(p.model.short.initialBinding).toBe('floor');
    same(p.model.short.unitInitialMargin, '12500');
    same(p.model.short.unitMaintenanceMargin, '10000');
    same(p.initialMargin, '25000');
    same(p.maintenanceMargin, '20000');
    const long = assertReportMatches(e.state, e.state.subaccounts.get('buyer/0')!).cross.positions[0]!;
    if (long.model.kind !== 'standardOption') throw new Error('expected an option');
    expect(long.model.long?.rule).toBe('premium');
    same(long.initialMargin, '5000'); // premium 2 × 2,500
  });

  it('portfolio_scope_names_the_binding_scenario_and_rounds_the_model_up', () => {
    const base = venueConfig();
    const e = Engine.create({ ...base, portfolio: { model: 'crypto-pm' } });
    e.executeOrThrow({ type: 'prices', timeMs: 1, marks: { 'BTC-PERP': '100000', 'ETH-PERP': '3000' } });
    e.executeOrThrow({ type: 'deposit', to: ref('mm'), asset: 'USDC', amount: '10000000' });
    e.executeOrThrow({ type: 'deposit', to: ref('a'), asset: 'USDC', amount: '100000' });
    e.executeOrThrow({ type: 'set_portfolio_margin', subaccount: ref('a'), enabled: true });
    buy(e, 'a', 'BTC-PERP', '1', '100000');
    buy(e, 'a', 'ETH-PERP', '10', '3000');
    const b = assertReportMatches(e.state, e.state.subaccounts.get('a/0')!);
    const pm = b.cross.portfolio!;
    expect(b.cross.marginModel).toBe('portfolio');
    // A long book loses most when prices fall: the binding scenario moves BTC down.
    const btc = pm.underlyings.find((u) => u.underlying === 'BTC')!;
    expect(Number(btc.bindingScenario!.priceMove)).toBeLessThan(0);
    expect(Number(btc.bindingScenario!.loss)).toBeGreaterThan(0);
    // The model's own sum (float64, same order) and the exact IM: its float rounded up to 1e-6.
    // (The float strings read back exactly: String(x) is the shortest round-tripping decimal.)
    const sum = pm.groups.reduce((a, g) => a + Number(g.requirement), 0);
    expect(sum).toBe(Number(pm.initialMarginUnrounded));
    expect(X(b.cross.initialMargin)).toBe(X((Math.ceil(sum * 1e6) / 1e6).toFixed(6)));
    for (const g of pm.groups)
      expect(Number(g.requirement)).toBe(
        Math.max(
          Number(g.scanRisk) - Number(g.correlationCredit) + Number(g.addOns),
          Number(g.deltaFloor),
          Number(g.shortOptionFloor),
        ),
      );
  });

  it('drift_size_premium_binds_for_a_large_position', () => {
    // Drift SOL-PERP (10% / 5%, IMF factor 0.001): ratio = max(base, 0.8·base + factor·√size).
    // 100,000 SOL: √(100,000) = 316.2277…, IM ratio 0.08 + 0.3162277 = 0.396227 (ppm, floored),
    // MM ratio 0.04 + 0.3162277 = 0.356227. At 100 USDC: notional 10,000,000 →
    // IM 3,962,270, MM 3,562,270; the premium over the base ratios 0.296227 and 0.306227.
    // The engine's own (ppm) arithmetic: the breakdown itemizes the engine's margin models; the
    // preset's drift-v2 arithmetic (Drift's 1e-4 grid) is checked in drift-v2-peer.test.ts.
    const e = Engine.create({ ...driftConfig(), marginArithmetic: 'engine' });
    e.executeOrThrow({ type: 'prices', timeMs: 1, marks: { 'SOL-PERP': '100' } });
    e.executeOrThrow({ type: 'deposit', to: ref('mm'), asset: 'USDC', amount: '100000000' });
    e.executeOrThrow({ type: 'deposit', to: ref('a'), asset: 'USDC', amount: '5000000' });
    buy(e, 'a', 'SOL-PERP', '100000', '100');
    const p = assertReportMatches(e.state, e.state.subaccounts.get('a/0')!).cross.positions[0]!;
    if (p.model.kind !== 'sqrtSize') throw new Error('expected sqrtSize');
    same(p.model.initialRatio, '0.396227');
    same(p.model.maintenanceRatio, '0.356227');
    same(p.model.sizePremiumInitialRatio, '0.296227');
    same(p.model.sizePremiumMaintenanceRatio, '0.306227');
    same(p.initialMargin, '3962270');
    same(p.maintenanceMargin, '3562270');
  });

  it('dydx_open_interest_add_on', () => {
    // dYdX Mid-Cap SOL-USD: base IMF 5%, MM 60% of it = 3%, OI caps 40M / 100M USDC.
    // OI 700,000 SOL × 100 = 70,000,000: IMF = 0.05 + (70M − 40M) / (100M − 40M) × 0.95 = 0.525.
    // a's 1,000 SOL (notional 100,000): IM 52,500 = base 5,000 + OI add-on 47,500; MM 3,000.
    const e = Engine.create(dydxConfig());
    e.executeOrThrow({ type: 'prices', timeMs: 1, marks: { 'SOL-USD': '100' } });
    e.executeOrThrow({ type: 'deposit', to: ref('mm'), asset: 'USDC', amount: '1000000000' });
    e.executeOrThrow({ type: 'deposit', to: ref('whale'), asset: 'USDC', amount: '1000000000' });
    e.executeOrThrow({ type: 'deposit', to: ref('a'), asset: 'USDC', amount: '100000' });
    buy(e, 'whale', 'SOL-USD', '699000', '100');
    buy(e, 'a', 'SOL-USD', '1000', '100');
    const p = assertReportMatches(e.state, e.state.subaccounts.get('a/0')!).cross.positions[0]!;
    if (p.model.kind !== 'openInterestScaled') throw new Error('expected openInterestScaled');
    same(p.model.openInterest, '70000000');
    same(p.model.adjustedInitialRatio, '0.525');
    same(p.model.baseInitialMargin, '5000');
    same(p.model.openInterestAddOn, '47500');
    same(p.initialMargin, '52500');
    same(p.maintenanceMargin, '3000');
  });
});
