/**
 * The maintenance-only checker (./maintenance-check.ts) against the reference `evaluate`
 * (core/account/figures.ts): over random populations (riskbook.testkit: cross and isolated
 * scopes on fixed, brackets and sqrtSize markets, USDC / BTC / ETH-with-size-haircut / stETH
 * collateral), random walks of up to eight price steps of ±30 % each (crashes of up to −94 %), eager and
 * lazy funding with funding ticks, every scope's equity and maintenance margin are the same
 * integers, and so is the liquidation decision. The checker keeps its size → ratio memo across
 * the whole walk, so a stale memo would show up as a difference.
 *
 * The liquidation decision is taken in doubles with a certified error bound where the bound can
 * tell (./certified-maintenance.ts). Besides the random scopes above, every scope is also moved
 * to within a few units of the line (its settlement cash or isolated margin set so that
 * equity − MM = k exactly, k ∈ [−3, 3]): the decision must still be evaluate's, and for |k| ≤ 2
 * on a scope with a position the float bound must not claim to know (it falls back to the
 * integers); at k = ±10^7 units it must decide without the integers on the scopes it models.
 */
import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { evaluate, maintenanceView, type Scope, viewOf } from '../core/account/figures.ts';
import type { Engine } from '../core/engine/engine.ts';
import { sizePremiumRatio } from '../core/margin/size-premium.ts';
import type { Position, Subaccount } from '../core/model/state.ts';
import { CertifiedMaintenance, sizePremiumRatioDouble, UNSURE } from './certified-maintenance.ts';
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

/**
 * Sets the scope's settlement cash (cross) or isolated margin so that its exact equity − MM is
 * `k`, checks the decision against evaluate's there, then restores the state. Returns whether
 * the certified bound answered by itself (undefined: the scope cannot be moved this way).
 */
function atTheLine(engine: Engine, key: string, scope: Scope, k: bigint): boolean | undefined {
  const state = engine.state;
  const sub = state.subaccounts.get(key)! as Subaccount;
  const usdc = state.settlement.id;
  const ref = evaluate(state, maintenanceView(viewOf(state, sub, scope)));
  const shift = ref.maintenanceMarginQuote - ref.equityQuote + k;
  let restore: () => void;
  if (scope.kind === 'cross') {
    const was = sub.balances.get(usdc);
    if (was === undefined) return undefined;
    sub.balances.set(usdc, was + shift);
    restore = () => sub.balances.set(usdc, was);
  } else {
    const p = sub.positions.get(scope.market)! as Position;
    const was = p.isolatedMargin;
    p.isolatedMargin = was + shift;
    restore = () => {
      p.isolatedMargin = was;
    };
  }
  try {
    const at = evaluate(state, maintenanceView(viewOf(state, sub, scope)));
    expect(at.equityQuote - at.maintenanceMarginQuote).toBe(k);
    const decision = new CertifiedMaintenance().decide(state, sub, scope);
    if (decision !== UNSURE)
      expect({ key, scope, k, decision }).toEqual({ key, scope, k, decision: k < 0n ? 1 : 0 });
    expect(new MaintenanceChecker().liquidatable(state, sub, scope)).toBe(k < 0n);
    return decision !== UNSURE;
  } finally {
    restore();
  }
}

