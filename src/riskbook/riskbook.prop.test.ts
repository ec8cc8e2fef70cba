/**
 * Properties of the risk book over random populations (cross and isolated scopes, four
 * markets of three margin-model kinds, USDC / BTC / stETH collateral) and random price
 * moves within ±30% (the book's default price band):
 *  - no false negatives: every scope `engine.liquidatable()` reports is among `candidates()`,
 *    for a book kept in step through `sync` (incremental re-marks) and for a book re-marked
 *    with `remarkAll`;
 *  - exact confirmation: `confirm(candidates())` equals `engine.liquidatable()`, order included;
 *  - incremental refresh: after liquidations, fills, deposits and funding applied through
 *    `sync`, the book equals a fresh `RiskBook.fromState`.
 */
import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import type { Engine } from '../core/engine/engine.ts';
import {
  accountArb,
  diffScreens,
  MARKET_SPEC,
  MARKETS,
  moveArb,
  populate,
  priceMove,
  riskVenue,
} from './riskbook.testkit.ts';
import { RiskBook } from './riskbook.ts';

const RUNS = Number(process.env.PROP_RUNS ?? 60);

const account = accountArb(4);
const move = moveArb();

function expectScreenSound(engine: Engine, book: RiskBook): void {
  const exact = engine.liquidatable();
  const cands = book.candidates();
  const name = (key: string, s: { kind: string; market?: string }) =>
    `${key}|${s.kind === 'cross' ? '' : s.market}`;
  const screened = new Set(cands.map((c) => name(c.key, c.scope)));
  const missed = exact.filter((x) => !screened.has(name(`${x.ref.account}/${x.ref.sub}`, x.scope)));
  expect(missed).toEqual([]);
  expect(book.confirm(engine.state, cands)).toEqual(exact);
}

test.prop([fc.array(account, { minLength: 1, maxLength: 25 }), move], { numRuns: RUNS })(
  'no false negatives and exact confirmation after a price move within ±30%',
  (accounts, mv) => {
    const engine = riskVenue();
    populate(engine, accounts);
    const synced = RiskBook.fromState(engine.state);
    engine.onEvents((events) => synced.sync(engine.state, events));
    const remarked = RiskBook.fromState(engine.state);
    expectScreenSound(engine, synced);
    engine.executeOrThrow(priceMove(engine, mv, 10));
    remarked.remarkAll(engine.state);
    expectScreenSound(engine, synced);
    expectScreenSound(engine, remarked);
  },
);

test.prop([fc.array(account, { minLength: 2, maxLength: 20 }), move, fc.integer({ min: 0, max: 1000 })], {
  numRuns: RUNS,
})(
  'incremental refresh after liquidations, fills and funding equals a fresh fromState',
  (accounts, mv, seed) => {
    const engine = riskVenue();
    populate(engine, accounts);
    engine.executeOrThrow(priceMove(engine, mv, 10));
    const book = RiskBook.fromState(engine.state);
    engine.onEvents((events) => book.sync(engine.state, events));
    // Liquidate every liquidatable scope once (partial or bankrupt waterfall).
    for (const x of engine.liquidatable()) {
      engine.execute({
        type: 'liquidate',
        subaccount: x.ref,
        isolatedMarket: x.scope.kind === 'isolated' ? x.scope.market : undefined,
        timeMs: 11,
      });
    }
    expect(diffScreens(book.describe(), RiskBook.fromState(engine.state).describe())).toEqual([]);
    // More traffic: a fill between two traders, a deposit, a funding tick.
    const a = { account: `t${seed % accounts.length}` };
    const b = { account: `t${(seed + 1) % accounts.length}` };
    const market = MARKETS[seed % MARKETS.length]!;
    const mark = engine.state.markets.get(market)!.markPx8!;
    const tick = BigInt(Math.round(Number(MARKET_SPEC[market].tick) * 1e8));
    const px = ((mark / tick) * tick).toString();
    const price = `${px.slice(0, -8) || '0'}.${px.slice(-8).padStart(8, '0')}`;
    engine.execute({ type: 'deposit', to: b, asset: 'BTC', amount: '0.01' });
    engine.execute({ type: 'fill', market, buyer: a, seller: b, size: MARKET_SPEC[market].step, price });
    engine.execute({ type: 'funding_tick', market, timeMs: 12, premiumIndex: '0.002' });
    expect(diffScreens(book.describe(), RiskBook.fromState(engine.state).describe())).toEqual([]);
    expectScreenSound(engine, book);
  },
);

test.prop(
  [fc.array(account, { minLength: 1, maxLength: 20 }), fc.array(move, { minLength: 2, maxLength: 5 })],
  {
    numRuns: RUNS,
  },
)(
  'no false negatives over a walk of moves (beyond the band, capped slots stay screened in)',
  (accounts, moves) => {
    const engine = riskVenue();
    populate(engine, accounts);
    const book = RiskBook.fromState(engine.state);
    engine.onEvents((events) => book.sync(engine.state, events));
    moves.forEach((mv, i) => {
      const r = engine.execute(priceMove(engine, mv, 10 + i));
      if (!r.ok) return; // a price may hit its floor of one tick
      expectScreenSound(engine, book);
    });
    // The drift of incremental re-marks is within the screen's slack: a full re-mark agrees.
    const fresh = RiskBook.fromState(engine.state);
    fresh.remarkAll(engine.state);
    expectScreenSound(engine, fresh);
  },
);
