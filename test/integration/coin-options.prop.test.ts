/**
 * Properties of a coin-settled book (Deribit style: a BTC-settled engine with an inverse
 * perpetual and coin-settled options, premiums in BTC) over random sequences of fills, underlying
 * moves (options repriced by Black-76 and quoted in BTC), liquidations, deposits, withdrawals,
 * switches in and out of portfolio margin ('deribit-pm', requirement in BTC), and finally expiry
 * settlement at max(S − K, 0)/S BTC:
 *   INV-01 every satoshi is conserved after every command;
 *   INV-06 a rejected command changes nothing;
 *   INV-02 the journal replays to the live state;
 *   options are gone after settlement and no option market keeps open interest;
 *   the float screen (RiskBook) finds exactly the liquidatable accounts the engine does.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { Engine } from '../../src/core/engine/engine.ts';
import type { MarketConfigInput } from '../../src/core/model/config.ts';
import { black76Price, yearFraction } from '../../src/core/pricing/black76.ts';
import { RiskBook } from '../../src/riskbook/riskbook.ts';
import { InMemoryJournal } from '../../src/store/memory-journal.ts';
import { checkedCommands } from '../support/checked-commands.ts';
import { propRuns, sequences } from '../support/prop.ts';

const NOW = Date.UTC(2026, 10, 25);
const EXPIRY = NOW + 7 * 86_400_000;
const ref = (account: string) => ({ account, sub: '0' });
const option = (id: string, right: 'call' | 'put', strike: number): MarketConfigInput => ({
  id,
  kind: 'option',
  base: 'BTC',
  stepSize: '0.1',
  expiryMs: EXPIRY,
  option: { underlying: 'BTC-PERPETUAL', right, strike: String(strike), settlement: 'inverse' },
  margin: { kind: 'standardOption' },
});
const OPTIONS = [
  option('P95', 'put', 95_000),
  option('C105', 'call', 105_000),
  option('P100', 'put', 100_000),
];
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
const MARKETS = ['BTC-PERPETUAL', 'P95', 'C105', 'P100'] as const;
const TRADERS = ['a', 'b', 'c', 'd'] as const;

/** Black-76 at 70 % vol, in BTC (price / S), on the 1e-8 grid, at least 0.0001. */
function optionMarks(S: number, t: number): Record<string, string> {
  const T = Math.max(yearFraction(t, EXPIRY), 0);
  const px = (kind: 'call' | 'put', K: number) =>
    Math.max(0.0001, black76Price({ kind, forward: S, strike: K, timeYears: T, vol: 0.7 }) / S).toFixed(8);
  return { P95: px('put', 95_000), C105: px('call', 105_000), P100: px('put', 100_000) };
}

const step = fc.oneof(
  fc.record({
    k: fc.constant('fill' as const),
    market: fc.constantFrom(...MARKETS),
    buyer: fc.constantFrom(...TRADERS),
    seller: fc.constantFrom(...TRADERS),
    size: fc.integer({ min: 1, max: 30 }), // tenths of a BTC (options), thousands of contracts (perpetual)
  }),
  fc.record({ k: fc.constant('move' as const), pct: fc.integer({ min: -1500, max: 1500 }) }), // basis points
  fc.record({
    k: fc.constant('deposit' as const),
    who: fc.constantFrom(...TRADERS),
    amount: fc.integer({ min: 1, max: 20_000 }), // 1e-4 BTC
  }),
  fc.record({
    k: fc.constant('withdraw' as const),
    who: fc.constantFrom(...TRADERS),
    amount: fc.integer({ min: 1, max: 20_000 }),
  }),
  fc.record({ k: fc.constant('portfolio' as const), who: fc.constantFrom(...TRADERS), on: fc.boolean() }),
);

const reached = { optionFills: 0, portfolioAccounts: 0, liquidations: 0, portfolioLiquidations: 0, itm: 0 };

