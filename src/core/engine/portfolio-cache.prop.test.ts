/**
 * The cross-figures cache on portfolio-margin subaccounts (account/figures-cache.ts keeps their
 * additive terms and their book's risk-matrix rows, portfolio-scope.ts PortfolioScopeRows),
 * against the naive full recomputation, on random command streams: fills in perpetuals and in
 * BTC and ETH options (calls and puts sharing strikes, so the vol a pair shares changes with a
 * trade), option re-marks at new vols, moves of the underlyings with the clock advancing (time
 * to expiry), deposits of ETH (a non-settlement balance is an exposure in the scenarios),
 * withdrawals, switches in and out of portfolio margin, and a keeper's liquidation pass after
 * each move.
 *
 * After every step, for every subaccount: the cached figures equal `evaluate` on `crossView`
 * field by field, and a hypothetical trade in each market (the pre-trade check) computed from
 * the cached rows equals the full evaluation of the same view, and so does an order check (the
 * market's resting orders replaced, the book unchanged). The same commands then run with
 * the cache off: every outcome and the final state hash are the same.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ref, venueConfig } from '../../../test/support/fixtures.ts';
import { propRuns, sequences } from '../../../test/support/prop.ts';
import { crossView, evaluate } from '../account/figures.ts';
import {
  cachedCrossFigures,
  crossFiguresWithChange,
  naiveChange,
  setFiguresCacheEnabled,
} from '../account/figures-cache.ts';
import type { MarketConfigInput } from '../model/config.ts';
import type { ReadonlyEngineState } from '../model/state.ts';
import { portfolioPreset } from '../portfolio/scenarios.ts';
import { black76Price, yearFraction } from '../pricing/black76.ts';
import { Engine } from './engine.ts';

const WHO = ['alice', 'bob', 'carol'] as const;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 25);
const EXPIRIES = [T0 + 20 * DAY, T0 + 60 * DAY];
const OPTIONS: MarketConfigInput[] = [];
for (const [base, strikes] of [
  ['BTC', [90_000, 100_000, 110_000]],
  ['ETH', [3_600, 4_000]],
] as const)
  for (const expiryMs of EXPIRIES)
    for (const strike of strikes)
      for (const right of ['call', 'put'] as const)
        OPTIONS.push({
          id: `${base}-${expiryMs}-${strike}-${right}`,
          kind: 'option',
          base,
          stepSize: '0.01',
          expiryMs,
          option: { underlying: `${base}-PERP`, right, strike: String(strike) },
          margin: { kind: 'standardOption' },
        });
const base = venueConfig();
const config = {
  ...base,
  markets: [...(base.markets ?? []), ...OPTIONS],
  guards: { maxFillDeviation: '10' },
  portfolio: { model: 'crypto-pm' as const },
};
const M = ['BTC-PERP', 'ETH-PERP', ...OPTIONS.map((o) => o.id)];

const who = fc.constantFrom(...WHO);
const market = fc.integer({ min: 0, max: M.length - 1 });
const step = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('fill' as const),
      market,
      a: who,
      b: who,
      steps: fc.integer({ min: 1, max: 3_000 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('move' as const),
      eth: fc.boolean(),
      bp: fc.oneof(fc.integer({ min: -200, max: 200 }), fc.integer({ min: -3000, max: 3000 })),
      vol: fc.integer({ min: 30, max: 120 }),
      hours: fc.integer({ min: 0, max: 72 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('deposit' as const),
      who,
      eth: fc.boolean(),
      amount: fc.integer({ min: 1, max: 20_000 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('withdraw' as const),
      who,
      amount: fc.integer({ min: 1, max: 20_000 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('portfolio' as const), who, enabled: fc.boolean() }),
  },
);
type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

const markOf = (e: Engine, m: string) => Number(e.state.markets.get(m)!.markPx8!) / 1e8;
const px = (x: number) => Math.max(0.01, Math.round(x * 100) / 100).toFixed(2);

/** Marks of `base`'s perpetual at S and of its options at vol σ, at time t. */
function marks(baseId: 'BTC' | 'ETH', S: number, vol: number, t: number): Record<string, string> {
  const out: Record<string, string> = { [`${baseId}-PERP`]: px(S) };
  for (const o of OPTIONS) {
    if (o.base !== baseId) continue;
    const K = Number(o.option!.strike);
    out[o.id] = px(
      black76Price({
        kind: o.option!.right,
        forward: S,
        strike: K,
        timeYears: yearFraction(t, o.expiryMs!),
        vol,
      }),
    );
  }
  return out;
}

