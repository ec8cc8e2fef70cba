/**
 * Resting orders over random streams (docs/orders.md): orders placed, amended, cancelled and
 * filled (named or not) among price moves, withdrawals and liquidation attempts. After every
 * step money is conserved (INV-01) and the order index agrees with the book; every
 * `place_order` is decided by `checkOrder` exactly as `execute` decides it (same ok, same
 * code, and an accepted order's "after" figures are the state's figures after it); reduce-only
 * orders never exceed the position they close; after every price move a keeper's pass
 * liquidates the scopes that are due and their orders are gone; and the journal replays to
 * the same state hash.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertConserved } from '../../../test/support/conservation.ts';
import { FaultyJournal } from '../../../test/support/faulty-journal.ts';
import { newVenue, ref } from '../../../test/support/fixtures.ts';
import { propRuns, sequences } from '../../../test/support/prop.ts';
import { crossView, evaluate } from '../account/figures.ts';
import type { ReadonlyEngineState } from '../model/state.ts';
import { formatDecimal } from '../num/index.ts';
import { Engine } from './engine.ts';
import { checkOrder } from './order-check.ts';

const WHO = ['alice', 'bob', 'carol'] as const;
const MARKETS = [
  { id: 'BTC-PERP', step: 0.001, tick: 0.1, mark: 60_000 },
  { id: 'ETH-PERP', step: 0.01, tick: 0.01, mark: 3_000 },
] as const;

const step = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('place' as const),
      who: fc.constantFrom(...WHO),
      id: fc.integer({ min: 0, max: 7 }),
      market: fc.constantFrom(0, 1),
      side: fc.constantFrom('buy' as const, 'sell' as const),
      steps: fc.integer({ min: 1, max: 1500 }),
      offsetBp: fc.integer({ min: -300, max: 300 }),
      reduceOnly: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('amend' as const),
      id: fc.integer({ min: 0, max: 7 }),
      steps: fc.option(fc.integer({ min: 1, max: 400 })),
      offsetBp: fc.option(fc.integer({ min: -300, max: 300 })),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('cancel' as const), id: fc.integer({ min: 0, max: 7 }) }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('fill' as const),
      pick: fc.nat(),
      named: fc.constantFrom('order', 'order', 'plain'),
      other: fc.constantFrom(1, 2),
      share: fc.integer({ min: 1, max: 100 }),
      taker: fc.constantFrom('buyer' as const, 'seller' as const),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('move' as const),
      btcBp: fc.integer({ min: -1500, max: 1500 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('withdraw' as const),
      who: fc.constantFrom(...WHO),
      amount: fc.integer({ min: 1, max: 3_000 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('liquidate' as const), who: fc.constantFrom(...WHO) }),
  },
);
type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

const decimal = (units: number, unit: number, decimals: number) => (units * unit).toFixed(decimals);
const markOf = (e: Engine, i: number) => Number(e.state.markets.get(MARKETS[i]!.id)!.markPx8!) / 1e8;
/** A limit price `offsetBp` basis points from the mark, on the tick. */
function limit(e: Engine, i: number, offsetBp: number): string {
  const m = MARKETS[i]!;
  const ticks = Math.max(1, Math.round((markOf(e, i) * (1 + offsetBp / 10_000)) / m.tick));
  return decimal(ticks, m.tick, 2);
}

function toCommand(e: Engine, s: Step, t: number): Record<string, unknown> | undefined {
  switch (s.kind) {
    case 'place': {
      const m = MARKETS[s.market]!;
      return {
        type: 'place_order',
        orderId: `o${s.id}`,
        subaccount: ref(s.who),
        market: m.id,
        side: s.side,
        size: decimal(s.steps, m.step, 3),
        price: limit(e, s.market, s.offsetBp),
        reduceOnly: s.reduceOnly,
      };
    }
    case 'amend': {
      const o = e.state.orders.get(`o${s.id}`);
      const i = o?.market === 'ETH-PERP' ? 1 : 0;
      return {
        type: 'amend_order',
        orderId: `o${s.id}`,
        ...(s.steps !== null ? { size: decimal(s.steps, MARKETS[i]!.step, 3) } : {}),
        ...(s.offsetBp !== null ? { price: limit(e, i, s.offsetBp) } : {}),
      };
    }
    case 'cancel':
      return { type: 'cancel_order', orderId: `o${s.id}` };
    case 'fill': {
      const orders = [...e.state.orders.values()];
      if (orders.length === 0) return undefined;
      const o = orders[s.pick % orders.length]!;
      const ownerName = o.sub.split('/')[0]!;
      const owner = ref(ownerName);
      const other = ref(WHO[(WHO.indexOf(ownerName as (typeof WHO)[number]) + s.other) % WHO.length]!);
      const i = o.market === 'ETH-PERP' ? 1 : 0;
      const stepQty9 = BigInt(Math.round(MARKETS[i]!.step * 1e9));
      const units = ((o.size / stepQty9) * BigInt(s.share) + 99n) / 100n;
      const size = formatDecimal((units > 0n ? units : 1n) * stepQty9, 9);
      const price = formatDecimal(o.pricePx8, 8);
      const named = s.named === 'order' ? { [o.side === 'buy' ? 'buyOrderId' : 'sellOrderId']: o.id } : {};
      const [buyer, seller] = o.side === 'buy' ? [owner, other] : [other, owner];
      return {
        type: 'fill',
        market: o.market,
        buyer,
        seller,
        size,
        price,
        taker: s.taker,
        timeMs: t,
        ...named,
      };
    }
    case 'move': {
      const px = Math.max(1000, Math.round(markOf(e, 0) * (1 + s.btcBp / 10_000)));
      return { type: 'prices', timeMs: t, marks: { 'BTC-PERP': String(px) }, assets: { BTC: String(px) } };
    }
    case 'withdraw':
      return { type: 'withdraw', from: ref(s.who), asset: 'USDC', amount: String(s.amount) };
    case 'liquidate': {
      // a scope that is liquidatable when there is one, so the step is not always refused
      const due = e.liquidatable()[0];
      if (due === undefined) return { type: 'liquidate', subaccount: ref(s.who), timeMs: t };
      const isolated = due.scope.kind === 'isolated' ? { isolatedMarket: due.scope.market } : {};
      return { type: 'liquidate', subaccount: due.ref, timeMs: t, ...isolated };
    }
  }
}

