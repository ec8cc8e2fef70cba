/**
 * Properties of books with options and portfolio-margin accounts, over random sequences of
 * fills, underlying moves (options repriced by Black-76), liquidations, deposits, withdrawals
 * and finally expiry settlement:
 *   INV-01 every unit is conserved after every command;
 *   INV-06 a rejected command changes nothing;
 *   INV-02 the journal replays to the live state (portfolio flags and models included);
 *   options are gone after settlement and no option market keeps open interest.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { Engine } from '../../src/core/engine/engine.ts';
import type { MarketConfigInput } from '../../src/core/model/config.ts';
import { black76Price, yearFraction } from '../../src/core/pricing/black76.ts';
import { RiskBook } from '../../src/riskbook/riskbook.ts';
import { InMemoryJournal } from '../../src/store/memory-journal.ts';
import { checkedCommands } from '../support/checked-commands.ts';
import { ref, venueConfig } from '../support/fixtures.ts';
import { propRuns, sequences } from '../support/prop.ts';

const NOW = Date.UTC(2026, 10, 25);
const EXPIRY = NOW + 7 * 86_400_000;
const option = (id: string, right: 'call' | 'put', strike: number): MarketConfigInput => ({
  id,
  kind: 'option',
  base: 'BTC',
  stepSize: '0.01',
  expiryMs: EXPIRY,
  option: { underlying: 'BTC-PERP', right, strike: String(strike) },
  margin: { kind: 'standardOption' },
});
const OPTIONS = [
  option('P95', 'put', 95_000),
  option('C105', 'call', 105_000),
  option('P100', 'put', 100_000),
];
const MARKETS = ['BTC-PERP', 'P95', 'C105', 'P100'] as const;
const TRADERS = ['a', 'b', 'c', 'd'] as const;

function optionMarks(S: number, t: number): Record<string, string> {
  const T = Math.max(yearFraction(t, EXPIRY), 0);
  const px = (kind: 'call' | 'put', K: number) =>
    Math.max(0.01, black76Price({ kind, forward: S, strike: K, timeYears: T, vol: 0.7 })).toFixed(2);
  return { P95: px('put', 95_000), C105: px('call', 105_000), P100: px('put', 100_000) };
}

const step = fc.oneof(
  fc.record({
    k: fc.constant('fill' as const),
    market: fc.constantFrom(...MARKETS),
    buyer: fc.constantFrom(...TRADERS),
    seller: fc.constantFrom(...TRADERS),
    size: fc.integer({ min: 1, max: 300 }), // hundredths
  }),
  fc.record({ k: fc.constant('move' as const), pct: fc.integer({ min: -1500, max: 1500 }) }), // basis points
  fc.record({
    k: fc.constant('deposit' as const),
    who: fc.constantFrom(...TRADERS),
    amount: fc.integer({ min: 1, max: 20_000 }),
  }),
  fc.record({
    k: fc.constant('withdraw' as const),
    who: fc.constantFrom(...TRADERS),
    amount: fc.integer({ min: 1, max: 20_000 }),
  }),
  fc.record({ k: fc.constant('portfolio' as const), who: fc.constantFrom(...TRADERS), on: fc.boolean() }),
);

/** What the generated sequences reached, summed over all runs (checked by the last test). */
const reached = {
  optionFills: 0,
  portfolioAccounts: 0,
  liquidations: 0,
  portfolioLiquidations: 0,
  settledInTheMoney: 0,
};

