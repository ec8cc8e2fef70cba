/**
 * Properties of risk-matrix portfolio margin (docs/portfolio-margin.md, PM-1 … PM-5), on random
 * books of perpetuals, futures and options (linear and inverse) over BTC and ETH, random vols and
 * basis, on every preset and on a correlated variant.
 *
 * "Adds only risk", precisely: (a) the whole book again, scaled by k ≥ 0; (b) a position whose
 * scenario P&L is ≤ 0 in every scenario and that carries no delta and no short option (it cannot
 * offset a contingency) — tested at the matrix level, because with up, same and down vol shocks
 * around a zero move no real option or future has a non-positive P&L everywhere; (c) positions on
 * an underlying the book does not hold and that is not correlated with it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { liquidationOrder } from './liquidation-order.ts';
import type { PortfolioPositionInput } from './model.ts';
import { account, DAY_MS, NOW_MS, snapshot } from './portfolio.testkit.ts';
import {
  aggregateRiskMatrix,
  buildRiskMatrix,
  portfolioMargin,
  portfolioMarginFigures,
  RiskColumnCache,
  type RiskMatrix,
} from './risk-matrix.ts';
import { cryptoPmPreset, type PortfolioMarginConfig, paradexPmPreset, span16Preset } from './scenarios.ts';

const SPOT = { BTC: 100_000, ETH: 4_000 } as const;
type U = keyof typeof SPOT;

const CONFIGS: [string, PortfolioMarginConfig][] = [
  ['crypto-pm', cryptoPmPreset()],
  ['paradex-pm', paradexPmPreset()],
  ['span-16', span16Preset({ priceScanRange: 0.12 })],
  [
    'crypto-pm+BTC/ETH',
    { ...cryptoPmPreset(), correlations: [{ a: 'BTC', b: 'ETH', credit: 0.6, beta: 1 }] },
  ],
];

const size = fc
  .integer({ min: -50, max: 50 })
  .filter((x) => x !== 0)
  .map((x) => x / 10);
const underlying = fc.constantFrom<U>('BTC', 'ETH');

const position: fc.Arbitrary<PortfolioPositionInput> = fc.oneof(
  fc.record({ u: underlying, size, entry: fc.double({ min: 0.8, max: 1.2, noNaN: true }) }).map(
    ({ u, size, entry }): PortfolioPositionInput => ({
      type: 'perpetual',
      underlying: u,
      size,
      entryPrice: SPOT[u] * entry,
    }),
  ),
  fc.record({ u: underlying, size, days: fc.integer({ min: 1, max: 200 }) }).map(
    ({ u, size, days }): PortfolioPositionInput => ({
      type: 'future',
      underlying: u,
      size,
      entryPrice: SPOT[u],
      expiryMs: NOW_MS + days * DAY_MS,
    }),
  ),
  fc
    .record({
      u: underlying,
      size,
      kind: fc.constantFrom<'call' | 'put'>('call', 'put'),
      moneyness: fc.double({ min: 0.6, max: 1.5, noNaN: true }),
      days: fc.integer({ min: 1, max: 200 }),
      settlement: fc.constantFrom<'linear' | 'inverse'>('linear', 'inverse'),
    })
    .map(
      ({ u, size, kind, moneyness, days, settlement }): PortfolioPositionInput => ({
        type: 'option',
        underlying: u,
        kind,
        strike: Math.round(SPOT[u] * moneyness),
        expiryMs: NOW_MS + days * DAY_MS,
        size,
        settlement,
      }),
    ),
);
const book = fc.array(position, { minLength: 1, maxLength: 8 });
const market = fc
  .record({
    btcVol: fc.double({ min: 0.2, max: 1.5, noNaN: true }),
    ethVol: fc.double({ min: 0.2, max: 1.5, noNaN: true }),
    basis: fc.double({ min: -0.05, max: 0.2, noNaN: true }),
  })
  .map(({ btcVol, ethVol, basis }) =>
    snapshot({ BTC: { vol: btcVol, basisRate: basis }, ETH: { vol: ethVol, basisRate: basis / 2 } }),
  );

const scaled = (ps: PortfolioPositionInput[], k: number) =>
  ps.map((p) => ({ ...p, size: Number(p.size) * k }));
const tol = (x: number) => 1e-7 * (1 + Math.abs(x));
const RUNS = { numRuns: 120 };

describe.each(CONFIGS)('%s', (_name, cfg) => {
  it('PM-1 IM ≥ the largest single-scenario loss', () => {
    fc.assert(
      fc.property(book, market, (ps, snap) => {
        const r = portfolioMargin(account(ps), snap, cfg);
        expect(r.initialMargin).toBeGreaterThanOrEqual(r.largestScenarioLoss - tol(r.largestScenarioLoss));
        expect(r.maintenanceMargin).toBeLessThanOrEqual(r.initialMargin + tol(r.initialMargin));
      }),
      RUNS,
    );
  });

  it('PM-3 positively homogeneous: IM(k·book) = k·IM(book)', () => {
    fc.assert(
      fc.property(book, market, fc.double({ min: 0, max: 20, noNaN: true }), (ps, snap, k) => {
        const im = portfolioMargin(account(ps), snap, cfg).initialMargin;
        const imk = portfolioMargin(account(scaled(ps, k)), snap, cfg).initialMargin;
        expect(Math.abs(imk - k * im)).toBeLessThanOrEqual(tol(k * im));
      }),
      RUNS,
    );
  });

  it('PM-2a adding the book again (scaled by k ≥ 0) never lowers IM', () => {
    fc.assert(
      fc.property(book, market, fc.double({ min: 0, max: 5, noNaN: true }), (ps, snap, k) => {
        const im = portfolioMargin(account(ps), snap, cfg).initialMargin;
        const more = portfolioMargin(account([...ps, ...scaled(ps, k)]), snap, cfg).initialMargin;
        expect(more).toBeGreaterThanOrEqual(im - tol(im));
      }),
      RUNS,
    );
  });

  it('PM-2b a position with P&L ≤ 0 in every scenario never lowers IM', () => {
    fc.assert(
      fc.property(
        book,
        market,
        fc.array(fc.double({ min: 0, max: 50_000, noNaN: true }), { minLength: 64, maxLength: 64 }),
        fc.nat(),
        (ps, snap, losses, at) => {
          const m = buildRiskMatrix(account(ps), snap, cfg);
          const before = aggregateRiskMatrix(m).initialMargin;
          const after = aggregateRiskMatrix(
            withLossOnlyPosition(m, at % m.underlyings.length, losses),
          ).initialMargin;
          expect(after).toBeGreaterThanOrEqual(before - tol(before));
        },
      ),
      RUNS,
    );
  });

  it('PM-4 a riskless position leaves IM unchanged', () => {
    // Riskless = zero P&L in every scenario, no delta, no net short option: an option bought and
    // sold again. (A conversion is riskless too, but its gross delta meets the hedged-delta charge
    // and its short put the short option minimum when shorts are not netted per strike: see PM-5.)
    fc.assert(
      fc.property(
        book,
        market,
        position,
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        (ps, snap, q, cash) => {
          const im = portfolioMargin(account(ps), snap, cfg).initialMargin;
          const flat = [{ ...q }, { ...q, size: -Number(q.size) }];
          const sameBook =
            q.type === 'option' && !cfg.shortOptionMinimum?.netPerStrike && cfg.shortOptionMinimum;
          if (sameBook) return; // a gross short-option count charges the short leg by design
          const r = portfolioMargin(account([...ps, ...flat], cash), snap, hedgedRateZero(cfg));
          const base = portfolioMargin(account(ps), snap, hedgedRateZero(cfg)).initialMargin;
          expect(Math.abs(r.initialMargin - base)).toBeLessThanOrEqual(tol(base));
          if (!cfg.deltaContingency?.hedgedRate) expect(Math.abs(base - im)).toBeLessThanOrEqual(tol(im));
        },
      ),
      RUNS,
    );
  });

  it('PM-5 a conversion (long call, short put, short future at the strike) is riskless in the scan', () => {
    fc.assert(
      fc.property(
        book,
        fc.constantFrom<U>('BTC', 'ETH'),
        fc.double({ min: 0.7, max: 1.3, noNaN: true }),
        fc.integer({ min: 2, max: 200 }),
        fc.integer({ min: 1, max: 30 }).map((x) => x / 10),
        (ps, u, moneyness, days, q) => {
          const snap = snapshot(); // no basis, rate 0: C − P = F − K exactly
          const K = Math.round(SPOT[u] * moneyness);
          const expiryMs = NOW_MS + days * DAY_MS;
          const conversion: PortfolioPositionInput[] = [
            { type: 'option', underlying: u, kind: 'call', strike: K, expiryMs, size: q },
            { type: 'option', underlying: u, kind: 'put', strike: K, expiryMs, size: -q },
            { type: 'future', underlying: u, size: -q, entryPrice: K, expiryMs },
          ];
          const netted = {
            ...hedgedRateZero(cfg),
            shortOptionMinimum: cfg.shortOptionMinimum && { ...cfg.shortOptionMinimum, netPerStrike: true },
          };
          const base = portfolioMargin(account(ps), snap, netted).initialMargin;
          const withConv = portfolioMargin(account([...ps, ...conversion]), snap, netted);
          expect(Math.abs(withConv.initialMargin - base)).toBeLessThanOrEqual(
            1e-6 * (SPOT[u] * q) + tol(base),
          );
        },
      ),
      RUNS,
    );
  });
});

describe('uncorrelated underlyings', () => {
  it('PM-2c positions on a new, uncorrelated underlying add exactly their own requirement', () => {
    const btc = book.map((ps) => ps.map((p) => onUnderlying(p, 'BTC')));
    const eth = book.map((ps) => ps.map((p) => onUnderlying(p, 'ETH')));
    for (const [, cfg] of CONFIGS.slice(0, 3)) {
      fc.assert(
        fc.property(btc, eth, market, (b, e, snap) => {
          const ib = portfolioMargin(account(b), snap, cfg).initialMargin;
          const ie = portfolioMargin(account(e), snap, cfg).initialMargin;
          const both = portfolioMargin(account([...b, ...e]), snap, cfg).initialMargin;
          expect(Math.abs(both - (ib + ie))).toBeLessThanOrEqual(tol(both));
          expect(both).toBeGreaterThanOrEqual(ib - tol(ib));
        }),
        { numRuns: 60 },
      );
    }
  });
});

describe('liquidation order', () => {
  it('every step releases requirement and kept positions are hedges', () => {
    const cfg = cryptoPmPreset();
    fc.assert(
      fc.property(book, market, (ps, snap) => {
        const acct = account(ps);
        const plan = liquidationOrder(acct, snap, cfg);
        let im = plan.initialMargin;
        for (const s of plan.steps) {
          expect(s.releasedInitial).toBeGreaterThan(0);
          expect(s.initialMarginAfter).toBeLessThanOrEqual(im + tol(im));
          im = s.initialMarginAfter;
        }
        const m = buildRiskMatrix(acct, snap, cfg);
        const kept = new Set(plan.kept);
        const mult = m.positions.map((p) => (kept.has(p.label) ? 1 : 0));
        const keptIm = aggregateRiskMatrix(m, { multipliers: mult }).initialMargin;
        expect(Math.abs(keptIm - im)).toBeLessThanOrEqual(1e-6 * (1 + im));
        // Greedy stops only when closing any one kept position alone would not lower IM.
        m.positions.forEach((p, i) => {
          if (!kept.has(p.label)) return;
          const without = aggregateRiskMatrix(m, {
            multipliers: mult.map((x, j) => (j === i ? 0 : x)),
          }).initialMargin;
          expect(without).toBeGreaterThanOrEqual(keptIm - 1e-6 * (1 + keptIm));
        });
      }),
      { numRuns: 80 },
    );
  });
});

/** The same position moved to underlying u, strikes and entries rescaled by the spots. */
function onUnderlying(p: PortfolioPositionInput, u: U): PortfolioPositionInput {
  const k = SPOT[u] / SPOT[p.underlying as U];
  if (p.type === 'option') return { ...p, underlying: u, strike: Math.round(Number(p.strike) * k) };
  return { ...p, underlying: u, entryPrice: Number(p.entryPrice) * k };
}

