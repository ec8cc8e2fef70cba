/**
 * Lazy funding and interest-bearing balances over random command streams
 * (docs/funding-and-interest.md): fills between four accounts (some isolated), mark moves with a
 * keeper's pass that liquidates whatever is due, funding ticks, explicit `settle_funding`,
 * `accrue_interest` on the settlement asset, deposits, withdrawals and borrows.
 *
 * 1. After every command the money is conserved to the unit (INV-01, the funding pools included),
 *    no accrual ever books a negative protocol amount (the handler would throw), and each
 *    market's funding pool covers what its open positions would be credited if they settled now.
 *    At the end the journal (and a snapshot) replays to the same state hash.
 * 2. On streams whose funding claims are whole units, a lazy engine and an eager engine fed the
 *    same commands have the same margin for every account after every command, and the same
 *    balances once the lazy one settles everything.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertConserved } from '../../../test/support/conservation.ts';
import { FaultyJournal } from '../../../test/support/faulty-journal.ts';
import { propRuns, sequences } from '../../../test/support/prop.ts';
import { crossView, evaluate, isolatedView } from '../account/figures.ts';
import { pendingFundingQuote } from '../account/lazy-funding.ts';
import type { EngineConfigInput } from '../model/engine-config.ts';
import type { ReadonlyEngineState } from '../model/state.ts';
import { formatDecimal } from '../num/index.ts';
import { Engine } from './engine.ts';

const WHO = ['alice', 'bob', 'carol', 'dave'] as const;

function config(funding: 'eager' | 'lazy', interest: boolean): EngineConfigInput {
  return {
    settlementAsset: 'USDC',
    fundingSettlement: funding,
    assets: [
      {
        id: 'USDC',
        decimals: 6,
        ...(interest
          ? {
              interest: {
                baseRate: '0.01',
                optimalUtilization: '0.8',
                slope1: '0.04',
                slope2: '3',
                protocolShare: '0.15',
              },
            }
          : {}),
      },
      { id: 'BTC', decimals: 8, initialWeight: '0.8', maintenanceWeight: '0.9' },
    ],
    markets: [
      {
        id: 'BTC-PERP',
        kind: 'perpetual',
        base: 'BTC',
        stepSize: '0.001',
        tickSize: '1',
        margin: { kind: 'fixed', initialRatio: '0.1', maintenance: { ratio: '0.05' } },
        takerFee: '0.0005',
        makerFee: '0.0002',
        funding: { intervalMs: 1000, cap: '0.01', clamp: '0.01' },
      },
    ],
    liquidation: { lending: {}, dustNotional: '1' },
    backstop: { account: 'vault' },
    guards: { maxPriceMove: '0.5', maxFillDeviation: '0.1' },
  };
}

const step = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('fill' as const),
      buyer: fc.constantFrom(...WHO),
      seller: fc.constantFrom(...WHO),
      lots: fc.integer({ min: 1, max: 400 }),
      offsetBp: fc.integer({ min: -300, max: 300 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('move' as const), pct: fc.integer({ min: -12, max: 12 }) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('funding' as const),
      premiumPpm: fc.integer({ min: -3000, max: 3000 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('settle' as const), who: fc.constantFrom(...WHO) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('accrue' as const),
      ms: fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 90 * 86_400_000 })),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('withdraw' as const),
      who: fc.constantFrom(...WHO),
      units: fc.integer({ min: 1, max: 3_000_000_000 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('borrow' as const),
      who: fc.constantFrom(...WHO),
      units: fc.integer({ min: 1, max: 2_000_000_000 }),
    }),
  },
);
type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

/** Each market's funding pool holds at least what its open positions would be credited now. */
function assertPoolsCover(state: ReadonlyEngineState): void {
  for (const m of state.markets.values()) {
    let owed = 0n;
    for (const key of m.holders) {
      const p = state.subaccounts.get(key)!.positions.get(m.config.id)!;
      owed += pendingFundingQuote(state, m, p);
    }
    expect(m.fundingPool ?? 0n, `funding pool of ${m.config.id}`).toBeGreaterThanOrEqual(owed);
  }
}