function assertBookConsistent(state: ReadonlyEngineState): void {
  let indexed = 0;
  for (const [key, mine] of state.ordersBySub) {
    expect(mine.size).toBeGreaterThan(0);
    for (const [id, o] of mine) {
      expect(state.orders.get(id)).toBe(o);
      expect(o.sub).toBe(key);
      expect(o.size).toBeGreaterThan(0n);
      indexed += 1;
    }
    // reduce-only orders of a market close at most its position, on the closing side
    const sub = state.subaccounts.get(key)!;
    const reduceOnly = new Map<string, bigint>();
    for (const o of mine.values()) {
      if (!o.reduceOnly) continue;
      const p = sub.positions.get(o.market)?.size ?? 0n;
      expect(o.side === 'sell' ? p > 0n : p < 0n).toBe(true);
      reduceOnly.set(o.market, (reduceOnly.get(o.market) ?? 0n) + o.size);
      expect(reduceOnly.get(o.market)!).toBeLessThanOrEqual(p < 0n ? -p : p);
    }
  }
  expect(indexed).toBe(state.orders.size);
}

describe('resting orders over random streams', () => {
  it('conserve money, keep the book consistent, replay exactly, and checkOrder decides as place_order does', () => {
    fc.assert(
      fc.property(
        fc.tuple(
          fc.integer({ min: 100, max: 20_000 }),
          fc.integer({ min: 100, max: 20_000 }),
          fc.integer({ min: 100, max: 20_000 }),
        ),
        sequences(step, 10, 60),
        (deposits, steps) => {
          const journal = new FaultyJournal();
          const e = newVenue({ journal });
          for (const [i, who] of WHO.entries())
            e.executeOrThrow({ type: 'deposit', to: ref(who), asset: 'USDC', amount: String(deposits[i]) });
          let t = 10;
          for (const s of steps) {
            t += 1000;
            const c = toCommand(e, s, t);
            if (c === undefined) continue;
            if (c.type === 'place_order') {
              const { type: _type, ...fields } = c;
              const check = checkOrder(e.state, fields as Parameters<typeof checkOrder>[1]);
              const hash = e.stateHash();
              expect(e.stateHash()).toBe(hash); // the check changed nothing
              const r = e.execute(c);
              expect(check.ok).toBe(r.ok);
              if (!check.ok && !r.ok) expect(check.rejection.code).toBe(r.rejection.code);
              if (check.ok && r.ok) {
                const f = evaluate(
                  e.state,
                  crossView(e.state.subaccounts.get(`${(c.subaccount as { account: string }).account}/0`)!),
                );
                expect(check.after.freeCollateral).toBe(formatDecimal(f.freeCollateralQuote, 6));
                expect(check.after.openOrderInitialMargin).toBe(
                  formatDecimal(f.openOrderInitialMarginQuote, 6),
                );
              }
            } else e.execute(c);
            assertConserved(e.state);
            assertBookConsistent(e.state);
            if (s.kind === 'move') {
              // a keeper's pass: one step on every scope that is due (its orders are cancelled first)
              for (const due of e.liquidatable()) {
                const isolated = due.scope.kind === 'isolated' ? { isolatedMarket: due.scope.market } : {};
                const rr = e.execute({ type: 'liquidate', subaccount: due.ref, timeMs: t, ...isolated });
                if (rr.ok) {
                  // the liquidatee's orders in the scope are gone (a cross step cancels all of them)
                  const key = `${due.ref.account}/${due.ref.sub}`;
                  const left = [...(e.state.ordersBySub.get(key)?.values() ?? [])];
                  const market = due.scope.kind === 'isolated' ? due.scope.market : undefined;
                  expect(left.filter((o) => market === undefined || o.market === market)).toEqual([]);
                }
                assertConserved(e.state);
                assertBookConsistent(e.state);
              }
            }
          }
          expect(Engine.open(journal).stateHash()).toBe(e.stateHash());
        },
      ),
      { numRuns: propRuns(40, 0.1) },
    );
  });
});
