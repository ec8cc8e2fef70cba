import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BookCurves,
  BookModel,
  infiniteDepthSource,
  NO_GAP,
  NO_THINNING,
  parametricDepthSource,
} from '../../analytics/liquidity/depth-model.ts';
import type { MarketConfigInput } from '../../core/model/config.ts';
import { PARAMETRIC_DEPTH, runComparison } from './compare.ts';
import {
  DEFAULT_DYNAMIC,
  type DynamicMarginPolicy,
  dynamicPolicies,
  dynamicPolicy,
  type Forecaster,
  predictivePolicy,
  unwindCostFraction,
} from './dynamic-policy.ts';
import { DEFAULT_POLICIES, type PolicyTick, type PolicyUpdate } from './policies.ts';

const CURVES: BookCurves = parametricDepthSource(PARAMETRIC_DEPTH).at(0);
const T0 = Date.parse('2025-10-10T00:00:00Z');

/** A seeded random walk of minute closes with a volatility regime per segment. */
function walk(seed: number, minutes: number, volAt: (m: number) => number): number[] {
  let s = seed >>> 0 || 1;
  const u = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
  const out = [100_000];
  for (let m = 1; m < minutes; m++) {
    const z = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
    out.push(out[m - 1]! * Math.exp(volAt(m) * z));
  }
  return out;
}

function tickAt(m: number, px: number, oi = 200): PolicyTick {
  return {
    timeMs: T0 + m * 60_000,
    minute: m,
    exogenousPx: px,
    markPx: px,
    realizedVolPerMin: 0,
    book: CURVES,
    openInterestBase: oi,
    market: {} as MarketConfigInput,
  };
}

/** Runs a policy over minute closes; the update of every tick (undefined when none). */
function drive(
  p: DynamicMarginPolicy,
  prices: readonly number[],
  oi: (m: number) => number = () => 200,
): (PolicyUpdate | undefined)[] {
  p.configFor({
    marketId: 'BTC-PERP',
    baseMarket: {} as MarketConfigInput,
    openPrice: '100000',
    startMs: T0,
  });
  return prices.map((px, m) => p.onTick!(tickAt(m, px, oi(m))));
}

const ppm = (p: DynamicMarginPolicy) => p.trace.map((d) => d.mmPpm);
const FORECASTERS: Forecaster[] = ['ewma', 'garch', 'har'];
const spiky = (m: number) => (m > 150 && m < 190 ? 0.006 : 0.0005);

