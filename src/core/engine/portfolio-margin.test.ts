/**
 * Portfolio margin in the engine: a subaccount that opts in is margined on the risk matrix of
 * its whole cross book (hedges offset), and its liquidation reduces first the position whose
 * close releases the most requirement per unit of notional — never the hedge.
 */
import { describe, expect, it } from 'vitest';
import { assertConserved } from '../../../test/support/conservation.ts';
import { ref, venueConfig } from '../../../test/support/fixtures.ts';
import { distanceToLiquidation } from '../account/distance.ts';
import { crossView, evaluate } from '../account/figures.ts';
import { portfolioRequirementQuote } from '../account/portfolio-scope.ts';
import type { MarketConfigInput } from '../model/config.ts';
import { portfolioMargin } from '../portfolio/risk-matrix.ts';
import { cryptoPmPreset } from '../portfolio/scenarios.ts';
import { black76Price, yearFraction } from '../pricing/black76.ts';
import { Engine } from './engine.ts';

const NOW = Date.UTC(2026, 10, 25);
const EXPIRY = NOW + 30 * 86_400_000;
const VOL = 0.6;
const PUT: MarketConfigInput = {
  id: 'BTC-100000-P',
  kind: 'option',
  base: 'BTC',
  stepSize: '0.01',
  expiryMs: EXPIRY,
  option: { underlying: 'BTC-PERP', right: 'put', strike: '100000' },
  margin: { kind: 'standardOption' },
};
const putMark = (S: number, t: number) =>
  black76Price({
    kind: 'put',
    forward: S,
    strike: 100_000,
    timeYears: yearFraction(t, EXPIRY),
    vol: VOL,
  }).toFixed(2);

function venue(): Engine {
  const base = venueConfig();
  const e = Engine.create({
    ...base,
    markets: [...(base.markets ?? []), PUT],
    portfolio: { model: 'crypto-pm' },
  });
  e.executeOrThrow({ type: 'prices', timeMs: NOW, marks: { 'BTC-PERP': '100000' } });
  e.executeOrThrow({ type: 'prices', timeMs: NOW, marks: { 'BTC-100000-P': putMark(100_000, NOW) } });
  e.executeOrThrow({ type: 'deposit', to: ref('backstop'), asset: 'USDC', amount: '100000000' });
  e.executeOrThrow({ type: 'deposit', to: ref('mm'), asset: 'USDC', amount: '10000000' });
  return e;
}
/** Opens `size` of `market` for `who` against the market maker at the current mark. */
function open(e: Engine, who: string, market: string, size: string, t = NOW) {
  const mark = e.state.markets.get(market)!.markPx8!;
  const price = (Number(mark) / 1e8).toFixed(2);
  const long = !size.startsWith('-');
  e.executeOrThrow({
    type: 'fill',
    market,
    buyer: ref(long ? who : 'mm'),
    seller: ref(long ? 'mm' : who),
    size: size.replace('-', ''),
    price,
    taker: long ? 'buyer' : 'seller',
    timeMs: t,
  });
}
const figures = (e: Engine, who: string) =>
  evaluate(e.state, crossView(e.state.subaccounts.get(`${who}/0`)!));

