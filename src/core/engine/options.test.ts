/**
 * Option markets in the engine: standard options margin (exact, against the venues' published
 * examples), premium accounting, mark guards, liquidation of a short option, cash settlement at
 * expiry with every unit conserved.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assertConserved } from '../../../test/support/conservation.ts';
import { ref, venueConfig } from '../../../test/support/fixtures.ts';
import { crossView, evaluate } from '../account/figures.ts';
import { optionPositionRequirement } from '../margin/option-margin.ts';
import { type MarketConfigInput, MarketConfigSchema } from '../model/config.ts';
import { Engine } from './engine.ts';

const EXPIRY = Date.UTC(2026, 11, 25, 8);
const PUT: MarketConfigInput = {
  id: 'BTC-90000-P',
  kind: 'option',
  base: 'BTC',
  stepSize: '0.01',
  expiryMs: EXPIRY,
  option: { underlying: 'BTC-PERP', right: 'put', strike: '90000' },
  margin: { kind: 'standardOption' }, // Deribit's rule by default
};
const CALL: MarketConfigInput = {
  ...PUT,
  id: 'BTC-110000-C',
  option: { underlying: 'BTC-PERP', right: 'call', strike: '110000' },
};

function venue(): Engine {
  const base = venueConfig();
  const e = Engine.create({ ...base, markets: [...(base.markets ?? []), PUT, CALL] });
  e.executeOrThrow({ type: 'prices', timeMs: 1_000, marks: { 'BTC-PERP': '100000' } });
  e.executeOrThrow({
    type: 'prices',
    timeMs: 2_000,
    marks: { 'BTC-90000-P': '2500', 'BTC-110000-C': '1500' },
  });
  e.executeOrThrow({ type: 'deposit', to: ref('backstop'), asset: 'USDC', amount: '10000000' });
  return e;
}
const usdc = (e: Engine, who: string) => e.state.subaccounts.get(`${who}/0`)!.balances.get('USDC') ?? 0n;
const fig = (e: Engine, who: string) => evaluate(e.state, crossView(e.state.subaccounts.get(`${who}/0`)!));
const D = 1_000_000n;
/** The writer sells `size` of an option to the buyer at `price`. */
const fillOf = (market: string, size: string, price: string, timeMs: number) => ({
  type: 'fill',
  market,
  buyer: ref('buyer'),
  seller: ref('writer'),
  size,
  price,
  timeMs,
});
const write = (e: Engine, market: string, size: string, price: string, timeMs = 3_000) =>
  e.execute(fillOf(market, size, price, timeMs));
const writeOrThrow = (e: Engine, market: string, size: string, price: string, timeMs = 3_000) =>
  e.executeOrThrow(fillOf(market, size, price, timeMs));

describe('standard options margin, exact, against published examples', () => {
  const vectors = JSON.parse(
    readFileSync(new URL('../../../test/vectors/options_standard_margin.json', import.meta.url), 'utf8'),
  );
  const rules: Record<string, MarketConfigInput['margin']> = {
    deribit: { kind: 'standardOption' },
    // Bybit Help Center "Initial and Maintenance Margin Calculation (Options)"
    bybit: {
      kind: 'standardOption',
      initial: { base: '0.15', floor: '0.1', putAtLeastMaintenance: false },
      maintenance: {
        call: { underlying: '0.03', mark: '0.03' },
        put: { underlying: '0.03', mark: '0.03' },
        liquidationFee: '0.002',
      },
    },
    // Aevo "Standard Margin": MM 10% of spot
    aevo: {
      kind: 'standardOption',
      maintenance: { call: { underlying: '0.1' }, put: { underlying: '0.1', mark: '0.1' } },
    },
  };
  for (const v of vectors.options as {
    name: string;
    rule: string;
    inputs: Record<string, number | string>;
    expected: { initial?: number; maintenance?: number };
  }[]) {
    it(`${v.name} (${v.rule})`, () => {
      const i = v.inputs;
      const S = Number(i.underlyingPrice);
      const M = i.markPrice !== undefined ? Number(i.markPrice) : Number(i.markPriceCoin) * S;
      const market = MarketConfigSchema.parse({
        ...PUT,
        option: { underlying: 'X', right: i.kind, strike: String(i.strike) },
        margin: rules[v.rule],
      });
      if (market.margin.kind !== 'standardOption') throw new Error('unreachable');
      const px8 = (x: number) => BigInt(Math.round(x * 1e8));
      const r = optionPositionRequirement(
        market.margin,
        market.option!,
        BigInt(Number(i.size) * 1e9),
        px8(S),
        px8(M),
        6,
      );
      if (v.expected.initial !== undefined) expect(r.initialQuote).toBe(BigInt(v.expected.initial * 1e6));
      if (v.expected.maintenance !== undefined)
        expect(r.maintenanceQuote).toBe(BigInt(v.expected.maintenance * 1e6));
    });
  }
});