describe('coin-settled options: conservation, rejections, replay', () => {
  test.prop([sequences(step, 5, 40), fc.integer({ min: 80_000, max: 120_000 })], {
    numRuns: propRuns(40, 0.05),
  })(
    'INV-01, INV-06 and INV-02 hold through fills, crashes, liquidations and expiry in BTC',
    (steps, settleAt) => {
      const journal = new InMemoryJournal();
      const e = Engine.create(
        {
          settlementAsset: 'BTC',
          assets: [{ id: 'BTC', decimals: 8 }],
          markets: [PERP, ...OPTIONS],
          liquidation: { dustNotional: '0.0001' },
          backstop: ref('backstop'),
          portfolio: { model: 'deribit-pm' },
        },
        { journal },
      );
      let S = 100_000;
      let t = NOW;
      e.executeOrThrow({ type: 'prices', timeMs: t, marks: { 'BTC-PERPETUAL': String(S) } });
      e.executeOrThrow({ type: 'prices', timeMs: t, marks: optionMarks(S, t) });
      e.executeOrThrow({ type: 'deposit', to: ref('backstop'), asset: 'BTC', amount: '10000' });
      for (const who of TRADERS)
        e.executeOrThrow({ type: 'deposit', to: ref(who), asset: 'BTC', amount: '1' });
      const book = RiskBook.fromState(e.state);
      e.onEvents((events) => book.sync(e.state, events));
      e.executeOrThrow({ type: 'set_portfolio_margin', subaccount: ref('a'), enabled: true });
      // a: a leveraged long (4 BTC of perpetual on 1 BTC: IM ≈ 4 × 0.19 + 0.04 = 0.80 BTC)
      e.executeOrThrow({
        type: 'fill',
        market: 'BTC-PERPETUAL',
        buyer: ref('a'),
        seller: ref('c'),
        size: '40000',
        price: String(S),
        timeMs: t,
      });
      const { tryCommand, liquidateAll } = checkedCommands(e, book, reached, () => t);
      for (const s of steps) {
        if (s.k === 'fill') {
          if (s.buyer === s.seller) continue;
          const perp = s.market === 'BTC-PERPETUAL';
          const mark = Number(e.state.markets.get(s.market)!.markPx8!) / 1e8;
          const ok = tryCommand({
            type: 'fill',
            market: s.market,
            buyer: ref(s.buyer),
            seller: ref(s.seller),
            size: perp ? String(s.size * 1000) : (s.size / 10).toFixed(1),
            price: perp ? String(S) : mark.toFixed(8),
            timeMs: t,
          });
          if (ok && !perp) reached.optionFills++;
        } else if (s.k === 'move') {
          S = Math.round((S * (1 + s.pct / 10_000)) / 10) * 10;
          t += 3_600_000;
          tryCommand({ type: 'prices', timeMs: t, marks: { 'BTC-PERPETUAL': String(S) } });
          tryCommand({ type: 'prices', timeMs: t, marks: optionMarks(S, t) });
          liquidateAll();
        } else if (s.k === 'deposit') {
          tryCommand({
            type: 'deposit',
            to: ref(s.who),
            asset: 'BTC',
            amount: (s.amount / 1e4).toFixed(4),
            timeMs: t,
          });
        } else if (s.k === 'withdraw') {
          tryCommand({
            type: 'withdraw',
            from: ref(s.who),
            asset: 'BTC',
            amount: (s.amount / 1e4).toFixed(4),
            timeMs: t,
          });
        } else if (
          tryCommand({ type: 'set_portfolio_margin', subaccount: ref(s.who), enabled: s.on }) &&
          s.on
        )
          reached.portfolioAccounts++;
      }
      t = Math.max(t, EXPIRY);
      if (settleAt < 95_000 || settleAt > 105_000)
        reached.itm += [...e.state.markets.get(settleAt < 95_000 ? 'P95' : 'C105')!.holders].length;
      for (const o of OPTIONS)
        expect(tryCommand({ type: 'settle_expiry', market: o.id, price: String(settleAt), timeMs: t })).toBe(
          true,
        );
      for (const o of OPTIONS) expect(e.state.markets.get(o.id)!.openInterestQty9).toBe(0n);
      for (const s of e.state.subaccounts.values())
        for (const m of s.positions.keys()) expect(m).toBe('BTC-PERPETUAL');
      expect(Engine.open(journal).stateHash(), 'INV-02').toBe(e.stateHash());
    },
  );

  test('the generator reaches option fills, portfolio accounts, their liquidations and in-the-money expiry', () => {
    expect(reached.optionFills).toBeGreaterThan(0);
    expect(reached.portfolioAccounts).toBeGreaterThan(0);
    expect(reached.liquidations).toBeGreaterThan(0);
    expect(reached.portfolioLiquidations).toBeGreaterThan(0);
    expect(reached.itm).toBeGreaterThan(0);
  });
});
