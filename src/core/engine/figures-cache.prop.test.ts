/**
 * The cross-figures cache (account/figures-cache.ts) against the naive exact computation, on
 * random command streams: deposits (USDC and ETH collateral), withdrawals, plain fills and
 * fills of resting orders, orders placed, amended and cancelled, leverage caps, margin-mode
 * switches, ordinary price ticks and crashes/rallies of up to ±40 % (with a keeper's
 * liquidation pass after each move), on markets with fixed, bracket, size-premium,
 * open-interest-scaled and entry-based requirements (with Bybit's fee to close in cross maintenance)
 * and a positive-health haircut.
 *
 * After every step, for every subaccount: the cached cross figures equal `evaluate` on
 * `crossView`, field by field, and a hypothetical change in one market (a new position, its
 * orders replaced, a cash flow) computed incrementally equals the full evaluation of the same
 * view. Then the very same commands run on a second engine with the cache switched off: every
 * outcome (accepted or the rejection code) and the final state hash are the same.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ref, venueConfig } from '../../../test/support/fixtures.ts';
import { propRuns, sequences } from '../../../test/support/prop.ts';
import { crossView, evaluate } from '../account/figures.ts';
import {
  cachedCrossFigures,
  crossFiguresWithChange,
  crossFiguresWithOrder,
  naiveChange,
  setFiguresCacheEnabled,
} from '../account/figures-cache.ts';
import type { OrderLite } from '../account/open-orders.ts';
import type { ReadonlyEngineState } from '../model/state.ts';
import { Engine } from './engine.ts';

const WHO = ['alice', 'bob', 'carol', 'dave'] as const;
const M = ['M0', 'M1', 'M2', 'M3', 'M4'] as const;

const config = venueConfig({
  markets: [
    {
      id: 'M0',
      kind: 'perpetual',
      base: 'BTC',
      stepSize: '0.001',
      tickSize: '0.01',
      margin: { kind: 'fixed', initialRatio: '0.1', maintenance: { ratio: '0.05' } },
      positiveHealthWeight: { initial: '0.5', maintenance: '0.8' },
      takerFee: '0.0005',
      makerFee: '0.0002',
    },
    {
      id: 'M1',
      kind: 'perpetual',
      base: 'B1',
      stepSize: '0.001',
      tickSize: '0.01',
      margin: {
        kind: 'brackets',
        brackets: [
          { notionalCap: '500', maintenanceRatio: '0.01', initialRatio: '0.05' },
          { notionalCap: '2500', maintenanceRatio: '0.025', initialRatio: '0.05' },
          { maintenanceRatio: '0.1', initialRatio: '0.2' },
        ],
      },
      takerFee: '0.0005',
    },
    {
      id: 'M2',
      kind: 'perpetual',
      base: 'B2',
      stepSize: '0.001',
      tickSize: '0.01',
      margin: { kind: 'sqrtSize', initialRatio: '0.1', maintenance: { ratio: '0.05' }, imfFactor: '0.005' },
    },
    {
      id: 'M3',
      kind: 'perpetual',
      base: 'B3',
      stepSize: '0.001',
      tickSize: '0.01',
      requirementOn: 'entry',
      margin: { kind: 'fixed', initialRatio: '0.05', maintenance: { ratio: '0.03' } },
      // Bybit's fee to close in cross maintenance: a term that follows the scope's equity.
      takerFee: '0.00075',
      closeFeeInMaintenance: true,
    },
    {
      id: 'M4',
      kind: 'perpetual',
      base: 'B4',
      stepSize: '0.001',
      tickSize: '0.01',
      margin: {
        kind: 'openInterestScaled',
        initialRatio: '0.05',
        maintenance: { ratio: '0.03' },
        openInterestLowerCap: '500',
        openInterestUpperCap: '5000',
      },
    },
  ],
});

const who = fc.constantFrom(...WHO);
const market = fc.integer({ min: 0, max: M.length - 1 });
const step = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('fill' as const),
      market,
      a: who,
      b: who,
      steps: fc.integer({ min: 1, max: 30_000 }),
      named: fc.boolean(),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('place' as const),
      who,
      id: fc.integer({ min: 0, max: 9 }),
      market,
      buy: fc.boolean(),
      steps: fc.integer({ min: 1, max: 20_000 }),
      offsetBp: fc.integer({ min: -500, max: 500 }),
      reduceOnly: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('amend' as const),
      id: fc.integer({ min: 0, max: 9 }),
      steps: fc.integer({ min: 1, max: 20_000 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('cancel' as const), id: fc.integer({ min: 0, max: 9 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('move' as const),
      market,
      bp: fc.oneof(fc.integer({ min: -200, max: 200 }), fc.integer({ min: -4000, max: 4000 })),
      eth: fc.integer({ min: -3000, max: 3000 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('deposit' as const),
      who,
      eth: fc.boolean(),
      amount: fc.integer({ min: 1, max: 5_000 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('withdraw' as const),
      who,
      amount: fc.integer({ min: 1, max: 5_000 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('leverage' as const),
      who,
      market,
      lev: fc.option(fc.integer({ min: 1, max: 50 })),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('mode' as const), who, market, isolated: fc.boolean() }),
  },
);
type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

const markOf = (e: Engine, m: string) => Number(e.state.markets.get(m)!.markPx8!) / 1e8;
const px = (x: number) => (Math.max(1, Math.round(x * 100)) / 100).toFixed(2);

function toCommand(e: Engine, s: Step, t: number): Record<string, unknown> | undefined {
  switch (s.kind) {
    case 'fill': {
      if (s.a === s.b) return undefined;
      const m = M[s.market]!;
      const resting = s.named
        ? [...e.state.orders.values()].find((o) => o.market === m && !o.sub.startsWith(`${s.b}/`))
        : undefined;
      if (resting !== undefined) {
        const owner = ref(resting.sub.split('/')[0]!);
        const other = ref(resting.sub.startsWith(`${s.a}/`) ? s.b : s.a);
        const size = ((Number(resting.size) / 1e9) * Math.min(1, s.steps / 10_000)).toFixed(3);
        if (Number(size) <= 0) return undefined;
        return {
          type: 'fill',
          market: m,
          buyer: resting.side === 'buy' ? owner : other,
          seller: resting.side === 'buy' ? other : owner,
          size,
          price: (Number(resting.pricePx8) / 1e8).toFixed(2),
          [resting.side === 'buy' ? 'buyOrderId' : 'sellOrderId']: resting.id,
          timeMs: t,
        };
      }
      return {
        type: 'fill',
        market: m,
        buyer: ref(s.a),
        seller: ref(s.b),
        size: (s.steps / 1000).toFixed(3),
        price: px(markOf(e, m)),
        taker: 'buyer',
        timeMs: t,
      };
    }
    case 'place': {
      const m = M[s.market]!;
      return {
        type: 'place_order',
        orderId: `o${s.id}`,
        subaccount: ref(s.who),
        market: m,
        side: s.buy ? 'buy' : 'sell',
        size: (s.steps / 1000).toFixed(3),
        price: px(markOf(e, m) * (1 + s.offsetBp / 10_000)),
        reduceOnly: s.reduceOnly,
      };
    }
    case 'amend':
      return { type: 'amend_order', orderId: `o${s.id}`, size: (s.steps / 1000).toFixed(3) };
    case 'cancel':
      return { type: 'cancel_order', orderId: `o${s.id}` };
    case 'move': {
      const m = M[s.market]!;
      const eth = Number(e.state.assetPricesPx8.get('ETH')!) / 1e8;
      return {
        type: 'prices',
        timeMs: t,
        marks: { [m]: px(markOf(e, m) * (1 + s.bp / 10_000)) },
        assets: { ETH: px(eth * (1 + s.eth / 10_000)) },
      };
    }
    case 'deposit':
      return s.eth
        ? { type: 'deposit', to: ref(s.who), asset: 'ETH', amount: (s.amount / 3000).toFixed(6) }
        : { type: 'deposit', to: ref(s.who), asset: 'USDC', amount: String(s.amount) };
    case 'withdraw':
      return { type: 'withdraw', from: ref(s.who), asset: 'USDC', amount: String(s.amount) };
    case 'leverage':
      return {
        type: 'set_leverage',
        subaccount: ref(s.who),
        market: M[s.market]!,
        maxLeverage: s.lev === null ? null : String(s.lev),
      };
    case 'mode':
      return {
        type: 'set_margin_mode',
        subaccount: ref(s.who),
        market: M[s.market]!,
        mode: s.isolated ? 'isolated' : 'cross',
      };
  }
}

/** Cached figures equal the naive ones for every subaccount, and so do hypothetical changes. */
function assertCacheExact(state: ReadonlyEngineState, probe: number): void {
  let k = probe;
  for (const sub of state.subaccounts.values()) {
    let naive: ReturnType<typeof evaluate>;
    try {
      naive = evaluate(state, crossView(sub));
    } catch {
      expect(() => cachedCrossFigures(state, sub)).toThrow();
      continue;
    }
    expect(cachedCrossFigures(state, sub)).toEqual(naive);
    // one hypothetical change per subaccount: a position in one market, maybe its orders too
    const m = M[k % M.length]!;
    const held = sub.positions.get(m);
    // a hypothetical extra order (the pre-trade check, place_order): any side, size, price, reduce-only
    const extra: OrderLite = {
      id: 'extra',
      market: m,
      side: k % 2 === 0 ? 'buy' : 'sell',
      size: BigInt(1 + ((k * 104_729) % 5_000)) * 1_000_000n,
      pricePx8: BigInt(9_000 + ((k * 7_907) % 2_001)) * 1_000_000n,
      reduceOnly: k % 5 === 4,
    };
    const resting = [...(state.ordersBySub.get(sub.key)?.values() ?? [])].filter((o) => o.market === m);
    expect(crossFiguresWithOrder(state, sub, extra)).toEqual(
      naiveChange(state, sub, m, undefined, [...resting, extra], 0n),
    );
    if (held?.isolated) continue; // the fill path takes the isolated branch, not this one
    const size = (held?.size ?? 0n) + BigInt(((k * 7919) % 20_001) - 10_000) * 1_000_000n;
    const next = { market: m, size, entryValue: size * 100n * 1000n + BigInt(k % 997) };
    const mine: OrderLite[] = [...(state.ordersBySub.get(sub.key)?.values() ?? [])].filter(
      (o) => o.market === m,
    );
    const orders =
      k % 3 === 0
        ? [
            ...mine.slice(1),
            {
              id: 'x',
              market: m,
              side: 'buy' as const,
              size: 5_000_000n,
              pricePx8: 9_900_000_000n,
              reduceOnly: false,
            },
          ]
        : undefined;
    const delta = BigInt((k * 31) % 1000) * 1000n - 400_000n;
    for (const n of [next, undefined])
      expect(crossFiguresWithChange(state, sub, m, n, orders, delta)).toEqual(
        naiveChange(state, sub, m, n, orders, delta),
      );
    k += 1;
  }
}