describe('portfolio margin in the engine', () => {
  it('margins a protected long (perp + put) at the risk matrix of the same book', () => {
    const e = venue();
    e.executeOrThrow({ type: 'deposit', to: ref('alice'), asset: 'USDC', amount: '40000' });
    e.executeOrThrow({ type: 'set_portfolio_margin', subaccount: ref('alice'), enabled: true });
    open(e, 'alice', 'BTC-PERP', '1');
    open(e, 'alice', 'BTC-100000-P', '1');
    const f = figures(e, 'alice');
    // The library on the same book, stated directly: perp 1 @ 100,000 + put K 100,000, σ 60%, 30 days.
    const lib = portfolioMargin(
      {
        collateral: 0,
        positions: [
          { type: 'perpetual', underlying: 'BTC', size: 1, entryPrice: 100_000 },
          {
            type: 'option',
            underlying: 'BTC',
            kind: 'put',
            strike: 100_000,
            expiryMs: EXPIRY,
            size: 1,
            settlement: 'linear',
          },
        ],
      },
      {
        nowMs: NOW,
        rate: 0,
        underlyings: { BTC: { spot: 100_000, basisRate: 0, vol: { kind: 'flat', vol: VOL } } },
      },
      cryptoPmPreset(),
    );
    // The mark is rounded to the cent, so the vol it implies is σ within ~1e-6: IM within a cent.
    expect(Number(f.initialMarginQuote) / 1e6).toBeCloseTo(lib.initialMargin, 1);
    expect(Number(f.maintenanceMarginQuote) / 1e6).toBeCloseTo(lib.maintenanceMargin, 1);
    // Hedged: far below the standalone sum (perp 10% IM + put premium), never below the worst scenario.
    const standard = 10_000 + Number(putMark(100_000, NOW));
    expect(Number(f.initialMarginQuote) / 1e6).toBeLessThan(0.5 * standard);
    const own = portfolioRequirementQuote(e.state, crossView(e.state.subaccounts.get('alice/0')!).positions);
    expect(Number(f.initialMarginQuote) / 1e6).toBeGreaterThanOrEqual(own.detail!.largestScenarioLoss);
    expect(own.initialQuote).toBe(f.initialMarginQuote);
  });

  it('switching models is refused when it would leave the book short of initial margin', () => {
    const e = venue();
    e.executeOrThrow({ type: 'deposit', to: ref('bob'), asset: 'USDC', amount: '9000' });
    e.executeOrThrow({ type: 'set_portfolio_margin', subaccount: ref('bob'), enabled: true });
    // the put first: alone, the perp would need its whole ±16% scan (16,000)
    open(e, 'bob', 'BTC-100000-P', '1');
    open(e, 'bob', 'BTC-PERP', '1');
    // Standard margin would need 10,000 + the premium: switching back is refused, nothing changes.
    const before = e.stateHash();
    expect(e.execute({ type: 'set_portfolio_margin', subaccount: ref('bob'), enabled: false })).toMatchObject(
      {
        ok: false,
        rejection: { code: 'INSUFFICIENT_MARGIN' },
      },
    );
    expect(e.stateHash()).toBe(before);
    // Without a portfolio model in the engine the command is refused.
    const plain = Engine.create(venueConfig());
    plain.executeOrThrow({ type: 'deposit', to: ref('bob'), asset: 'USDC', amount: '1' });
    expect(
      plain.execute({ type: 'set_portfolio_margin', subaccount: ref('bob'), enabled: true }),
    ).toMatchObject({
      ok: false,
      rejection: { code: 'INVALID_CONFIG' },
    });
  });

  it('liquidation reduces the unhedged perp first, never the protective put', () => {
    const e = venue();
    e.executeOrThrow({ type: 'deposit', to: ref('carol'), asset: 'USDC', amount: '1' });
    e.executeOrThrow({ type: 'set_portfolio_margin', subaccount: ref('carol'), enabled: true });
    // Deposit exactly the portfolio IM of 2 perps + 1 put, then open them.
    e.executeOrThrow({ type: 'deposit', to: ref('carol'), asset: 'USDC', amount: '100000' });
    open(e, 'carol', 'BTC-PERP', '2');
    open(e, 'carol', 'BTC-100000-P', '1');
    const im = figures(e, 'carol').initialMarginQuote;
    e.executeOrThrow({
      type: 'withdraw',
      from: ref('carol'),
      asset: 'USDC',
      amount: (Number(figures(e, 'carol').freeCollateralQuote) / 1e6).toFixed(6),
    });
    expect(figures(e, 'carol').freeCollateralQuote).toBe(0n);
    expect(im).toBeGreaterThan(0n);
    // The market falls one step at a time (the wild-price guard allows 50%) until carol is liquidatable.
    let S = 100_000;
    let t = NOW;
    while (e.liquidatable().length === 0 && S > 60_000) {
      S -= 1_000;
      t += 60_000;
      e.executeOrThrow({ type: 'prices', timeMs: t, marks: { 'BTC-PERP': String(S) } });
      e.executeOrThrow({ type: 'prices', timeMs: t, marks: { 'BTC-100000-P': putMark(S, t) } });
    }
    const before = figures(e, 'carol');
    expect(e.liquidatable()).toEqual([{ ref: ref('carol'), scope: { kind: 'cross' } }]);
    expect(before.netValueQuote).toBeGreaterThan(0n);
    // Standalone, the deep in-the-money put carries more MM than the perps: the per-position
    // rule would sell the hedge. The greedy rule must not.
    const put = before.positions.find((p) => p.market === 'BTC-100000-P')!;
    const perp = before.positions.find((p) => p.market === 'BTC-PERP')!;
    expect(put.maintenanceQuote).toBeGreaterThan(perp.maintenanceQuote);
    const events = e.executeOrThrow({ type: 'liquidate', subaccount: ref('carol'), timeMs: t + 1 });
    const done = events.find((x) => x.type === 'liquidation_completed');
    expect(done).toMatchObject({ market: 'BTC-PERP', mode: 'partial' });
    const after = figures(e, 'carol');
    expect(after.healthQuote).toBeGreaterThan(before.healthQuote);
    expect(e.state.subaccounts.get('carol/0')!.positions.get('BTC-100000-P')!.size).toBe(1_000_000_000n);
    assertConserved(e.state);
  });

  it('a coin held against a short perpetual is a hedge: IM is the hedged-delta floor, 1% of S (crypto-pm)', () => {
    const e = venue();
    e.executeOrThrow({ type: 'prices', timeMs: NOW, assets: { BTC: '100000' } });
    e.executeOrThrow({ type: 'deposit', to: ref('carry'), asset: 'BTC', amount: '1' });
    e.executeOrThrow({ type: 'set_portfolio_margin', subaccount: ref('carry'), enabled: true });
    open(e, 'carry', 'BTC-PERP', '-1');
    const f = figures(e, 'carry');
    // Every scenario: the coin gains what the short loses (P&L 0). Delta contingency (floor):
    // (2% × |net δ 0| + 1% × hedged δ (gross 2 − 0)/2) × 100,000 = 1,000; MM = ½ IM.
    expect(Number(f.initialMarginQuote) / 1e6).toBeCloseTo(1_000, 4);
    expect(Number(f.maintenanceMarginQuote) / 1e6).toBeCloseTo(500, 4);
    // The coin counts at full value (its price risk is in the scenarios, not in a haircut),
    // less the 50 USDC taker fee (0.05%) the short paid from the USDC balance.
    expect(f.collateralMaintenanceQuote).toBe((100_000n - 50n) * 1_000_000n);
    // Hedged both ways: the coin moves with the perpetual in the distance search, so no move of
    // BTC up to +1000 % or down to −99 % liquidates the book (equity ≈ 100,000 × (1+x) − x·100,000).
    const d = distanceToLiquidation(e.state, crossView(e.state.subaccounts.get('carry/0')!), 'BTC')!;
    expect(d.down).toBeNull();
    expect(d.up).toBeNull();
    // Per position (standard): the short alone needs 10%, and the coin is haircut to 90%.
    e.executeOrThrow({ type: 'set_portfolio_margin', subaccount: ref('carry'), enabled: false });
    const g = figures(e, 'carry');
    expect(g.initialMarginQuote).toBe(10_000n * 1_000_000n);
    expect(g.collateralMaintenanceQuote).toBe((90_000n - 50n) * 1_000_000n);
  });
});