describe('dynamicPolicy / predictivePolicy', () => {
  it('has_no_look_ahead_the_ratio_at_t_ignores_later_prices', () => {
    const prices = walk(7, 300, spiky);
    const cut = 170;
    const altered = prices.map((p, m) => (m > cut ? p * (m % 2 === 0 ? 0.7 : 1.3) : p));
    const make = [
      ...FORECASTERS.map((f) => () => dynamicPolicy({ forecaster: f })),
      () => predictivePolicy({ forecaster: 'garch' }),
    ];
    for (const mk of make) {
      const a = mk();
      const b = mk();
      const ua = drive(a, prices);
      const ub = drive(b, altered);
      expect(ub.slice(0, cut + 1)).toEqual(ua.slice(0, cut + 1));
      const upTo = (p: DynamicMarginPolicy) => p.trace.filter((d) => d.minute <= cut);
      expect(upTo(b)).toEqual(upTo(a));
      // …and the alteration does change what comes after (the test can see a difference).
      expect(ppm(b)).not.toEqual(ppm(a));
    }
  });

  it('never_raises_the_ratio_faster_than_the_cap_and_decreases_freely', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.double({ min: 0.001, max: 0.05, noNaN: true }),
        fc.integer({ min: 1, max: 15 }),
        fc.integer({ min: 40, max: 250 }),
        (seed, cap, every, spikeAt) => {
          const p = predictivePolicy({ maxRisePerHour: cap, updateEveryMinutes: every });
          const prices = walk(seed, 320, (m) => (m >= spikeAt && m < spikeAt + 30 ? 0.01 : 0.0004));
          let prev = initialMm(p);
          const updates = drive(p, prices);
          let prevMinute = -every; // the first evaluation is allowed one interval
          for (const d of p.trace) {
            const rise = d.mmPpm - prev;
            expect(rise).toBeLessThanOrEqual(Math.floor((cap * 1e6 * (d.minute - prevMinute)) / 60));
            prev = d.mmPpm;
            prevMinute = d.minute;
          }
          // Every emitted update carries the traced ratio.
          const emitted = p.trace.filter((d) => d.emitted).map((d) => (d.mmPpm / 1e6).toFixed(6));
          const sent = updates.flatMap((u) =>
            u?.market?.margin?.kind === 'fixed' ? [maintenanceRatio(u.market.margin)] : [],
          );
          expect(sent).toEqual(emitted);
        },
      ),
      { numRuns: 25 },
    );
    // The liquidity add-on vanishes with the open interest: the fall is immediate (not capped).
    const p = predictivePolicy();
    drive(
      p,
      walk(3, 400, () => 0.0003),
      (m) => (m < 300 ? 200_000 : 0),
    );
    const before = p.trace.find((d) => d.minute === 295)!;
    const after = p.trace.find((d) => d.minute === 300)!;
    expect(before.liquidity).toBeGreaterThan(0.005);
    expect(after.liquidity).toBe(0);
    expect(before.mmPpm - after.mmPpm).toBeGreaterThan(Math.floor((0.02 * 1e6 * 5) / 60));
  });

  it('respects_floor_and_ceiling_and_im_over_mm', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.double({ min: 0.00001, max: 0.05, noNaN: true }),
        fc.constantFrom<Forecaster>('ewma', 'garch', 'har'),
        fc.boolean(),
        (seed, vol, forecaster, predictive) => {
          const o = { forecaster, floorMm: 0.007, ceilingMm: 0.08, imOverMm: 2.5, updateEveryMinutes: 10 };
          const p = predictive ? predictivePolicy({ ...o, maxRisePerHour: 0.2 }) : dynamicPolicy(o);
          const updates = drive(
            p,
            walk(seed, 200, () => vol),
          );
          for (const d of p.trace) {
            expect(d.mmPpm).toBeGreaterThanOrEqual(7_000);
            expect(d.mmPpm).toBeLessThanOrEqual(80_000);
            expect(d.imPpm).toBe(Math.round(d.mmPpm * 2.5));
          }
          for (const u of updates) {
            if (u?.market?.margin?.kind !== 'fixed') continue;
            const mm = Number(maintenanceRatio(u.market.margin));
            expect(mm).toBeGreaterThanOrEqual(0.007);
            expect(mm).toBeLessThanOrEqual(0.08);
          }
        },
      ),
      { numRuns: 30 },
    );
    // Calm → the floor; wild → the ceiling.
    const calm = dynamicPolicy({
      floorMm: 0.007,
      liquidityAddOn: { enabled: false, horizonMinutes: 5, oiShare: 0 },
    });
    drive(
      calm,
      walk(1, 120, () => 0.00001),
    );
    expect(calm.trace.at(-1)!.mmPpm).toBe(7_000);
    const wild = dynamicPolicy({ ceilingMm: 0.08 });
    drive(
      wild,
      walk(1, 120, () => 0.03),
    );
    expect(wild.trace.at(-1)!.mmPpm).toBe(80_000);
  });

  it('follows_forecast_volatility_and_the_predictive_boost_leads_it', () => {
    const prices = walk(11, 260, spiky);
    const d = dynamicPolicy();
    const p = predictivePolicy({ maxRisePerHour: 1 });
    drive(d, prices);
    drive(p, prices);
    const at = (x: DynamicMarginPolicy, m: number) => x.trace.find((t) => t.minute === m)!;
    expect(at(d, 180).mmPpm).toBeGreaterThan(at(d, 145).mmPpm);
    // Early in the spike the short EWMA runs ahead of the long one: boost > 1, higher ratio.
    expect(at(p, 160).boost).toBeGreaterThan(1);
    expect(at(p, 160).mmPpm).toBeGreaterThan(at(d, 160).mmPpm);
  });

  it('is_deterministic_and_configFor_starts_a_new_run', () => {
    const prices = walk(5, 240, spiky);
    for (const f of FORECASTERS) {
      const p = predictivePolicy({ forecaster: f });
      const a = drive(p, prices);
      const ta = [...p.trace];
      const b = drive(p, prices);
      expect(b).toEqual(a);
      expect(p.trace).toEqual(ta);
      expect(drive(predictivePolicy({ forecaster: f }), prices)).toEqual(a);
    }
  });

  it('prices_the_unwind_with_the_book_model', () => {
    const book = new BookModel(parametricDepthSource(PARAMETRIC_DEPTH), {
      thinning: NO_THINNING,
      gap: NO_GAP,
    });
    const cost = unwindCostFraction(CURVES, 5_000, 5);
    expect(cost).toBeCloseTo(1 - book.executionPrice('sell', 1_000, 1), 12);
    expect(unwindCostFraction(CURVES, 10_000, 5)).toBeGreaterThan(cost);
    expect(unwindCostFraction(CURVES, 0, 5)).toBe(0);
    expect(unwindCostFraction(infiniteDepthSource().at(0), 1e9, 5)).toBe(0);
    expect(() => dynamicPolicy({ ceilingMm: 0.6, imOverMm: 2 })).toThrow(RangeError);
    expect(DEFAULT_DYNAMIC.z).toBe(2.33);
  });

  it('runs_in_the_comparison_on_2025_10_10_with_conservation', () => {
    const policies = [...DEFAULT_POLICIES, ...dynamicPolicies()];
    const cmp = runComparison({ crash: '2025-10-10', accounts: 200, seed: 42, policies });
    expect(cmp.rows.map((r) => r.policy)).toEqual([
      ...DEFAULT_POLICIES.map((p) => p.name),
      'dynamic-ewma',
      'dynamic-garch',
      'dynamic-har',
      'predictive-ewma',
    ]);
    for (const r of cmp.rows) {
      expect(r.conservation.ok).toBe(true);
      expect(r.population.traders).toBe(200);
    }
    for (const p of policies.slice(DEFAULT_POLICIES.length) as DynamicMarginPolicy[]) {
      expect(p.trace.length).toBeGreaterThan(250); // every 5 minutes over the day
      expect(p.trace.some((d) => d.emitted)).toBe(true);
    }
  });
});

function maintenanceRatio(m: { maintenance: { ratio: string } | { fractionOfInitial: string } }): string {
  if (!('ratio' in m.maintenance)) throw new Error('expected a maintenance ratio');
  return m.maintenance.ratio;
}

/** The ratio `configFor` starts at (ppm). */
function initialMm(p: DynamicMarginPolicy): number {
  const { margin } = p.configFor({
    marketId: 'BTC-PERP',
    baseMarket: {} as MarketConfigInput,
    openPrice: '100000',
    startMs: T0,
  });
  if (margin.kind !== 'fixed') throw new Error('expected a fixed model');
  return Math.round(Number(maintenanceRatio(margin)) * 1e6);
}