function toCommand(e: Engine, s: Step, t: number): Record<string, unknown> | undefined {
  switch (s.kind) {
    case 'fill': {
      if (s.a === s.b) return undefined;
      const m = M[s.market]!;
      const perp = m.endsWith('PERP');
      return {
        type: 'fill',
        market: m,
        buyer: ref(s.a),
        seller: ref(s.b),
        size: perp ? (s.steps / (m.startsWith('BTC') ? 10_000 : 500)).toFixed(3) : (s.steps / 300).toFixed(2),
        price: px(markOf(e, m)),
        taker: 'buyer',
        timeMs: t,
      };
    }
    case 'move': {
      const b = s.eth ? 'ETH' : 'BTC';
      const S = markOf(e, `${b}-PERP`) * (1 + s.bp / 10_000);
      const eth = Number(e.state.assetPricesPx8.get('ETH')!) / 1e8;
      return {
        type: 'prices',
        timeMs: t,
        marks: marks(b, S, s.vol / 100, t),
        assets: s.eth ? { ETH: px(S) } : { ETH: px(eth) },
      };
    }
    case 'deposit':
      return s.eth
        ? { type: 'deposit', to: ref(s.who), asset: 'ETH', amount: (s.amount / 4000).toFixed(6) }
        : { type: 'deposit', to: ref(s.who), asset: 'USDC', amount: String(s.amount) };
    case 'withdraw':
      return { type: 'withdraw', from: ref(s.who), asset: 'USDC', amount: String(s.amount) };
    case 'portfolio':
      return { type: 'set_portfolio_margin', subaccount: ref(s.who), enabled: s.enabled };
  }
}

/** Cached figures equal the naive ones for every subaccount, and so do hypothetical trades. */
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
    for (let j = 0; j < 3; j++) {
      const m = M[(k * 5 + j * 7) % M.length]!;
      const held = sub.positions.get(m);
      const size = (held?.size ?? 0n) + BigInt(((k * 7919 + j * 131) % 2_001) - 1_000) * 10_000_000n;
      const next = { market: m, size, entryValue: size * 100n + BigInt(k % 997) };
      const delta = BigInt((k * 31) % 1000) * 1000n - 400_000n;
      for (const n of [next, { ...next, size: 0n }, undefined])
        expect(crossFiguresWithChange(state, sub, m, n, undefined, delta)).toEqual(
          naiveChange(state, sub, m, n, undefined, delta),
        );
      // an order check: the market's resting orders replaced, the book as it is (a portfolio
      // book's requirement then comes from the cached figures)
      const order = {
        id: `probe-${k}-${j}`,
        market: m,
        side: (k + j) % 2 === 0 ? ('buy' as const) : ('sell' as const),
        size: BigInt(1 + ((k * 13 + j) % 50)) * 10_000_000n,
        pricePx8: state.markets.get(m)?.markPx8 ?? 10n ** 10n,
        reduceOnly: false,
      };
      expect(crossFiguresWithChange(state, sub, m, undefined, [order], 0n)).toEqual(
        naiveChange(state, sub, m, undefined, [order], 0n),
      );
    }
    k += 1;
  }
}