describe('options and portfolio margin: conservation, rejections, replay', () => {
  test.prop([sequences(step, 5, 40), fc.integer({ min: 80_000, max: 120_000 })], {
    numRuns: propRuns(40, 0.05),
  })('INV-01, INV-06 and INV-02 hold through fills, crashes, liquidations and expiry', (steps, settleAt) => {
    const journal = new InMemoryJournal();
    const base = venueConfig();
    const e = Engine.create(
      { ...base, markets: [...(base.markets ?? []), ...OPTIONS], portfolio: { model: 'crypto-pm' } },
      { journal },
    );
    let S = 100_000;
    let t = NOW;
    e.executeOrThrow({ type: 'prices', timeMs: t, marks: { 'BTC-PERP': String(S) } });
    e.executeOrThrow({ type: 'prices', timeMs: t, marks: optionMarks(S, t) });
    e.executeOrThrow({ type: 'deposit', to: ref('backstop'), asset: 'USDC', amount: '100000000' });
    for (const who of TRADERS)
      e.executeOrThrow({ type: 'deposit', to: ref(who), asset: 'USDC', amount: '15000' });

    const book = RiskBook.fromState(e.state);
    e.onEvents((events) => book.sync(e.state, events));
    // a starts in portfolio margin with a leveraged long (its IM is the ±16% scan of 80,000).
    e.executeOrThrow({ type: 'set_portfolio_margin', subaccount: ref('a'), enabled: true });
    e.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('a'),
      seller: ref('c'),
      size: '0.8',
      price: String(S),
      timeMs: t,
    });
    const { tryCommand, liquidateAll } = checkedCommands(e, book, reached, () => t);
    for (const s of steps) {
      if (s.k === 'fill') {
        if (s.buyer === s.seller) continue;
        const mark = Number(e.state.markets.get(s.market)!.markPx8!) / 1e8;
        const ok = tryCommand({
          type: 'fill',
          market: s.market,
          buyer: ref(s.buyer),
          seller: ref(s.seller),
          size: (s.size / 100).toFixed(2),
          price: mark.toFixed(2),
          timeMs: t,
        });
        if (ok && s.market !== 'BTC-PERP') reached.optionFills++;
      } else if (s.k === 'move') {
        S = Math.round(S * (1 + s.pct / 10_000));
        t += 3_600_000;
        tryCommand({ type: 'prices', timeMs: t, marks: { 'BTC-PERP': String(S) } });
        tryCommand({ type: 'prices', timeMs: t, marks: optionMarks(S, t) });
        liquidateAll();
      } else if (s.k === 'deposit') {
        tryCommand({ type: 'deposit', to: ref(s.who), asset: 'USDC', amount: String(s.amount), timeMs: t });
      } else if (s.k === 'withdraw') {
        tryCommand({
          type: 'withdraw',
          from: ref(s.who),
          asset: 'USDC',
          amount: String(s.amount),
          timeMs: t,
        });
      } else {
        if (tryCommand({ type: 'set_portfolio_margin', subaccount: ref(s.who), enabled: s.on }) && s.on)
          reached.portfolioAccounts++;
      }
    }
    // Expiry: every option settles in cash on the underlying's settlement price.
    t = Math.max(t, EXPIRY);
    if (settleAt < 95_000 || settleAt > 105_000)
      reached.settledInTheMoney += [
        ...e.state.markets.get(settleAt < 95_000 ? 'P95' : 'C105')!.holders,
      ].length;
    for (const id of ['P95', 'C105', 'P100'])
      expect(tryCommand({ type: 'settle_expiry', market: id, price: String(settleAt), timeMs: t })).toBe(
        true,
      );
    for (const id of ['P95', 'C105', 'P100']) expect(e.state.markets.get(id)!.openInterestQty9).toBe(0n);
    for (const s of e.state.subaccounts.values())
      for (const m of s.positions.keys()) expect(['BTC-PERP', 'ETH-PERP']).toContain(m);
    expect(Engine.open(journal).stateHash(), 'INV-02').toBe(e.stateHash());
  });

  test('the generator reaches option fills, portfolio accounts, their liquidations and in-the-money expiry', () => {
    expect(reached.optionFills).toBeGreaterThan(0);
    expect(reached.portfolioAccounts).toBeGreaterThan(0);
    expect(reached.liquidations).toBeGreaterThan(0);
    expect(reached.portfolioLiquidations).toBeGreaterThan(0);
    expect(reached.settledInTheMoney).toBeGreaterThan(0);
  });
});
