/**
 * The kept portfolio books (account/portfolio-book.ts for the scenario risk matrix,
 * account/portfolio-deribit-book.ts for Deribit PM) against the full recomputation, after random
 * trade sequences, on three venues:
 *   - crypto-pm, a USDC engine: linear perpetuals and options on BTC and ETH;
 *   - deribit-pm linear, the same markets (a USD book spanning two pairs, one pair when only
 *     BTC is held): Deribit's usd parameters;
 *   - deribit-pm coin-settled, a BTC engine: an inverse perpetual and future (10 USD contracts)
 *     and coin-settled options, the book and its requirement in BTC.
 * Steps: fills between two portfolio accounts and a standard one (opening, adding, reducing,
 * closing and flipping positions, in markets the book holds and in new ones), moves of the
 * underlying with the clock advancing and the options re-marked at a new vol.
 *
 * After every step, for every subaccount: the cached figures (the kept book's requirement) equal
 * `evaluate` on `crossView`; and for several markets, a hypothetical trade (the pre-trade check,
 * the traded row re-summed from the kept book's running sums) equals `naiveChange`, the full
 * recomputation of the changed book, with the position larger, smaller, flipped and closed.
 * The same commands then run with the figures cache off: every outcome and the final state hash
 * are the same.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { propRuns, sequences } from '../../../test/support/prop.ts';
import { crossView, evaluate } from '../account/figures.ts';
import {
  cachedCrossFigures,
  crossFiguresWithChange,
  naiveChange,
  setFiguresCacheEnabled,
} from '../account/figures-cache.ts';
import { deribitScopeRequirement } from '../account/portfolio-deribit.ts';
import { deribitKeptSums, deribitTradeMargin } from '../account/portfolio-deribit-book.ts';
import { PortfolioScopeRows } from '../account/portfolio-scope.ts';
import type { PositionLite } from '../account/prices.ts';
import type { MarketConfigInput } from '../model/config.ts';
import type { EngineConfigInput } from '../model/engine-config.ts';
import type { ReadonlyEngineState } from '../model/state.ts';
import { black76Price, yearFraction } from '../pricing/black76.ts';
import { Engine } from './engine.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 25, 8);
const EXPIRIES = [T0 + 9 * DAY, T0 + 45 * DAY];
const WHO = ['alice', 'bob', 'carol'] as const; // alice and carol in portfolio mode
const ref = (account: string) => ({ account, sub: '0' });

interface Venue {
  name: string;
  config: EngineConfigInput;
  asset: string;
  /** Markets traded: id, base, and the size of one step of a fill. */
  markets: { id: string; base: 'BTC' | 'ETH'; step: number; decimals: number }[];
  /** Marks of a base's markets at underlying S and vol σ at time t. */
  marks: (base: 'BTC' | 'ETH', S: number, vol: number, t: number) => Record<string, string>;
  spots: Record<string, number>;
  deposit: (x: number) => string;
}

const fixed = { kind: 'fixed' as const, initialRatio: '0.1', maintenance: { ratio: '0.05' } };

function linearVenue(name: string, model: 'crypto-pm' | 'deribit-pm'): Venue {
  const markets: MarketConfigInput[] = [];
  const traded: Venue['markets'] = [];
  for (const base of ['BTC', 'ETH'] as const) {
    markets.push({ id: `${base}-PERP`, kind: 'perpetual', base, stepSize: '0.001', margin: fixed });
    traded.push({ id: `${base}-PERP`, base, step: base === 'BTC' ? 0.001 : 0.01, decimals: 3 });
    const S = base === 'BTC' ? 100_000 : 4_000;
    for (const expiryMs of EXPIRIES)
      for (const k of [0.9, 1, 1.1])
        for (const right of ['call', 'put'] as const) {
          const id = `${base}-${expiryMs}-${k}-${right}`;
          markets.push({
            id,
            kind: 'option',
            base,
            stepSize: '0.01',
            expiryMs,
            option: { underlying: `${base}-PERP`, right, strike: String(Math.round(S * k)) },
            margin: { kind: 'standardOption' },
          });
          traded.push({ id, base, step: 0.01, decimals: 2 });
        }
  }
  const marks = (base: 'BTC' | 'ETH', S: number, vol: number, t: number) => {
    const out: Record<string, string> = { [`${base}-PERP`]: S.toFixed(2) };
    for (const m of markets)
      if (m.kind === 'option' && m.base === base) {
        const K = Number(m.option!.strike);
        const p = black76Price({
          kind: m.option!.right,
          forward: S,
          strike: K,
          timeYears: yearFraction(t, m.expiryMs!),
          vol,
        });
        out[m.id] = Math.max(0.01, p).toFixed(2);
      }
    return out;
  };
  return {
    name,
    config: {
      settlementAsset: 'USDC',
      assets: [{ id: 'USDC', decimals: 6 }],
      markets,
      guards: { maxFillDeviation: '10' },
      portfolio: { model },
    },
    asset: 'USDC',
    markets: traded,
    marks,
    spots: { BTC: 100_000, ETH: 4_000 },
    deposit: (x) => String(x),
  };
}