function run(steps: Step[], deposits: number[], check: boolean, commands?: unknown[], cfg: object = config) {
  const e = Engine.create(cfg);
  e.executeOrThrow({
    type: 'prices',
    timeMs: T0,
    marks: { ...marks('BTC', 100_000, 0.6, T0), ...marks('ETH', 4_000, 0.7, T0) },
    assets: { ETH: '4000', BTC: '100000' },
  });
  e.executeOrThrow({ type: 'deposit', to: ref('backstop'), asset: 'USDC', amount: '100000000' });
  for (const [i, w] of WHO.entries()) {
    e.executeOrThrow({ type: 'deposit', to: ref(w), asset: 'USDC', amount: String(deposits[i]) });
    if (i !== 1) e.executeOrThrow({ type: 'set_portfolio_margin', subaccount: ref(w), enabled: true });
  }
  const issued: unknown[] = [];
  const outcomes: string[] = [];
  const exec = (c: unknown) => {
    issued.push(c);
    const r = e.execute(c);
    outcomes.push(r.ok ? 'ok' : r.rejection.code);
    if (check) assertCacheExact(e.state, outcomes.length);
  };
  if (commands !== undefined) for (const c of commands) exec(c);
  else {
    let t = T0;
    for (const s of steps) {
      t += 1000 + (s.kind === 'move' ? s.hours * 3_600_000 : 0);
      const c = toCommand(e, s, t);
      if (c === undefined) continue;
      exec(c);
      if (s.kind === 'move')
        for (const due of e.liquidatable()) exec({ type: 'liquidate', subaccount: due.ref, timeMs: t });
    }
  }
  if (check)
    for (const sub of e.state.subaccounts.values())
      if (sub.portfolioMargin)
        coverage.options = Math.max(
          coverage.options,
          [...sub.positions.values()].filter((p) => p.size !== 0n && !p.market.endsWith('PERP')).length,
        );
  return { issued, outcomes, hash: e.stateHash() };
}
const coverage = { options: 0 };

describe('cross-figures cache on portfolio-margin subaccounts', () => {
  afterEach(() => setFiguresCacheEnabled(true));

  it('equals the full recomputation after every command, and the engine decides the same without it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 5_000, max: 200_000 }), { minLength: WHO.length, maxLength: WHO.length }),
        sequences(step, 10, 40),
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
      { numRuns: propRuns(25, 0.2), seed: 1616 },
    );
    // the sample reached books of several options margined together
    expect(coverage.options).toBeGreaterThanOrEqual(4);
  });

  // The kept book (account/portfolio-book.ts) re-sums one underlying and lays strike groups out
  // underlying by underlying: also exact without per-strike netting (span-16: one strike group
  // per option, a short-option floor) and with a correlated pair (the joint scan reads both
  // underlyings' vectors).
  const models = [
    { name: 'span-16', model: 'span-16' as const },
    {
      name: 'crypto-pm with BTC/ETH correlated (credit 0.5)',
      model: {
        ...portfolioPreset('crypto-pm'),
        correlations: [{ a: 'BTC', b: 'ETH', credit: 0.5, beta: 1 }],
      },
    },
  ];
  for (const { name, model } of models)
    it(`equals the full recomputation on ${name}`, () => {
      const cfg = { ...config, portfolio: { model } };
      fc.assert(
        fc.property(
          fc.array(fc.integer({ min: 5_000, max: 200_000 }), {
            minLength: WHO.length,
            maxLength: WHO.length,
          }),
          sequences(step, 10, 30),
          (deposits, steps) => {
            setFiguresCacheEnabled(true);
            const cached = run(steps, deposits, true, undefined, cfg);
            setFiguresCacheEnabled(false);
            const naive = run([], deposits, false, cached.issued, cfg);
            setFiguresCacheEnabled(true);
            expect(naive.outcomes).toEqual(cached.outcomes);
            expect(naive.hash).toBe(cached.hash);
          },
        ),
        { numRuns: propRuns(8, 0.2), seed: 1617 },
      );
    });

  it('recomputes a portfolio book when only the clock moved (a liquidation advances it without a price event)', () => {
    const e = Engine.create(config);
    e.executeOrThrow({ type: 'prices', timeMs: T0, marks: marks('BTC', 100_000, 0.6, T0) });
    e.executeOrThrow({ type: 'deposit', to: ref('alice'), asset: 'USDC', amount: '100000' });
    e.executeOrThrow({ type: 'deposit', to: ref('bob'), asset: 'USDC', amount: '100000' });
    e.executeOrThrow({ type: 'set_portfolio_margin', subaccount: ref('alice'), enabled: true });
    const put = OPTIONS[1]!.id;
    e.executeOrThrow({
      type: 'fill',
      market: put,
      buyer: ref('bob'),
      seller: ref('alice'),
      size: '1',
      price: px(markOf(e, put)),
    });
    const sub = e.state.subaccounts.get('alice/0')!;
    const before = cachedCrossFigures(e.state, sub);
    (e.state as { timeMs: number }).timeMs = T0 + 10 * DAY; // as liquidation_completed does
    const after = cachedCrossFigures(e.state, sub);
    expect(after).toEqual(evaluate(e.state, crossView(sub)));
    expect(after.initialMarginQuote).not.toBe(before.initialMarginQuote);
  });
});