const usd = (whole: number) => formatDecimal(BigInt(whole), 0);

/** Runs one step on an engine; mark moves are followed by a keeper's pass. Returns whether it was accepted. */
function run(
  e: Engine,
  s: Step,
  t: number,
  mark: { px: number; whole: boolean },
  after: () => void,
): boolean {
  switch (s.kind) {
    case 'fill': {
      if (s.buyer === s.seller) return false;
      return e.execute({
        type: 'fill',
        market: 'BTC-PERP',
        buyer: { account: s.buyer },
        seller: { account: s.seller },
        size: formatDecimal(BigInt(s.lots), 3),
        price: usd(Math.round((Math.round(mark.px) * (10_000 + s.offsetBp)) / 10_000)),
        timeMs: t,
      }).ok;
    }
    case 'move': {
      // `whole`: thousands of USD, so funding claims on 0.001 BTC lots are whole micro-USDC;
      // otherwise any dollar price with a few extra cents of premium below, so claims round
      const px = (mark.px * (100 + s.pct)) / 100;
      mark.px = Math.max(5_000, mark.whole ? Math.round(px / 1000) * 1000 : Math.round(px) + 0.37);
      const text = mark.whole ? usd(mark.px) : mark.px.toFixed(2).replace(/\.?0+$/, '');
      const ok = e.execute({ type: 'prices', timeMs: t, marks: { 'BTC-PERP': text } }).ok;
      after();
      for (const due of e.liquidatable()) {
        const iso = due.scope.kind === 'isolated' ? { isolatedMarket: due.scope.market } : {};
        e.execute({ type: 'liquidate', subaccount: due.ref, timeMs: t, ...iso });
        after();
      }
      return ok;
    }
    case 'funding':
      return e.execute({
        type: 'funding_tick',
        market: 'BTC-PERP',
        // whole ppm keeps claims whole on whole-thousand marks; otherwise a 9-digit premium
        premiumIndex: formatDecimal(BigInt(s.premiumPpm) * 1000n + (mark.whole ? 0n : 123n), 9),
        timeMs: t,
      }).ok;
    case 'settle':
      return e.execute({ type: 'settle_funding', subaccount: { account: s.who }, timeMs: t }).ok;
    case 'accrue':
      return e.execute({ type: 'accrue_interest', asset: 'USDC', elapsedMs: s.ms, timeMs: t }).ok;
    case 'withdraw':
      return e.execute({
        type: 'withdraw',
        from: { account: s.who },
        asset: 'USDC',
        amount: formatDecimal(BigInt(s.units), 6),
        timeMs: t,
      }).ok;
    case 'borrow':
      return e.execute({
        type: 'borrow',
        subaccount: { account: s.who },
        amount: formatDecimal(BigInt(s.units), 6),
        timeMs: t,
      }).ok;
  }
}

function open(e: Engine, deposits: number[], btc: number[], isolated: boolean[]): void {
  e.executeOrThrow({ type: 'prices', timeMs: 1, marks: { 'BTC-PERP': '60000' }, assets: { BTC: '60000' } });
  e.executeOrThrow({ type: 'deposit', to: { account: 'vault' }, asset: 'USDC', amount: '1000000' });
  for (const [i, who] of WHO.entries()) {
    e.executeOrThrow({
      type: 'deposit',
      to: { account: who },
      asset: 'USDC',
      amount: formatDecimal(BigInt(deposits[i]!), 6),
    });
    if (btc[i]! > 0)
      e.executeOrThrow({
        type: 'deposit',
        to: { account: who },
        asset: 'BTC',
        amount: formatDecimal(BigInt(btc[i]!), 8),
      });
    if (isolated[i])
      e.executeOrThrow({
        type: 'set_margin_mode',
        subaccount: { account: who },
        market: 'BTC-PERP',
        mode: 'isolated',
      });
  }
}

const equities = (e: Engine) =>
  WHO.map((w) => {
    const s = e.state.subaccounts.get(`${w}/0`)!;
    return (
      evaluate(e.state, crossView(s)).equityQuote +
      evaluate(e.state, isolatedView(e.state, s, 'BTC-PERP')).equityQuote
    );
  });