function coinVenue(): Venue {
  const inverse = { contractType: 'inverse' as const, contractValue: '10', stepSize: '1', margin: fixed };
  const markets: MarketConfigInput[] = [
    { id: 'BTC-PERPETUAL', kind: 'perpetual', base: 'BTC', ...inverse },
    { id: 'BTC-FUT', kind: 'future', base: 'BTC', expiryMs: EXPIRIES[1]!, ...inverse },
  ];
  const traded: Venue['markets'] = [
    { id: 'BTC-PERPETUAL', base: 'BTC', step: 1, decimals: 0 },
    { id: 'BTC-FUT', base: 'BTC', step: 1, decimals: 0 },
  ];
  for (const expiryMs of EXPIRIES)
    for (const k of [0.9, 1, 1.1])
      for (const right of ['call', 'put'] as const) {
        const id = `BTC-${expiryMs}-${k}-${right}`;
        markets.push({
          id,
          kind: 'option',
          base: 'BTC',
          stepSize: '0.01',
          expiryMs,
          option: {
            underlying: 'BTC-PERPETUAL',
            right,
            strike: String(Math.round(100_000 * k)),
            settlement: 'inverse',
          },
          margin: { kind: 'standardOption' },
        });
        traded.push({ id, base: 'BTC', step: 0.01, decimals: 2 });
      }
  const marks = (_base: 'BTC' | 'ETH', S: number, vol: number, t: number) => {
    const out: Record<string, string> = { 'BTC-PERPETUAL': S.toFixed(1), 'BTC-FUT': (S * 1.004).toFixed(1) };
    for (const m of markets)
      if (m.kind === 'option') {
        const K = Number(m.option!.strike);
        const p = black76Price({
          kind: m.option!.right,
          forward: S,
          strike: K,
          timeYears: yearFraction(t, m.expiryMs!),
          vol,
        });
        out[m.id] = Math.max(0.0001, p / S).toFixed(4); // the coin premium
      }
    return out;
  };
  return {
    name: 'deribit-pm coin-settled (BTC book)',
    config: {
      settlementAsset: 'BTC',
      assets: [{ id: 'BTC', decimals: 8 }],
      markets,
      guards: { maxFillDeviation: '10' },
      liquidation: { dustNotional: '0.0001' },
      portfolio: { model: 'deribit-pm' },
    },
    asset: 'BTC',
    markets: traded,
    marks,
    spots: { BTC: 100_000 },
    deposit: (x) => (x / 100_000).toFixed(8),
  };
}

const VENUES = [
  linearVenue('crypto-pm (USDC, linear)', 'crypto-pm'),
  linearVenue('deribit-pm linear (USD book)', 'deribit-pm'),
  coinVenue(),
];

const who = fc.constantFrom(...WHO);
const step = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.record({
      kind: fc.constant('fill' as const),
      market: fc.nat(),
      a: who,
      b: who,
      steps: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 2_000 })),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('move' as const),
      eth: fc.boolean(),
      bp: fc.integer({ min: -800, max: 800 }),
      vol: fc.integer({ min: 35, max: 110 }),
      hours: fc.integer({ min: 0, max: 48 }),
    }),
  },
);
type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

const markPx = (e: Engine, m: string) => Number(e.state.markets.get(m)!.markPx8!) / 1e8;

/** A Deribit book kept per subaccount by the test itself, across the steps of one run. */
const testBooks = new Map<string, PortfolioScopeRows>();

/**
 * Deribit PM, before rounding: the kept book's float IM of a hypothetical trade is the full
 * recomputation's (`deribitScopeRequirement` on the book as naiveChange orders it), to the bit.
 */
function assertDeribitFloat(
  state: ReadonlyEngineState,
  sub: Parameters<typeof evaluate>[1]['sub'],
  market: string,
  next: PositionLite,
): void {
  let rows = testBooks.get(sub.key);
  if (rows === undefined) testBooks.set(sub.key, (rows = new PortfolioScopeRows()));
  const kept = deribitTradeMargin(state, sub, rows, market, next);
  if (kept === undefined) return;
  const book: PositionLite[] = [];
  for (const p of sub.positions.values()) if (!p.isolated && p.market !== market) book.push(p);
  if (next.size !== 0n) book.push(next);
  const detail = deribitScopeRequirement(state, book).detail;
  expect(Object.is(kept, detail?.initialMargin ?? 0)).toBe(true);
  if (detail) {
    // the running sums themselves, not only the rounded margin: every entry, delta and roll
    const sums = deribitKeptSums(rows)!;
    const pre = [...detail.preAggregated.standard, ...detail.preAggregated.extended];
    expect(pre.every((x, i) => Object.is(x, sums.pre[i]))).toBe(true);
    expect(Object.is(sums.deltaTotal, detail.deltaTotal)).toBe(true);
    expect(Object.is(sums.roll, detail.rollShock)).toBe(true);
  }
  floatChecks.n += 1;
}
const floatChecks = { n: 0 };

