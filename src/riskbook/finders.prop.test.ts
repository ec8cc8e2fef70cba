/**
 * Every CandidateFinder agrees with the exact scan (core/keeper/exact-scan.ts). Over random
 * populations (riskbook.testkit: cross and isolated scopes, four markets of three margin-model
 * kinds, USDC / BTC / stETH collateral) and random walks of price moves — ordinary moves within
 * ±30 %, crashes of up to −70 % in three steps, and crashes where some markets fall and others
 * rise by as much (the signed per-market bounds of the bound index) — each finder's confirmed set equals the exact
 * scan's set after every move and after every liquidation round the keeper runs with that
 * finder: no misses, no false positives after confirmation.
 */
import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import type { Engine } from '../core/engine/engine.ts';
import { exactLiquidatable } from '../core/keeper/exact-scan.ts';
import { type CandidateFinder, type LiquidationCandidate, scopeId } from '../core/keeper/finder.ts';
import { isHeld, keeperTick } from '../core/keeper/loop.ts';
import { subaccountKey } from '../core/model/state.ts';
import { LiquidationBoundIndex } from './liquidation-bound-index.ts';
import { LiquidationPriceIndex } from './liquidation-price-index.ts';
import { RiskBookFinder } from './risk-book-finder.ts';
import { accountArb, LOW_EMODE, MARKETS, populate, priceMove, riskVenue } from './riskbook.testkit.ts';

const RUNS = Number(process.env.PROP_RUNS ?? 40);

const account = accountArb(3);
type Move = { markets: number[]; btc: number; eth: number; stethRate: number };
const factor = fc.integer({ min: 700_000, max: 1_300_000 });
const ordinary: fc.Arbitrary<Move[]> = fc
  .record({
    markets: fc.array(factor, { minLength: MARKETS.length, maxLength: MARKETS.length }),
    btc: factor,
    eth: factor,
    stethRate: fc.integer({ min: 950_000, max: 1_050_000 }),
  })
  .map((m) => [m]);
/** A crash: everything falls together by 1 − f³ (f in [0.67, 0.95]: up to −70 %), in three steps. */
const crash: fc.Arbitrary<Move[]> = fc.integer({ min: 670_000, max: 950_000 }).map((f) => {
  const m: Move = { markets: MARKETS.map(() => f), btc: f, eth: f, stethRate: 1_000_000 };
  return [m, m, m];
});
/** A crash that splits the book: each market falls or rises by 1 − f³ (as the bench's crash), collateral falls. */
const mixedCrash: fc.Arbitrary<Move[]> = fc
  .record({
    f: fc.integer({ min: 670_000, max: 950_000 }),
    up: fc.array(fc.boolean(), { minLength: MARKETS.length, maxLength: MARKETS.length }),
  })
  .map(({ f, up }) => {
    const m: Move = {
      markets: up.map((u) => (u ? Math.min(2_000_000 - f, 1_300_000) : f)),
      btc: f,
      eth: f,
      stethRate: 1_000_000,
    };
    return [m, m, m];
  });
const walk = fc
  .array(fc.oneof(ordinary, crash, mixedCrash), { minLength: 1, maxLength: 4 })
  .map((w) => w.flat());

const ids = (xs: readonly LiquidationCandidate[]) =>
  new Set(xs.map((x) => scopeId(subaccountKey(x.ref), x.scope)));

function expectAgrees(engine: Engine, finder: CandidateFinder): void {
  expect(ids(finder.liquidatable(engine.state))).toEqual(ids(exactLiquidatable(engine.state)));
}

const FINDERS: [string, (e: Engine) => CandidateFinder][] = [
  ['liquidation-price index', (e) => new LiquidationPriceIndex(e)],
  ['float risk book', (e) => new RiskBookFinder(e)],
  // never rebased: every move is measured from the population's baseline
  ['liquidation bound index (no rebase)', (e) => new LiquidationBoundIndex(e, { autoRebaseAbove: 0 })],
  // rebased after almost every tick: critical moves recomputed at ever new baselines
  ['liquidation bound index (rebase)', (e) => new LiquidationBoundIndex(e, { autoRebaseAbove: 1 })],
];

for (const [name, make] of FINDERS) {
  test.prop([fc.array(account, { minLength: 1, maxLength: 20 }), walk], { numRuns: RUNS })(
    `${name}: confirmed set = exact scan after random moves, crashes and keeper rounds`,
    (accounts, moves) => {
      const engine = riskVenue();
      populate(engine, accounts);
      walkAndCompare(engine, make(engine), moves);
    },
  );

  // An e-mode category may weigh its collateral below the asset's own maintenance weight; the
  // float screens must then not count the higher weight (they would miss the scope).
  test.prop([fc.array(account, { minLength: 1, maxLength: 12 }), walk], { numRuns: Math.ceil(RUNS / 4) })(
    `${name}: the same with half the accounts in an e-mode category whose threshold is below BTC's weight`,
    (accounts, moves) => {
      const engine = riskVenue({ eModeCategories: [LOW_EMODE] });
      populate(engine, accounts);
      accounts.forEach((_, i) => {
        if (i % 2 === 0) engine.execute({ type: 'set_emode', subaccount: { account: `t${i}` }, category: 1 });
      });
      walkAndCompare(engine, make(engine), moves);
    },
  );
}

function walkAndCompare(engine: Engine, finder: CandidateFinder, moves: readonly Move[]): void {
  expectAgrees(engine, finder);
  let t = 10;
  for (const mv of moves) {
    t += 1_000;
    if (!engine.execute(priceMove(engine, mv, t)).ok) continue; // a price at its one-tick floor
    expectAgrees(engine, finder);
    const report = keeperTick(
      engine,
      { timeMs: t },
      { finder, maxRounds: 20 },
      {
        // Inside the loop: what the finder hands the keeper is the exact scan's actionable set.
        onCandidates: (ready) => {
          const exact = exactLiquidatable(engine.state).filter((c) => !isHeld(engine.state, c));
          expect(ids(ready)).toEqual(ids(exact));
        },
      },
    );
    expectAgrees(engine, finder);
    if (!report.capped) {
      // The tick ends when nothing liquidatable is left, or a round changed nothing.
      const left = exactLiquidatable(engine.state);
      if (left.length > 0) expect(Object.keys(report.rejected).length).toBeGreaterThan(0);
    }
  }
}
