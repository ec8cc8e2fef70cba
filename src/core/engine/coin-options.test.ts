/**
 * Coin-settled (inverse) options in the engine, Deribit style: a BTC-settled engine whose option
 * premiums, P&L, margin and expiry payoffs are in BTC, beside an inverse BTC perpetual.
 *
 * Golden numbers: Deribit's standard option margin in coin (short call IM = max(0.15 − OTM/S,
 * 0.1) + mark, MM = 0.075 + mark; short put IM = max(max(0.15 − OTM/S, 0.1) + mark, MM), MM =
 * max(0.075, 0.075·mark) + mark, TSLab's copy of Deribit's rules) with the worked numbers of a
 * Lean fork's DeribitOptionMarginModelTest.cs (S 10,000, K 9,000, mark 0.025 BTC: call IM 0.175,
 * MM 0.1; put IM 0.125, MM 0.1), read from test/vectors/options_standard_margin.json. Expiry
 * payoffs max(S − K, 0)/S and the other figures are derived by hand in each test.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assertConserved } from '../../../test/support/conservation.ts';
import { crossView, evaluate } from '../account/figures.ts';
import type { MarketConfigInput } from '../model/config.ts';
import type { EngineConfigInput } from '../model/engine-config.ts';
import { ConfigError, Engine } from './engine.ts';

const EXPIRY = Date.UTC(2026, 11, 25, 8);
const PERP: MarketConfigInput = {
  id: 'BTC-PERPETUAL',
  kind: 'perpetual',
  base: 'BTC',
  contractType: 'inverse',
  contractValue: '10',
  stepSize: '1',
  tickSize: '0.5',
  margin: { kind: 'fixed', initialRatio: '0.02', maintenance: { ratio: '0.01' } },
};
const option = (id: string, right: 'call' | 'put', strike: string): MarketConfigInput => ({
  id,
  kind: 'option',
  base: 'BTC',
  stepSize: '0.1',
  tickSize: '0.0005',
  expiryMs: EXPIRY,
  option: { underlying: 'BTC-PERPETUAL', right, strike, settlement: 'inverse' },
  margin: { kind: 'standardOption' }, // Deribit's rule by default
});
const CALL = option('BTC-25DEC26-9000-C', 'call', '9000');
const PUT = option('BTC-25DEC26-9000-P', 'put', '9000');
const OTM_CALL = option('BTC-25DEC26-12000-C', 'call', '12000');

const config = (markets: MarketConfigInput[] = [PERP, CALL, PUT, OTM_CALL]): EngineConfigInput => ({
  settlementAsset: 'BTC',
  assets: [{ id: 'BTC', decimals: 8 }],
  markets,
  liquidation: { dustNotional: '0.0001' },
});

function venue(S = '10000'): Engine {
  const e = Engine.create(config());
  e.executeOrThrow({ type: 'prices', timeMs: 1_000, marks: { 'BTC-PERPETUAL': S } });
  e.executeOrThrow({
    type: 'prices',
    timeMs: 2_000,
    marks: { 'BTC-25DEC26-9000-C': '0.025', 'BTC-25DEC26-9000-P': '0.025', 'BTC-25DEC26-12000-C': '0.01' },
  });
  return e;
}
const SAT = 1n; // BTC has 8 decimals: one unit is one satoshi
const btc = (x: string) => BigInt(Math.round(Number(x) * 1e8)) * SAT;
const bal = (e: Engine, who: string) => e.state.subaccounts.get(`${who}/0`)!.balances.get('BTC') ?? 0n;
const fig = (e: Engine, who: string) => evaluate(e.state, crossView(e.state.subaccounts.get(`${who}/0`)!));
const ref = (account: string) => ({ account, sub: '0' });
const deposit = (e: Engine, who: string, amount: string) =>
  e.executeOrThrow({ type: 'deposit', to: ref(who), asset: 'BTC', amount });
const write = (e: Engine, market: string, size: string, price: string, timeMs = 3_000) =>
  e.execute({ type: 'fill', market, buyer: ref('buyer'), seller: ref('writer'), size, price, timeMs });

describe('coin-settled options: Deribit standard margin in BTC, through the engine', () => {
  const vectors = JSON.parse(
    readFileSync(new URL('../../../test/vectors/options_standard_margin.json', import.meta.url), 'utf8'),
  ).options as {
    name: string;
    rule: string;
    inputs: {
      kind: 'call' | 'put';
      strike: number;
      size: number;
      underlyingPrice: number;
      markPriceCoin?: number;
    };
    expected: { initial?: number; initialCoin?: number; maintenanceCoin?: number };
  }[];
  for (const v of vectors.filter((x) => x.rule === 'deribit')) {
    it(`${v.name}: the published coin figures`, () => {
      const e = venue(String(v.inputs.underlyingPrice));
      const market = v.inputs.kind === 'call' ? CALL.id : PUT.id;
      deposit(e, 'writer', '10');
      deposit(e, 'buyer', '10');
      expect(write(e, market, '1', String(v.inputs.markPriceCoin)).ok).toBe(true);
      const holder = v.inputs.size < 0 ? fig(e, 'writer') : fig(e, 'buyer');
      if (v.expected.initialCoin !== undefined) {
        expect(holder.initialMarginQuote).toBe(btc(String(v.expected.initialCoin)));
        expect(holder.maintenanceMarginQuote).toBe(btc(String(v.expected.maintenanceCoin)));
      } else {
        // a long needs its premium: Lean's 250 USD at S 10,000 is 0.025 BTC
        const premium = btc(String(v.expected.initial! / v.inputs.underlyingPrice));
        expect(holder.initialMarginQuote).toBe(premium);
        expect(holder.maintenanceMarginQuote).toBe(premium);
      }
    });
  }

  it('an out-of-the-money short call sits on the 0.1 floor (hand-derived)', () => {
    const e = venue();
    deposit(e, 'writer', '10');
    deposit(e, 'buyer', '10');
    // K 12,000, S 10,000, M 0.01: OTM/S = 0.2; IM = max(0.15 − 0.2, 0.1) + 0.01 = 0.11; MM = 0.085.
    expect(write(e, OTM_CALL.id, '3', '0.01').ok).toBe(true);
    expect(fig(e, 'writer').initialMarginQuote).toBe(btc('0.33'));
    expect(fig(e, 'writer').maintenanceMarginQuote).toBe(btc('0.255'));
  });

  it('premium moves in BTC; a rally raises the short call`s MM in coin; an IM breach is refused unchanged', () => {
    const e = venue();
    deposit(e, 'writer', '0.2');
    deposit(e, 'buyer', '1');
    expect(write(e, CALL.id, '1', '0.025').ok).toBe(true);
    // the premium is each side's entry value (cost basis): at the mark, equity is unchanged
    expect(e.state.subaccounts.get('writer/0')!.positions.get(CALL.id)!.entryValue).toBe(-btc('0.025'));
    expect(fig(e, 'writer').equityQuote).toBe(btc('0.2'));
    expect(fig(e, 'buyer').equityQuote).toBe(btc('1'));
    // equity 0.2 ≥ IM 0.175, free 0.025; 0.2 more calls need another 0.035: refused.
    const before = e.stateHash();
    expect(write(e, CALL.id, '0.2', '0.025')).toMatchObject({ ok: false });
    expect(e.stateHash()).toBe(before);
    // S 12,000, mark 0.26 BTC (≈ intrinsic 3,000/12,000 = 0.25): OTM 0, IM = 0.15 + 0.26 = 0.41,
    // MM = 0.075 + 0.26 = 0.335; equity 0.2 − (0.26 − 0.025) = −0.035: liquidatable.
    e.executeOrThrow({ type: 'prices', timeMs: 60_000, marks: { 'BTC-PERPETUAL': '12000' } });
    e.executeOrThrow({ type: 'prices', timeMs: 60_000, marks: { 'BTC-25DEC26-9000-C': '0.26' } });
    const w = fig(e, 'writer');
    expect(w.equityQuote).toBe(-btc('0.035'));
    expect(w.maintenanceMarginQuote).toBe(btc('0.335'));
    expect(w.initialMarginQuote).toBe(btc('0.41'));
    assertConserved(e.state);
  });

  it('liquidates a short coin call in BTC and conserves every satoshi', () => {
    const e = venue();
    e.executeOrThrow({ type: 'deposit', to: { account: 'backstop' }, asset: 'BTC', amount: '100' });
    deposit(e, 'writer', '0.4');
    deposit(e, 'buyer', '1');
    expect(write(e, CALL.id, '2', '0.025').ok).toBe(true);
    // S 10,800, mark 0.12: OTM 0; MM = 2 × (0.075 + 0.12) = 0.39; equity 0.4 − 2 × (0.12 − 0.025) = 0.21.
    e.executeOrThrow({ type: 'prices', timeMs: 60_000, marks: { 'BTC-PERPETUAL': '10800' } });
    e.executeOrThrow({ type: 'prices', timeMs: 60_000, marks: { 'BTC-25DEC26-9000-C': '0.12' } });
    const w = fig(e, 'writer');
    expect(w.equityQuote).toBe(btc('0.21'));
    expect(w.maintenanceMarginQuote).toBe(btc('0.39'));
    expect(e.liquidatable()).toEqual([{ ref: ref('writer'), scope: { kind: 'cross' } }]);
    e.executeOrThrow({
      type: 'liquidate',
      subaccount: ref('writer'),
      liquidator: { account: 'backstop', sub: '0' },
      timeMs: 61_000,
    });
    expect(fig(e, 'writer').healthQuote).toBeGreaterThan(w.healthQuote);
    assertConserved(e.state);
  });
});

describe('coin-settled options at expiry: max(S − K, 0)/S in BTC', () => {
  it('an in-the-money call pays (S − K)/S BTC per unit (hand-derived)', () => {
    const e = venue();
    deposit(e, 'writer', '1');
    deposit(e, 'buyer', '1');
    expect(write(e, CALL.id, '2', '0.025').ok).toBe(true);
    const r = e.executeOrThrow({ type: 'settle_expiry', market: CALL.id, price: '10000', timeMs: EXPIRY });
    // (10,000 − 9,000)/10,000 = 0.1 BTC per unit
    expect(r.find((x) => x.type === 'expiry_settled')).toMatchObject({
      pricePx8: 10_000_000n,
      underlyingPx8: 10_000n * 10n ** 8n,
    });
    // buyer: 1 − 0.05 premium + 0.2 payoff; writer: 1 + 0.05 − 0.2
    expect(bal(e, 'buyer')).toBe(btc('1.15'));
    expect(bal(e, 'writer')).toBe(btc('0.85'));
    expect(e.state.subaccounts.get('buyer/0')!.positions.size).toBe(0);
    assertConserved(e.state);
  });

  it('an in-the-money put pays (K − S)/S: at S 8,000, 1,000/8,000 = 0.125 BTC', () => {
    const e = venue();
    deposit(e, 'writer', '1');
    deposit(e, 'buyer', '1');
    expect(write(e, PUT.id, '1', '0.025').ok).toBe(true);
    e.executeOrThrow({ type: 'settle_expiry', market: PUT.id, price: '8000', timeMs: EXPIRY });
    expect(bal(e, 'buyer')).toBe(btc('1.1'));
    expect(bal(e, 'writer')).toBe(btc('0.9'));
    assertConserved(e.state);
  });

  it('a payoff off the satoshi grid rounds down, the same for both sides: 2,000/7,000 → 0.28571428', () => {
    const e2 = venue();
    deposit(e2, 'writer', '1');
    deposit(e2, 'buyer', '1');
    expect(
      e2.execute({
        type: 'fill',
        market: PUT.id,
        buyer: ref('buyer'),
        seller: ref('writer'),
        size: '3',
        price: '0.025',
        timeMs: 3_000,
      }).ok,
    ).toBe(true);
    const r2 = e2.executeOrThrow({ type: 'settle_expiry', market: PUT.id, price: '6000', timeMs: EXPIRY });
    // (9,000 − 6,000)/6,000 = 0.5; and at 7,000: 2,000/7,000 = 0.285714285… → 0.28571428
    expect(r2.find((x) => x.type === 'expiry_settled')).toMatchObject({ pricePx8: 50_000_000n });
    const e3 = venue();
    deposit(e3, 'writer', '1');
    deposit(e3, 'buyer', '1');
    expect(write(e3, PUT.id, '3', '0.025').ok).toBe(true);
    const r3 = e3.executeOrThrow({ type: 'settle_expiry', market: PUT.id, price: '7000', timeMs: EXPIRY });
    expect(r3.find((x) => x.type === 'expiry_settled')).toMatchObject({ pricePx8: 28_571_428n });
    // buyer: 1 − 0.075 + 3 × 0.28571428; writer: 1 + 0.075 − 0.85714284
    expect(bal(e3, 'buyer')).toBe(btc('1.78214284'));
    expect(bal(e3, 'writer')).toBe(btc('0.21785716'));
    assertConserved(e3.state);
  });

  it('out of the money it expires worthless: the writer keeps the premium', () => {
    const e = venue();
    deposit(e, 'writer', '1');
    deposit(e, 'buyer', '1');
    expect(write(e, OTM_CALL.id, '2', '0.01').ok).toBe(true);
    e.executeOrThrow({ type: 'settle_expiry', market: OTM_CALL.id, price: '11999.5', timeMs: EXPIRY });
    expect(bal(e, 'buyer')).toBe(btc('0.98'));
    expect(bal(e, 'writer')).toBe(btc('1.02'));
    assertConserved(e.state);
  });
});

describe('coin-settled options: marks and bad input', () => {
  it('guards marks in coin: a call ≤ 1 BTC, a put ≤ K/S BTC, a move ≤ the guard × 1 BTC', () => {
    const e = venue();
    const before = e.stateHash();
    const px = (marks: Record<string, string>) => e.execute({ type: 'prices', timeMs: 5_000, marks });
    expect(px({ [CALL.id]: '1.0005' })).toMatchObject({ ok: false, rejection: { code: 'INVALID_PRICE' } });
    // K/S = 0.9
    expect(px({ [PUT.id]: '0.9005' })).toMatchObject({ ok: false, rejection: { code: 'INVALID_PRICE' } });
    // the default guard is 50% of the scale: 0.025 → 0.5255 moves 0.5005 BTC
    expect(px({ [CALL.id]: '0.5255' })).toMatchObject({
      ok: false,
      rejection: { code: 'PRICE_MOVE_TOO_LARGE' },
    });
    expect(e.stateHash()).toBe(before);
    // an ordinary move of a coin premium (0.025 → 0.05) passes
    expect(px({ [CALL.id]: '0.05' }).ok).toBe(true);
  });

  it('refuses coin-settled options an engine cannot settle, with typed errors and no state change', () => {
    const usdcEngine = () =>
      Engine.create({
        settlementAsset: 'USDC',
        assets: [
          { id: 'USDC', decimals: 6 },
          { id: 'BTC', decimals: 8 },
        ],
        markets: [{ ...PERP, contractType: undefined, contractValue: undefined }, CALL],
      });
    expect(usdcEngine).toThrow(ConfigError);
    expect(usdcEngine).toThrow(/settles in BTC/);
    const bad = (m: MarketConfigInput) => () => Engine.create(config([PERP, m]));
    expect(bad({ ...CALL, option: { ...CALL.option!, strike: '0' } })).toThrow(ConfigError);
    expect(bad({ ...CALL, option: { ...CALL.option!, strike: '-9000' } })).toThrow(/strike/);
    expect(bad({ ...CALL, option: { ...CALL.option!, underlying: 'ETH-PERPETUAL' } })).toThrow(
      /unknown underlying/,
    );
    const e = venue();
    const before = e.stateHash();
    // an option listed after its expiry
    expect(
      e.execute({ type: 'set_market', config: { ...CALL, id: 'BTC-OLD-C', expiryMs: 1_500 }, timeMs: 6_000 }),
    ).toMatchObject({ ok: false, rejection: { code: 'INVALID_CONFIG' } });
    // an option that changes how it settles
    expect(
      e.execute({
        type: 'set_market',
        config: { ...CALL, option: { ...CALL.option!, settlement: 'linear' } },
        timeMs: 6_000,
      }),
    ).toMatchObject({ ok: false, rejection: { code: 'INVALID_CONFIG' } });
    expect(e.stateHash()).toBe(before);
  });
});

describe('coin-settled options: the breakdown explains the coin figures', () => {
  it('per-unit terms in BTC and the same rounded amounts as the engine', async () => {
    const { marginBreakdown } = await import('../account/breakdown.ts');
    const e = venue();
    deposit(e, 'writer', '10');
    deposit(e, 'buyer', '10');
    expect(write(e, OTM_CALL.id, '3', '0.01').ok).toBe(true);
    const b = JSON.stringify(marginBreakdown(e.state, e.state.subaccounts.get('writer/0')!));
    // OTM/S = 0.2: risk term 0.15 − 0.2 = −0.05, floor 0.1, IM per unit 0.11, MM 0.085; ×3
    expect(b).toContain('"settlement":"inverse"');
    expect(b).toContain('"initialRiskTerm":"-0.05"');
    expect(b).toContain('"initialFloorTerm":"0.1"');
    expect(b).toContain('"unitInitialMargin":"0.11"');
    expect(b).toContain('"unitMaintenanceMargin":"0.085"');
    expect(b).toContain('"amount":"0.33"');
    expect(b).toContain('"amount":"0.255"');
  });
});
