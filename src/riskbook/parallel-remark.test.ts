/**
 * Worker re-marks (./parallel-remark.ts) give bit-identical figures for any thread count: over
 * random populations (riskbook.testkit), a crash and the keeper's liquidations that follow
 * (which reorder the slots: swap-removes, so the unsorted path runs too), then a random move,
 * the equity and MM columns of a shared book re-marked on 1, 2 and 3 threads are byte for byte
 * those of a plain book's single-threaded `remarkAll`.
 */
import { fc, test } from '@fast-check/vitest';
import { afterAll, beforeAll, expect } from 'vitest';
import { keeperTick } from '../core/keeper/loop.ts';
import { ParallelRemark } from './parallel-remark.ts';
import { RiskBookFinder } from './risk-book-finder.ts';
import { type AccountSpec, MARKETS, moveArb, populate, priceMove, riskVenue } from './riskbook.testkit.ts';
import { RiskBook } from './riskbook.ts';

const RUNS = Number(process.env.PROP_RUNS ?? 25);
const THREADS = [1, 2, 3];
const pools: ParallelRemark[] = [];

beforeAll(async () => {
  for (const t of THREADS) pools.push(await ParallelRemark.start(t));
}, 60_000);
afterAll(async () => {
  for (const p of pools) await p.close();
});

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
const move = moveArb();

const bytes = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

let unsortedSeen = 0;
test.prop([fc.array(account, { minLength: 1, maxLength: 40 }), move], { numRuns: RUNS })(
  'equity and MM columns are bit-identical on 1, 2 and 3 threads and equal the one-thread remarkAll',
  (accounts, mv) => {
    const engine = riskVenue();
    populate(engine, accounts);
    const plain = RiskBook.fromState(engine.state);
    const shared = RiskBook.fromState(engine.state, { shared: true });
    engine.onEvents((events) => {
      plain.sync(engine.state, events);
      shared.sync(engine.state, events);
    });
    const crash = { markets: MARKETS.map(() => 750_000), btc: 750_000, eth: 750_000, stethRate: 1_000_000 };
    if (engine.execute(priceMove(engine, crash, 1_000)).ok)
      keeperTick(engine, { timeMs: 1_000 }, { finder: new RiskBookFinder(engine), maxRounds: 20 });
    engine.execute(priceMove(engine, mv, 2_000));
    if (shared.remarkColumns(engine.state).markets.some((m) => !m.sorted)) unsortedSeen++;

    plain.remarkAll(engine.state);
    const want = plain.figureColumns();
    for (const pool of pools) {
      // Scribble over the columns first: every value must be rewritten by some thread.
      const cols = shared.figureColumns();
      cols.equity.fill(Number.NaN);
      cols.mm.fill(-1);
      pool.remarkAll(shared, engine.state);
      const got = shared.figureColumns();
      expect({ threads: pool.threads, equity: bytes(got.equity).equals(bytes(want.equity)) }).toEqual({
        threads: pool.threads,
        equity: true,
      });
      expect({ threads: pool.threads, mm: bytes(got.mm).equals(bytes(want.mm)) }).toEqual({
        threads: pool.threads,
        mm: true,
      });
    }
  },
);

test('the sample re-marked books whose slots were out of scope order', () => {
  expect(unsortedSeen).toBeGreaterThan(0);
});

test('a plain book is refused by a multi-threaded pool', () => {
  const engine = riskVenue();
  populate(engine, [
    {
      usdc: 10_000,
      btcMilli: 0,
      stethCenti: 0,
      legs: [{ market: 0, isolated: false, long: true, leverage10: 20 }],
    },
  ]);
  const plain = RiskBook.fromState(engine.state);
  expect(() => pools[1]!.remarkAll(plain, engine.state)).toThrow(/shared: true/);
});
