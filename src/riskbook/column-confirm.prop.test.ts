/**
 * The confirmation inputs the risk book and the bound index keep in typed columns stay in step
 * with the state, and the decisions taken from them are the exact ones.
 *
 * A bound index decides most candidates from its rows' copies of each scope's exact inputs
 * (settlement cash, sizes, entry values, collateral balance × weight) and the book decides the
 * rest from its own columns, without reading the subaccount. Those copies are refreshed only
 * through the engine's events. Over random command sequences — fills between traders (opening,
 * adding, reducing, flipping), deposits and withdrawals of USDC, BTC and stETH, transfers,
 * margin mode switches, isolated margin moves, e-mode entries, funding ticks, price moves and
 * crashes, and keeper liquidation rounds — after every command:
 *  - every row the index may decide from holds exactly the inputs read afresh from the state
 *    (a naive reference written here, not the book's code), and so does every book scope;
 *  - every decision the rows or the columns take (liquidatable or not; "unsure" defers) is
 *    the exact one: equity < maintenance margin from `evaluate`;
 *  - the index's answer equals `engine.liquidatable()`, order included.
 * It runs with and without rebasing (rows rebuilt after almost every tick, or never).
 */
import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { crossView, evaluate, isolatedView, maintenanceView, type Scope } from '../core/account/figures.ts';
import { assetWeightPpm } from '../core/collateral/weights.ts';
import type { Engine } from '../core/engine/engine.ts';
import type { ReadonlyEngineState } from '../core/model/state.ts';
import { PPM } from '../core/num/index.ts';
import { LIQUIDATABLE, NOT_LIQUIDATABLE, UNSURE } from './certified-maintenance.ts';
import { LiquidationBoundIndex } from './liquidation-bound-index.ts';
import {
  accountArb,
  LOW_EMODE,
  MARKET_SPEC,
  MARKETS,
  populate,
  priceMove,
  riskVenue,
} from './riskbook.testkit.ts';
import type { ColumnInputs } from './riskbook.ts';

const RUNS = Number(process.env.PROP_RUNS ?? 25);

const account = accountArb(4);
const factor = fc.integer({ min: 700_000, max: 1_300_000 });
const who = fc.integer({ min: 0, max: 30 });