function hedgedRateZero(cfg: PortfolioMarginConfig): PortfolioMarginConfig {
  return cfg.deltaContingency
    ? { ...cfg, deltaContingency: { ...cfg.deltaContingency, hedgedRate: 0 } }
    : cfg;
}

/** The matrix plus a pseudo-position on underlying u losing `losses[s]` in scenario s (no delta, no option). */
function withLossOnlyPosition(m: RiskMatrix, u: number, losses: number[]): RiskMatrix {
  const nS = m.scenarios.length;
  const pnl = new Float64Array(m.pnl.length + nS);
  pnl.set(m.pnl);
  for (let s = 0; s < nS; s++) pnl[m.pnl.length + s] = -losses[s % losses.length]!;
  const info = m.underlyings[u]!;
  return {
    ...m,
    pnl,
    positions: [
      ...m.positions,
      {
        index: m.positions.length,
        label: 'loss-only',
        type: 'perpetual',
        underlyingIndex: u,
        size: 0,
        value: 0,
        delta: 0,
        strikeGroup: -1,
        underlyingPrice: info.spot,
        spot: info.spot,
        unitPremium: 0,
      },
    ],
  };
}

describe('incremental risk matrix (RiskColumnCache)', () => {
  it('a book traded step by step through one column cache is identical to the full recomputation', () => {
    fc.assert(
      fc.property(book, fc.array(position, { minLength: 1, maxLength: 6 }), market, (start, trades, snap) => {
        const cache = new RiskColumnCache();
        const cfg = cryptoPmPreset();
        // ids make repeated instruments share a column, as the engine's market ids do
        const withIds = (ps: PortfolioPositionInput[]) => ps.map((p, i) => ({ ...p, id: `p${i}` }));
        let ps = withIds(start);
        portfolioMargin(account(ps), snap, cfg, { columns: cache });
        for (const t of trades) {
          // a trade: either a new instrument, or more of an existing one (its column reused)
          ps =
            Number(t.size) > 0
              ? withIds([...ps, t])
              : ps.map((p, i) => (i === 0 ? { ...p, size: Number(p.size) * 2 } : p));
          const fast = portfolioMargin(account(ps), snap, cfg, { columns: cache, includeMatrix: true });
          const full = portfolioMargin(account(ps), snap, cfg, { includeMatrix: true });
          expect(fast).toEqual(full);
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe.each(CONFIGS)('lean requirement (portfolioMarginFigures), %s', (_name, cfg) => {
  it('IM and MM equal the full matrix and breakdown to the bit, with and without the column cache', () => {
    // repeated strikes and instruments, so per-strike netting and shared columns are exercised
    const repeated = book.chain((ps) =>
      fc
        .array(fc.nat({ max: ps.length - 1 }), { maxLength: 4 })
        .map((picks) => [...ps, ...picks.map((i) => ({ ...ps[i]!, size: -Number(ps[i]!.size) / 2 }))]),
    );
    fc.assert(
      fc.property(repeated, market, (ps, snap) => {
        const cache = new RiskColumnCache();
        const withIds = ps.map((p, i) => ({ ...p, id: `p${i % 5}${p.type}${p.underlying}` }));
        const full = portfolioMargin(account(ps), snap, cfg);
        const lean = portfolioMarginFigures(account(ps), snap, cfg);
        expect(lean).toEqual({
          initialMargin: full.initialMargin,
          maintenanceMargin: full.maintenanceMargin,
        });
        // through a cache shared with the full path (ids repeat, columns are reused or re-priced)
        const fullIds = portfolioMargin(account(withIds), snap, cfg);
        for (let k = 0; k < 2; k++) {
          const cached = portfolioMarginFigures(account(withIds), snap, cfg, { columns: cache });
          expect(cached).toEqual({
            initialMargin: fullIds.initialMargin,
            maintenanceMargin: fullIds.maintenanceMargin,
          });
        }
      }),
      { numRuns: 150, seed: 16 },
    );
  });
});