/** After a step: cached figures and every probed hypothetical trade equal the full recomputation. */
function assertExact(v: Venue, state: ReadonlyEngineState, k: number): void {
  const deribit = state.portfolio?.model === 'deribit-pm';
  for (const sub of state.subaccounts.values()) {
    let naive: ReturnType<typeof evaluate>;
    try {
      naive = evaluate(state, crossView(sub));
    } catch {
      expect(() => cachedCrossFigures(state, sub)).toThrow();
      continue;
    }
    expect(cachedCrossFigures(state, sub)).toEqual(naive);
    for (let j = 0; j < 3; j++) {
      const mk = v.markets[(k * 5 + j * 7) % v.markets.length]!;
      const held = sub.positions.get(mk.id)?.size ?? 0n;
      const unit = BigInt(Math.round(mk.step * 1e9));
      const d = BigInt(((k * 7919 + j * 131) % 41) - 20) * unit;
      for (const size of [held + d, held - d, -held, 0n]) {
        const next = { market: mk.id, size, entryValue: size * 100n + BigInt(k % 997) };
        expect(crossFiguresWithChange(state, sub, mk.id, next, undefined, 0n)).toEqual(
          naiveChange(state, sub, mk.id, next, undefined, 0n),
        );
        if (deribit && sub.portfolioMargin) assertDeribitFloat(state, sub, mk.id, next);
      }
    }
  }
}

function run(v: Venue, steps: Step[], deposits: number[], check: boolean, commands?: unknown[]) {
  testBooks.clear();
  const e = Engine.create(v.config);
  let marks: Record<string, string> = {};
  for (const b of Object.keys(v.spots) as ('BTC' | 'ETH')[])
    marks = { ...marks, ...v.marks(b, v.spots[b]!, 0.6, T0) };
  e.executeOrThrow({ type: 'prices', timeMs: T0, marks });
  for (const [i, w] of WHO.entries()) {
    e.executeOrThrow({
      type: 'deposit',
      to: ref(w),
      asset: v.asset,
      amount: v.deposit(deposits[i]!),
      timeMs: T0,
    });
    if (w !== 'bob')
      e.executeOrThrow({ type: 'set_portfolio_margin', subaccount: ref(w), enabled: true, timeMs: T0 });
  }
  const issued: unknown[] = [];
  const outcomes: string[] = [];
  const exec = (c: unknown) => {
    issued.push(c);
    const r = e.execute(c);
    outcomes.push(r.ok ? 'ok' : r.rejection.code);
    if (check) assertExact(v, e.state, outcomes.length);
  };
  if (commands !== undefined) for (const c of commands) exec(c);
  else {
    let t = T0;
    for (const s of steps) {
      t += 1000;
      if (s.kind === 'fill') {
        if (s.a === s.b) continue;
        const mk = v.markets[s.market % v.markets.length]!;
        exec({
          type: 'fill',
          market: mk.id,
          buyer: ref(s.a),
          seller: ref(s.b),
          size: (s.steps * mk.step).toFixed(mk.decimals),
          price: String(markPx(e, mk.id)),
          taker: 'buyer',
          timeMs: t,
        });
      } else {
        const b = s.eth && v.spots.ETH !== undefined ? 'ETH' : 'BTC';
        t += s.hours * 3_600_000;
        const perp = v.markets.find((m) => m.base === b)!.id;
        exec({
          type: 'prices',
          timeMs: t,
          marks: v.marks(b, markPx(e, perp) * (1 + s.bp / 10_000), s.vol / 100, t),
        });
      }
    }
  }
  return { issued, outcomes, hash: e.stateHash() };
}

describe('kept portfolio books equal the full recomputation after random trade sequences', () => {
  afterEach(() => setFiguresCacheEnabled(true));
  for (const v of VENUES)
    it(v.name, () => {
      let accepted = 0;
      fc.assert(
        fc.property(
          fc.array(fc.integer({ min: 20_000, max: 400_000 }), { minLength: 3, maxLength: 3 }),
          sequences(step, 10, 40),
          (deposits, steps) => {
            setFiguresCacheEnabled(true);
            const kept = run(v, steps, deposits, true);
            accepted += kept.outcomes.filter((o) => o === 'ok').length;
            setFiguresCacheEnabled(false);
            const naive = run(v, [], deposits, false, kept.issued);
            setFiguresCacheEnabled(true);
            expect(naive.outcomes).toEqual(kept.outcomes);
            expect(naive.hash).toBe(kept.hash);
          },
        ),
        { numRuns: propRuns(12, 0.2), seed: 1605 },
      );
      expect(accepted).toBeGreaterThan(20);
      if (v.config.portfolio?.model === 'deribit-pm') expect(floatChecks.n).toBeGreaterThan(100);
    });
});