type Cmd =
  | { k: 'fill'; a: number; b: number; market: number; steps: number }
  | { k: 'deposit'; a: number; asset: number; amount: number }
  | { k: 'withdraw'; a: number; asset: number; amount: number }
  | { k: 'transfer'; a: number; b: number; amount: number }
  | { k: 'mode'; a: number; market: number; isolated: boolean }
  | { k: 'isoMargin'; a: number; market: number; amount: number }
  | { k: 'emode'; a: number; on: boolean }
  | { k: 'funding'; market: number; premium: number }
  | { k: 'move'; markets: number[]; btc: number; eth: number; stethRate: number }
  | { k: 'crash'; f: number; up: boolean[] }
  | { k: 'liquidate' };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant('fill' as const),
      a: who,
      b: who,
      market: fc.nat(3),
      steps: fc.integer({ min: -400, max: 400 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('deposit' as const),
      a: who,
      asset: fc.nat(2),
      amount: fc.integer({ min: 1, max: 5_000 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('withdraw' as const),
      a: who,
      asset: fc.nat(2),
      amount: fc.integer({ min: 1, max: 5_000 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('transfer' as const),
      a: who,
      b: who,
      amount: fc.integer({ min: 1, max: 3_000 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('mode' as const),
      a: who,
      market: fc.nat(3),
      isolated: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('isoMargin' as const),
      a: who,
      market: fc.nat(3),
      amount: fc.integer({ min: -500, max: 500 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('emode' as const), a: who, on: fc.boolean() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('funding' as const),
      market: fc.nat(3),
      premium: fc.integer({ min: -5_000, max: 5_000 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('move' as const),
      markets: fc.array(factor, { minLength: MARKETS.length, maxLength: MARKETS.length }),
      btc: factor,
      eth: factor,
      stethRate: fc.integer({ min: 950_000, max: 1_050_000 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('crash' as const),
      f: fc.integer({ min: 600_000, max: 950_000 }),
      up: fc.array(fc.boolean(), { minLength: MARKETS.length, maxLength: MARKETS.length }),
    }),
  },
  { weight: 2, arbitrary: fc.constant({ k: 'liquidate' as const }) },
);

const ASSETS = ['USDC', 'BTC', 'stETH'] as const;
const ASSET_UNIT = { USDC: 1, BTC: 0.0001, stETH: 0.001 } as const;

/** A price on the market's tick near its mark (a fill there moves no one's equity much). */
function markPrice(engine: Engine, market: string): string {
  const mark = engine.state.markets.get(market)!.markPx8!;
  const tick = BigInt(Math.round(Number(MARKET_SPEC[market as (typeof MARKETS)[number]].tick) * 1e8));
  const px = ((mark / tick) * tick).toString().padStart(9, '0');
  return `${px.slice(0, -8)}.${px.slice(-8)}`;
}

function run(engine: Engine, c: Cmd, t: number, accounts: number): void {
  const ref = (i: number) => ({ account: `t${i % accounts}` });
  switch (c.k) {
    case 'fill': {
      const market = MARKETS[c.market]!;
      if (c.steps === 0 || c.a % accounts === c.b % accounts) return;
      const size = (Math.abs(c.steps) * Number(MARKET_SPEC[market].step)).toFixed(9);
      const [buyer, seller] = c.steps > 0 ? [ref(c.a), ref(c.b)] : [ref(c.b), ref(c.a)];
      engine.execute({ type: 'fill', market, buyer, seller, size, price: markPrice(engine, market) });
      return;
    }
    case 'deposit':
    case 'withdraw': {
      const asset = ASSETS[c.asset]!;
      const amount = (c.amount * ASSET_UNIT[asset]).toFixed(6);
      if (c.k === 'deposit') engine.execute({ type: 'deposit', to: ref(c.a), asset, amount, timeMs: t });
      else engine.execute({ type: 'withdraw', from: ref(c.a), asset, amount, timeMs: t });
      return;
    }
    case 'transfer':
      engine.execute({
        type: 'transfer',
        from: ref(c.a),
        to: ref(c.b),
        asset: 'USDC',
        amount: String(c.amount),
        timeMs: t,
      });
      return;
    case 'mode':
      engine.execute({
        type: 'set_margin_mode',
        subaccount: ref(c.a),
        market: MARKETS[c.market]!,
        mode: c.isolated ? 'isolated' : 'cross',
      });
      return;
    case 'isoMargin':
      engine.execute({
        type: 'adjust_isolated_margin',
        subaccount: ref(c.a),
        market: MARKETS[c.market]!,
        amount: String(c.amount),
        timeMs: t,
      });
      return;
    case 'emode':
      engine.execute({ type: 'set_emode', subaccount: ref(c.a), category: c.on ? 1 : 0 });
      return;
    case 'funding':
      engine.execute({
        type: 'funding_tick',
        market: MARKETS[c.market]!,
        timeMs: t,
        premiumIndex: (c.premium / 1e6).toFixed(6),
      });
      return;
    case 'move':
      engine.execute(priceMove(engine, c, t));
      return;
    case 'crash': {
      const markets = c.up.map((u) => (u ? Math.min(2_000_000 - c.f, 1_300_000) : c.f));
      engine.execute(priceMove(engine, { markets, btc: c.f, eth: c.f, stethRate: 1_000_000 }, t));
      return;
    }
    case 'liquidate':
      for (const x of engine.liquidatable()) {
        engine.execute({
          type: 'liquidate',
          subaccount: x.ref,
          isolatedMarket: x.scope.kind === 'isolated' ? x.scope.market : undefined,
          timeMs: t,
        });
      }
      return;
  }
}

/**
 * The inputs of every scope with positions, read afresh from the state (the naive reference):
 * cash = Number(settlement balance) or Number(isolated margin); per non-settlement balance
 * Number(balance) × Number(the subaccount's maintenance weight); per non-zero position its size
 * and Number(entry value). Keyed `key|market` ('' for cross).
 */
function reference(state: ReadonlyEngineState): Map<string, ColumnInputs> {
  const out = new Map<string, ColumnInputs>();
  const settlement = state.settlement.id;
  for (const [key, sub] of state.subaccounts) {
    const cross: ColumnInputs['positions'][number][] = [];
    for (const p of sub.positions.values()) {
      if (p.size === 0n) continue;
      const pos = { market: p.market, size: Number(p.size), entry: Number(p.entryValue) };
      if (!p.isolated) cross.push(pos);
      else
        out.set(`${key}|${p.market}`, {
          key,
          scope: { kind: 'isolated', market: p.market },
          cash: Number(p.isolatedMargin),
          collateral: [],
          positions: [pos],
        });
    }
    if (cross.length === 0) continue;
    const collateral: { asset: string; value: number }[] = [];
    for (const [asset, balance] of sub.balances) {
      if (asset === settlement || balance === 0n) continue;
      const w = assetWeightPpm(state.config, sub, state.assets.get(asset)!, 'maintenance');
      collateral.push({ asset, value: balance > 0n && w <= PPM ? Number(balance) * Number(w) : Number.NaN });
    }
    out.set(`${key}|`, {
      key,
      scope: { kind: 'cross' },
      cash: Number(sub.balances.get(settlement) ?? 0n),
      collateral,
      positions: cross,
    });
  }
  return out;
}

const name = (key: string, scope: Scope) => `${key}|${scope.kind === 'cross' ? '' : scope.market}`;
const sorted = (x: ColumnInputs) => ({
  ...x,
  collateral: [...x.collateral].sort((a, b) => (a.asset < b.asset ? -1 : 1)),
  positions: [...x.positions].sort((a, b) => (a.market < b.market ? -1 : 1)),
});

function exactLiquidatable(state: ReadonlyEngineState, key: string, scope: Scope): boolean {
  const sub = state.subaccounts.get(key)!;
  const view = scope.kind === 'cross' ? crossView(sub) : isolatedView(state, sub, scope.market);
  const f = evaluate(state, maintenanceView(view));
  return f.equityQuote < f.maintenanceMarginQuote;
}

function expectInStep(engine: Engine, index: LiquidationBoundIndex): void {
  const state = engine.state;
  const ref = reference(state);
  const book = index.book;
  // The book's columns: every scope it may decide from.
  for (let s = 0; s < book.scopeHigh; s++) {
    if (!book.hasPositions(s)) continue;
    const mine = book.columnInputs(s);
    if (mine === undefined) continue;
    expect(sorted(mine), `book ${name(mine.key, mine.scope)}`).toEqual(
      sorted(ref.get(name(mine.key, mine.scope))!),
    );
    const d = book.columnDecisionAt(state, s);
    if (d !== UNSURE) expect(d === LIQUIDATABLE).toBe(exactLiquidatable(state, mine.key, mine.scope));
  }
  // The index's rows: every row a tick would decide from.
  for (const row of index.rowInputs(state)) {
    const { decision, ...inputs } = row;
    expect(sorted(inputs), `row ${name(row.key, row.scope)}`).toEqual(
      sorted(ref.get(name(row.key, row.scope))!),
    );
    if (decision !== UNSURE)
      expect(decision === LIQUIDATABLE, name(row.key, row.scope)).toBe(
        exactLiquidatable(state, row.key, row.scope),
      );
  }
  expect(index.liquidatable(state)).toEqual(engine.liquidatable());
}

/** Row decisions seen over all runs (unsure, not liquidatable, liquidatable). */
const decided = [0, 0, 0];

for (const rebase of [false, true]) {
  test.prop(
    [fc.array(account, { minLength: 2, maxLength: 16 }), fc.array(cmd, { minLength: 1, maxLength: 30 })],
    {
      numRuns: RUNS,
    },
  )(
    `rows and columns stay in step and decide exactly after every command (${rebase ? 'rebased each tick' : 'never rebased'})`,
    (accounts, cmds) => {
      const engine = riskVenue({ eModeCategories: [LOW_EMODE] });
      populate(engine, accounts);
      const index = new LiquidationBoundIndex(engine, { autoRebaseAbove: rebase ? 1 : 0 });
      expectInStep(engine, index);
      let t = 10;
      for (const c of cmds) {
        t += 1_000;
        run(engine, c, t, accounts.length);
        expectInStep(engine, index);
        for (const r of index.rowInputs(engine.state)) decided[r.decision + 1]! += 1;
      }
    },
  );
}

test('the property runs above saw rows decide both ways', () => {
  expect(decided[NOT_LIQUIDATABLE + 1]).toBeGreaterThan(0);
  expect(decided[LIQUIDATABLE + 1]).toBeGreaterThan(0);
});

test('the decisions the rows take include both answers', () => {
  const engine = riskVenue();
  populate(engine, [
    {
      usdc: 1_000,
      btcMilli: 0,
      stethCenti: 0,
      legs: [{ market: 0, isolated: false, long: true, leverage10: 80 }],
    },
    {
      usdc: 1_000,
      btcMilli: 10,
      stethCenti: 0,
      legs: [{ market: 1, isolated: true, long: false, leverage10: 20 }],
    },
  ]);
  const index = new LiquidationBoundIndex(engine, { autoRebaseAbove: 0 });
  engine.executeOrThrow(
    priceMove(
      engine,
      {
        markets: [800_000, 1_000_000, 1_000_000, 1_000_000],
        btc: 1_000_000,
        eth: 1_000_000,
        stethRate: 1_000_000,
      },
      20,
    ),
  );
  const decisions = index.rowInputs(engine.state).map((r) => r.decision);
  expect(decisions).toContain(LIQUIDATABLE);
  expect(decisions).toContain(NOT_LIQUIDATABLE);
  expect(index.liquidatable(engine.state)).toEqual(engine.liquidatable());
  expect(index.stats.decidedFromRows).toBeGreaterThan(0);
});