let nearUnsure = 0;
let farCertain = 0;
let farTried = 0;
for (const funding of ['eager', 'lazy'] as const) {
  test.prop(
    [fc.array(account, { minLength: 1, maxLength: 8 }), fc.array(move, { minLength: 0, maxLength: 4 })],
    { numRuns: Math.max(5, Math.floor(RUNS / 2)) },
  )(`${funding} funding: scopes a few units from the line get evaluate's decision`, (accounts, moves) => {
    const engine = riskVenue(funding === 'lazy' ? { fundingSettlement: 'lazy' } : {});
    populate(engine, accounts);
    let t = 10;
    for (const mv of moves) {
      t += 8 * 3600_000;
      engine.execute(priceMove(engine, mv, t));
      for (const [i, ppm] of mv.funding.entries())
        engine.execute({
          type: 'funding_tick',
          market: MARKETS[i]!,
          premiumIndex: (ppm / 1e6).toFixed(6),
          timeMs: t,
        });
    }
    for (const { key, scope } of scopesOf(engine)) {
      const sub = engine.state.subaccounts.get(key)!;
      const positions = [...sub.positions.values()].filter((p) =>
        scope.kind === 'cross' ? !p.isolated && p.size !== 0n : p.market === scope.market && p.size !== 0n,
      ).length;
      for (let k = -3n; k <= 3n; k++) {
        const certain = atTheLine(engine, key, scope, k);
        // ±2 units is inside the integer rounding the bound allows for any scope with a position.
        if (certain !== undefined && positions > 0 && k >= -2n && k <= 2n) {
          expect({ key, scope, k, certain }).toEqual({ key, scope, k, certain: false });
          nearUnsure++;
        }
      }
      for (const k of [-10_000_000n, 10_000_000n]) {
        const certain = atTheLine(engine, key, scope, k);
        if (certain === undefined) continue;
        farTried++;
        if (certain) farCertain++;
      }
    }
  });
}

test('the line tests ran both ways: near the line the integers decided, far from it mostly the floats', () => {
  expect(nearUnsure).toBeGreaterThan(0);
  // Scopes with size-haircut collateral (ETH) or a negative non-settlement balance take the integers.
  expect(farCertain).toBeGreaterThan(farTried / 2);
});

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

test('an e-mode category weighs its collateral at its liquidation threshold, as evaluate does', () => {
  const engine = riskVenue({
    eModeCategories: [
      {
        id: 1,
        ltv: '0.85',
        liquidationThreshold: '0.97',
        liquidationBonus: '0.01',
        collateralAssets: ['BTC'],
        borrowableAssets: ['USDC'],
      },
    ],
  });
  populate(engine, [
    {
      usdc: 100,
      btcMilli: 100,
      stethCenti: 0,
      legs: [{ market: 0, isolated: false, long: true, leverage10: 40 }],
    },
  ]);
  engine.executeOrThrow({ type: 'set_emode', subaccount: { account: 't0' }, category: 1 });
  const state = engine.state;
  const sub =
    state.subaccounts.get('t0/0') ?? [...state.subaccounts.values()].find((s) => s.ref.account === 't0')!;
  expect(sub.eModeCategory).toBe(1);
  const ref = evaluate(state, maintenanceView(viewOf(state, sub, { kind: 'cross' })));
  const fast = new MaintenanceChecker().figures(state, sub, { kind: 'cross' });
  // 0.1 BTC at 60,000 counts 0.97 × 6,000 = 5,820 USDC, not 0.9 × 6,000 = 5,400.
  expect(fast.equityQuote).toBe(ref.equityQuote);
  expect(fast.maintenanceMarginQuote).toBe(ref.maintenanceMarginQuote);
  expectSame(engine, new MaintenanceChecker());
});

test.prop(
  [
    fc.oneof(
      fc.bigInt({ min: 0n, max: 4n * 10n ** 14n }),
      // around perfect squares of 10·size + 1, where a rounded square root would be off by one
      fc.bigInt({ min: 1n, max: 63_245_553n }).map((r) => (r * r - 1n) / 10n),
      fc.bigInt({ min: 1n, max: 63_245_553n }).map((r) => (r * r + 9n) / 10n),
    ),
    fc.bigInt({ min: 0n, max: 2n ** 26n - 1n }),
    fc.bigInt({ min: 0n, max: 1_000_000n }),
  ],
  { numRuns: 2000 },
)('the double size premium equals sizePremiumRatio to the unit', (size, imf, base) => {
  expect(sizePremiumRatioDouble(Number(size), Number(imf), Number(base))).toBe(
    Number(sizePremiumRatio(size, imf, base)),
  );
});