describe('lazy funding and interest over random streams', () => {
  it('conserve money to the unit after every command, keep the funding pool covering, and replay exactly', () => {
    const seen = { fills: 0, funding: 0, settles: 0, accruals: 0, liquidations: 0, protocol: 0n };
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 100_000_000, max: 20_000_000_000 }), { minLength: 4, maxLength: 4 }),
        fc.array(fc.integer({ min: 0, max: 50_000_000 }), { minLength: 4, maxLength: 4 }),
        fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
        sequences(step, 10, 60),
        (deposits, btc, isolated, steps) => {
          const journal = new FaultyJournal();
          const e = Engine.create(config('lazy', true), { journal });
          open(e, deposits, btc, isolated);
          e.onEvents((evs) => {
            for (const ev of evs) {
              if (ev.type === 'interest_accrued') {
                expect(ev.protocolAmount).toBeGreaterThanOrEqual(0n);
                expect(ev.interestPaid).toBe(ev.interestReceived + ev.protocolAmount);
                seen.protocol += ev.protocolAmount;
              }
              if (ev.type === 'liquidation_completed') seen.liquidations++;
            }
          });
          const check = () => {
            assertConserved(e.state);
            assertPoolsCover(e.state);
          };
          const mark = { px: 60_000, whole: false };
          let t = 1;
          for (const s of steps) {
            t += 1000;
            const ok = run(e, s, t, mark, check);
            if (ok && s.kind === 'fill') seen.fills++;
            if (ok && s.kind === 'funding') seen.funding++;
            if (ok && s.kind === 'settle') seen.settles++;
            if (ok && s.kind === 'accrue') seen.accruals++;
            check();
          }
          expect(Engine.open(journal).stateHash()).toBe(e.stateHash());
          e.snapshot();
          expect(Engine.open(journal).stateHash()).toBe(e.stateHash());
        },
      ),
      { numRuns: propRuns(30, 0.1), seed: 15 }, // fixed, so the coverage checks below see the same sample
    );
    expect(seen.fills).toBeGreaterThan(50);
    expect(seen.funding).toBeGreaterThan(20);
    expect(seen.settles).toBeGreaterThan(10);
    expect(seen.accruals).toBeGreaterThan(10);
    expect(seen.liquidations).toBeGreaterThan(0);
    expect(seen.protocol).toBeGreaterThan(0n);
  });

  it("lazy funding's margin equals eager funding's after every command, and its balances after settling", () => {
    let compared = 0;
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1_000_000_000, max: 20_000_000_000 }), { minLength: 4, maxLength: 4 }),
        sequences(
          step.filter(
            (s) => s.kind === 'fill' || s.kind === 'move' || s.kind === 'funding' || s.kind === 'settle',
          ),
          10,
          50,
        ),
        (deposits, steps) => {
          const lazy = Engine.create(config('lazy', false));
          const eager = Engine.create(config('eager', false));
          const none = [0, 0, 0, 0];
          const cross = [false, false, false, false];
          open(lazy, deposits, none, cross);
          open(eager, deposits, none, cross);
          const mLazy = { px: 60_000, whole: true };
          const mEager = { px: 60_000, whole: true };
          let t = 1;
          for (const s of steps) {
            t += 1000;
            const a = run(lazy, s, t, mLazy, () => {});
            const b = s.kind === 'settle' ? a : run(eager, s, t, mEager, () => {});
            expect(a, `${s.kind} accepted alike`).toBe(b);
            expect(equities(lazy)).toEqual(equities(eager));
            compared++;
          }
          for (const who of WHO)
            lazy.execute({ type: 'settle_funding', subaccount: { account: who }, timeMs: t });
          for (const who of WHO) {
            const bal = (e: Engine) => e.state.subaccounts.get(`${who}/0`)!.balances.get('USDC');
            expect(bal(lazy)).toBe(bal(eager));
          }
          assertConserved(lazy.state);
        },
      ),
      { numRuns: propRuns(25, 0.1), seed: 15 },
    );
    expect(compared).toBeGreaterThan(300);
  });
});