type Outcome = string;

function run(steps: Step[], deposits: number[], check: boolean, commands?: unknown[]) {
  const e = Engine.create(config);
  const marks = Object.fromEntries(M.map((m) => [m, '100']));
  e.executeOrThrow({ type: 'prices', timeMs: 2, marks, assets: { ETH: '3000', BTC: '60000' } });
  e.executeOrThrow({ type: 'deposit', to: ref('backstop'), asset: 'USDC', amount: '10000000' });
  for (const [i, w] of WHO.entries())
    e.executeOrThrow({ type: 'deposit', to: ref(w), asset: 'USDC', amount: String(deposits[i]) });
  const issued: unknown[] = [];
  const outcomes: Outcome[] = [];
  const exec = (c: unknown) => {
    issued.push(c);
    const r = e.execute(c);
    outcomes.push(r.ok ? 'ok' : r.rejection.code);
    if (check) assertCacheExact(e.state, outcomes.length);
  };
  if (commands !== undefined) for (const c of commands) exec(c);
  else {
    let t = 10;
    for (const s of steps) {
      t += 1000;
      const c = toCommand(e, s, t);
      if (c === undefined) continue;
      exec(c);
      if (s.kind === 'move')
        for (const due of e.liquidatable()) {
          const isolated = due.scope.kind === 'isolated' ? { isolatedMarket: due.scope.market } : {};
          exec({ type: 'liquidate', subaccount: due.ref, timeMs: t, ...isolated });
        }
    }
  }
  return { issued, outcomes, hash: e.stateHash() };
}

describe('cross-figures cache', () => {
  afterEach(() => setFiguresCacheEnabled(true));

  it('equals the naive exact figures after every command, and the engine decides the same without it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 200, max: 30_000 }), { minLength: WHO.length, maxLength: WHO.length }),
        sequences(step, 10, 60),
        (deposits, steps) => {
          setFiguresCacheEnabled(true);
          const cached = run(steps, deposits, true);
          expect(cached.outcomes.filter((o) => o === 'ok').length).toBeGreaterThan(0);
          setFiguresCacheEnabled(false);
          const naive = run([], deposits, false, cached.issued);
          setFiguresCacheEnabled(true);
          expect(naive.outcomes).toEqual(cached.outcomes);
          expect(naive.hash).toBe(cached.hash);
        },
      ),
      { numRuns: propRuns(40, 0.2) },
    );
  });
});