describe('option markets in the engine', () => {
  it('the writer of a put needs Deribit IM, the buyer its premium (hand-derived)', () => {
    const e = venue();
    e.executeOrThrow({ type: 'deposit', to: ref('writer'), asset: 'USDC', amount: '12500' });
    e.executeOrThrow({ type: 'deposit', to: ref('buyer'), asset: 'USDC', amount: '2500' });
    // Short put, S 100,000, K 90,000, M 2,500: OTM 10,000;
    // IM = max(0.15·100,000 − 10,000, 0.1·100,000) + 2,500 = 12,500; MM = max(7,500, 187.5) + 2,500 = 10,000.
    writeOrThrow(e, 'BTC-90000-P', '1', '2500');
    const w = fig(e, 'writer');
    expect(w.initialMarginQuote).toBe(12_500n * D);
    expect(w.maintenanceMarginQuote).toBe(10_000n * D);
    const b = fig(e, 'buyer');
    expect(b.initialMarginQuote).toBe(2_500n * D);
    expect(b.freeCollateralQuote).toBe(0n);
    // One more put needs another 12,500 of free collateral: refused, nothing changes.
    const before = e.stateHash();
    const r = write(e, 'BTC-90000-P', '0.01', '2500');
    expect(r.ok).toBe(false);
    expect(e.stateHash()).toBe(before);
  });

  it('settles in the money at expiry: the put pays K − S, every unit conserved', () => {
    const e = venue();
    e.executeOrThrow({ type: 'deposit', to: ref('writer'), asset: 'USDC', amount: '20000' });
    e.executeOrThrow({ type: 'deposit', to: ref('buyer'), asset: 'USDC', amount: '5000' });
    writeOrThrow(e, 'BTC-90000-P', '1', '2500');
    expect(
      e.execute({ type: 'settle_expiry', market: 'BTC-90000-P', price: '80000', timeMs: EXPIRY - 1 }),
    ).toMatchObject({ ok: false, rejection: { code: 'MARKET_NOT_EXPIRED' } });
    const r = e.executeOrThrow({
      type: 'settle_expiry',
      market: 'BTC-90000-P',
      price: '80000',
      timeMs: EXPIRY,
    });
    expect(r.find((x) => x.type === 'expiry_settled')).toMatchObject({
      pricePx8: 10_000n * 10n ** 8n,
      underlyingPx8: 80_000n * 10n ** 8n,
    });
    // buyer: 5,000 − 2,500 premium + 10,000 payoff; writer: 20,000 + 2,500 − 10,000.
    expect(usdc(e, 'buyer')).toBe(12_500n * D);
    expect(usdc(e, 'writer')).toBe(12_500n * D);
    expect(e.state.subaccounts.get('buyer/0')!.positions.size).toBe(0);
    assertConserved(e.state);
    expect(write(e, 'BTC-90000-P', '1', '1', EXPIRY + 1)).toMatchObject({
      ok: false,
      rejection: { code: 'MARKET_EXPIRED' },
    });
  });

  it('expires worthless out of the money: the writer keeps the premium', () => {
    const e = venue();
    // 2 short calls K 110,000 at S 100,000, M 1,500: IM = 2 × (max(15,000 − 10,000, 10,000) + 1,500).
    e.executeOrThrow({ type: 'deposit', to: ref('writer'), asset: 'USDC', amount: '23000' });
    e.executeOrThrow({ type: 'deposit', to: ref('buyer'), asset: 'USDC', amount: '5000' });
    writeOrThrow(e, 'BTC-110000-C', '2', '1500');
    e.executeOrThrow({ type: 'settle_expiry', market: 'BTC-110000-C', price: '109999.99', timeMs: EXPIRY });
    expect(usdc(e, 'buyer')).toBe(2_000n * D);
    expect(usdc(e, 'writer')).toBe(26_000n * D);
    assertConserved(e.state);
  });

  it('liquidates a short put when the underlying falls (equity < standard MM)', () => {
    const e = venue();
    e.executeOrThrow({ type: 'deposit', to: ref('writer'), asset: 'USDC', amount: '12500' });
    e.executeOrThrow({ type: 'deposit', to: ref('buyer'), asset: 'USDC', amount: '5000' });
    writeOrThrow(e, 'BTC-90000-P', '1', '2500');
    e.executeOrThrow({ type: 'prices', timeMs: 60_000, marks: { 'BTC-PERP': '92000' } });
    e.executeOrThrow({ type: 'prices', timeMs: 60_000, marks: { 'BTC-90000-P': '6000' } });
    // equity 12,500 + 2,500 − 6,000 = 9,000; MM = max(0.075·92,000, 0.075·6,000) + 6,000 = 12,900.
    const w = fig(e, 'writer');
    expect(w.equityQuote).toBe(9_000n * D);
    expect(w.maintenanceMarginQuote).toBe(12_900n * D);
    expect(e.liquidatable()).toEqual([{ ref: ref('writer'), scope: { kind: 'cross' } }]);
    const events = e.executeOrThrow({ type: 'liquidate', subaccount: ref('writer'), timeMs: 61_000 });
    expect(events.some((x) => x.type === 'liquidation_completed')).toBe(true);
    expect(fig(e, 'writer').healthQuote).toBeGreaterThan(w.healthQuote);
    assertConserved(e.state);
  });

  it('guards option marks against the underlying: no-arbitrage bound and move limit', () => {
    const e = venue();
    const before = e.stateHash();
    // a call is worth at most S
    expect(
      e.execute({ type: 'prices', timeMs: 5_000, marks: { 'BTC-110000-C': '100000.01' } }),
    ).toMatchObject({ ok: false, rejection: { code: 'INVALID_PRICE' } });
    // a put is worth at most K
    expect(e.execute({ type: 'prices', timeMs: 5_000, marks: { 'BTC-90000-P': '90000.01' } })).toMatchObject({
      ok: false,
      rejection: { code: 'INVALID_PRICE' },
    });
    // a move of more than 50% of S in one update
    expect(e.execute({ type: 'prices', timeMs: 5_000, marks: { 'BTC-90000-P': '52500.01' } })).toMatchObject({
      ok: false,
      rejection: { code: 'PRICE_MOVE_TOO_LARGE' },
    });
    expect(e.stateHash()).toBe(before);
    // a cheap option may double: that is an ordinary move
    expect(e.execute({ type: 'prices', timeMs: 5_000, marks: { 'BTC-110000-C': '3000' } }).ok).toBe(true);
  });

  it('refuses inconsistent option markets at configuration', () => {
    const base = venueConfig();
    const bad = (m: MarketConfigInput) => () =>
      Engine.create({ ...base, markets: [...(base.markets ?? []), m] });
    expect(bad({ ...PUT, option: { ...PUT.option!, underlying: 'NOPE' } })).toThrow(/unknown underlying/);
    expect(bad({ ...PUT, option: { ...PUT.option!, underlying: 'ETH-PERP' } })).toThrow(/base/);
    expect(bad({ ...PUT, expiryMs: undefined })).toThrow(/expiryMs/);
    expect(
      bad({ ...PUT, margin: { kind: 'fixed', initialRatio: '0.1', maintenance: { ratio: '0.05' } } }),
    ).toThrow(/standardOption/);
    expect(bad({ ...PUT, id: 'X', kind: 'perpetual' })).toThrow(/kind 'option'/);
    const e = venue();
    expect(
      e.execute({ type: 'funding_tick', market: 'BTC-90000-P', timeMs: 9e9, premiumIndex: '0' }),
    ).toMatchObject({ ok: false, rejection: { code: 'NOT_A_PERPETUAL' } });
  });
});
