/**
 * The bound index's linear rows (RiskBook.linearTerms): for every scope whose terms are finite
 * and whose capped slots stay below their cap, baseline headroom + Σ val × δ equals the float
 * screen recomputed at the moved prices (RiskBook.headroomAt) up to float rounding — the property
 * that lets a tick skip a scope whose linear bound stays above zero. Random populations and
 * independent signed moves of every market and collateral price (−30 % … +30 %, the largest step the price guard lets through).
 */
import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { type AccountSpec, MARKETS, moveArb, populate, priceMove, riskVenue } from './riskbook.testkit.ts';
import { RiskBook } from './riskbook.ts';

const RUNS = Number(process.env.PROP_RUNS ?? 40);
const TOLERANCE = 0.02;

const account: fc.Arbitrary<AccountSpec> = fc.record({
  usdc: fc.integer({ min: 0, max: 20_000 }),
  btcMilli: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 300 })),
  stethCenti: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 500 })),
  legs: fc.array(
    fc.record({
      market: fc.integer({ min: 0, max: MARKETS.length - 1 }),
      isolated: fc.boolean(),
      long: fc.boolean(),
      leverage10: fc.integer({ min: 5, max: 250 }),
    }),
    { minLength: 1, maxLength: 4 },
  ),
});
const move = moveArb(300_000, 100_000);

let moved = 0;
test.prop([fc.array(account, { minLength: 1, maxLength: 16 }), move], { numRuns: RUNS })(
  'linear bound = screen headroom at the moved prices (finite, uncapped scopes)',
  (accounts, mv) => {
    const engine = riskVenue();
    populate(engine, accounts);
    const book = RiskBook.fromState(engine.state);
    const n = book.scopeHigh;
    const headroom = new Float64Array(n);
    const sensitivity = new Float64Array(n);
    const capMove = new Float64Array(n);
    const single = new Int32Array(n);
    book.bounds(TOLERANCE, headroom, sensitivity, capMove, single);
    const start = new Int32Array(n + 1);
    for (let s = 0; s < n; s++) start[s + 1] = start[s]! + book.termCount(s);
    const cursor = start.slice(0, n);
    const col = new Int32Array(start[n]!);
    const val = new Float64Array(start[n]!);
    const magnitude = new Float64Array(n);
    book.linearTerms(TOLERANCE, cursor, col, val, magnitude);
    for (let s = 0; s < n; s++) expect(cursor[s]).toBe(start[s + 1]); // every term written, none extra

    const base = book.bookMarks();
    const baseAssets = book.bookAssetPrices();
    if (!engine.execute(priceMove(engine, mv, 1_000)).ok) return; // a price at its one-tick floor
    const marks = book.stateMarks(engine.state);
    const assets = book.stateAssetPrices(engine.state);
    const delta = [
      ...Array.from(marks, (m, i) => m / base[i]! - 1),
      ...Array.from(assets, (p, a) => (baseAssets[a] === 0 ? 0 : p / baseAssets[a]! - 1)),
    ];
    const maxRise = Math.max(0, ...delta.slice(0, marks.length));
    let compared = 0;
    for (let s = 0; s < n; s++) {
      if (!book.hasPositions(s) || !(capMove[s]! > maxRise)) continue;
      let h = headroom[s]!;
      let finite = Number.isFinite(h);
      for (let j = start[s]!; j < start[s + 1]!; j++) {
        finite &&= Number.isFinite(val[j]!);
        h += val[j]! * delta[col[j]!]!;
      }
      if (!finite) continue;
      const screen = book.headroomAt(s, TOLERANCE, marks, assets);
      expect(Math.abs(h - screen)).toBeLessThanOrEqual(1e-9 * magnitude[s]! * 2);
      compared++;
    }
    if (compared > 0) moved++;
  },
);

test('most samples moved the prices and compared some scope', () => {
  expect(moved).toBeGreaterThan(RUNS / 2);
});
