/**
 * The maintenance-only checker (./maintenance-check.ts) against the reference `evaluate`
 * (core/account/figures.ts): over random populations (riskbook.testkit: cross and isolated
 * scopes on fixed, brackets and sqrtSize markets, USDC / BTC / ETH-with-size-haircut / stETH
 * collateral), random walks of up to eight price steps of ±30 % each (crashes of up to −94 %), eager and
 * lazy funding with funding ticks, every scope's equity and maintenance margin are the same
 * integers, and so is the liquidation decision. The checker keeps its size → ratio memo across
 * the whole walk, so a stale memo would show up as a difference.
 */
import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { evaluate, maintenanceView, type Scope, viewOf } from '../core/account/figures.ts';
import type { Engine } from '../core/engine/engine.ts';
import { MaintenanceChecker } from './maintenance-check.ts';
import { type AccountSpec, MARKETS, populate, priceMove, riskVenue } from './riskbook.testkit.ts';

const RUNS = Number(process.env.PROP_RUNS ?? 40);

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
const factor = fc.integer({ min: 700_000, max: 1_300_000 }); // the engine refuses larger steps (price guard)
const move = fc.record({
  markets: fc.array(factor, { minLength: MARKETS.length, maxLength: MARKETS.length }),
  btc: factor,
  eth: factor,
  stethRate: fc.integer({ min: 900_000, max: 1_100_000 }),
  funding: fc.array(fc.integer({ min: -30_000, max: 30_000 }), {
    minLength: MARKETS.length,
    maxLength: MARKETS.length,
  }),
});

function scopesOf(engine: Engine): { key: string; scope: Scope }[] {
  const out: { key: string; scope: Scope }[] = [];
  for (const [key, sub] of engine.state.subaccounts) {
    out.push({ key, scope: { kind: 'cross' } });
    for (const p of sub.positions.values())
      if (p.isolated) out.push({ key, scope: { kind: 'isolated', market: p.market } });
  }
  return out;
}

function expectSame(engine: Engine, checker: MaintenanceChecker): number {
  const state = engine.state;
  let liquidatable = 0;
  for (const { key, scope } of scopesOf(engine)) {
    const sub = state.subaccounts.get(key)!;
    const ref = evaluate(state, maintenanceView(viewOf(state, sub, scope)));
    const fast = checker.figures(state, sub, scope);
    expect({ key, scope, equity: fast.equityQuote, mm: fast.maintenanceMarginQuote }).toEqual({
      key,
      scope,
      equity: ref.equityQuote,
      mm: ref.maintenanceMarginQuote,
    });
    expect(checker.liquidatable(state, sub, scope)).toBe(ref.equityQuote < ref.maintenanceMarginQuote);
    if (ref.equityQuote < ref.maintenanceMarginQuote) liquidatable++;
  }
  return liquidatable;
}

let seenLiquidatable = 0;
let moved = 0;
for (const funding of ['eager', 'lazy'] as const) {
  test.prop(
    [fc.array(account, { minLength: 1, maxLength: 16 }), fc.array(move, { minLength: 1, maxLength: 8 })],
    {
      numRuns: RUNS,
    },
  )(
    `${funding} funding: equity and MM equal evaluate's on every scope after random moves`,
    (accounts, moves) => {
      const engine = riskVenue(funding === 'lazy' ? { fundingSettlement: 'lazy' } : {});
      populate(engine, accounts);
      const checker = new MaintenanceChecker();
      expectSame(engine, checker);
      let t = 10;
      for (const mv of moves) {
        t += 8 * 3600_000;
        if (!engine.execute(priceMove(engine, mv, t)).ok) continue;
        moved++;
        for (const [i, ppm] of mv.funding.entries())
          engine.execute({
            type: 'funding_tick',
            market: MARKETS[i]!,
            premiumIndex: (ppm / 1e6).toFixed(6),
            timeMs: t,
          });
        seenLiquidatable += expectSame(engine, checker);
      }
    },
  );
}

test('the sample saw liquidatable scopes (both sides of the decision were compared)', () => {
  expect(seenLiquidatable).toBeGreaterThan(0);
  expect(moved).toBeGreaterThan(RUNS);
});
