import { describe, expect, it } from 'vitest';
import {
  BookModel,
  bandedDepthSource,
  infiniteDepthSource,
  NO_GAP,
  NO_THINNING,
  parametricDepthSource,
  readBookDepthSnapshots,
  repairPhantomBids,
} from '../../analytics/liquidity/depth-model.ts';
import { DATA_DIR, loadCrashKlines } from '../data/crashes.ts';
import { drawTraders, LAB_POPULATION_SPEC } from '../population.ts';
import { conservation } from '../replay.ts';
import { MARKET } from '../venue.ts';
import { arrayPoints, type CascadeRunOptions, klinePoints, runCascade } from './cascade-sim.ts';
import { BOOK_DEPTH_FILE } from './compare.ts';
import { DEFAULT_POLICIES, type MarginPolicy, staticPolicy } from './policies.ts';

const day = loadCrashKlines('2025-10-10');
const crashPath = klinePoints(day);
const staticLow = DEFAULT_POLICIES[0]!;
const intents = drawTraders({ ...LAB_POPULATION_SPEC, accounts: 120, seed: 9 });
const realSnapshots = repairPhantomBids(readBookDepthSnapshots(DATA_DIR + BOOK_DEPTH_FILE)).snapshots;

const run = (o: Partial<CascadeRunOptions> & Pick<CascadeRunOptions, 'book'>) =>
  runCascade({ path: crashPath, intents, policy: staticLow, recordLiquidations: true, ...o });

/** INV-01 at the end of every run, on the engine's own state. */
const conserved = (r: ReturnType<typeof runCascade>) => {
  expect(r.metrics.conservation.ok).toBe(true);
  expect(conservation(r.engine.state).ok).toBe(true);
};

describe('runCascade on the 2025-10-10 crash', () => {
  it('same_seed_same_metrics', () => {
    const mk = () =>
      run({
        book: new BookModel(bandedDepthSource(realSnapshots), {
          depthScale: 0.003,
          thinning: NO_THINNING,
          gap: NO_GAP,
        }),
      });
    const a = mk();
    const b = mk();
    expect(b.metrics).toEqual(a.metrics);
    expect(b.timeline).toEqual(a.timeline);
    expect(b.liquidations).toEqual(a.liquidations);
    expect(b.engine.stateHash()).toBe(a.engine.stateHash());
    conserved(a);
  });

  it('thin_book_cascades_liquidations_trigger_liquidations', () => {
    const r = run({
      book: new BookModel(bandedDepthSource(realSnapshots), {
        depthScale: 0.003,
        thinning: NO_THINNING,
        gap: NO_GAP,
      }),
    });
    const m = r.metrics;
    expect(m.cascade.peakDepth).toBeGreaterThanOrEqual(2);
    expect(m.cascade.induced).toBeGreaterThan(0);
    expect(m.cascade.maxDisplacement).toBeLessThan(-0.01);
    expect(Number(m.prices.markLow)).toBeLessThan(Number(m.prices.exogenousLow));
    expect(m.cascade.stepsByDepth.reduce((a, b) => a + b, 0)).toBe(m.liquidations.count);
    // Each step is recorded with its depth; induced steps come one round after the sale that caused them.
    const induced = r.liquidations.filter((x) => x.depth >= 2);
    expect(induced.length).toBe(m.cascade.induced);
    expect(induced.every((x) => x.latencyMs === 1_000)).toBe(true);
    expect(r.timeline.some((x) => x.maxDepth >= 2)).toBe(true);
    conserved(r);
  });

  it('infinitely_deep_book_has_depth_one_and_the_keeper_delay_as_latency', () => {
    const r = run({ book: new BookModel(infiniteDepthSource()) });
    const m = r.metrics;
    expect(m.liquidations.count).toBeGreaterThan(0);
    expect(m.cascade.peakDepth).toBe(1);
    expect(m.cascade.induced).toBe(0);
    expect(m.cascade.maxDisplacement).toBe(0);
    expect(m.prices.markLow).toBe(m.prices.exogenousLow);
    expect(m.latency.maxMs).toBe(2_000);
    expect(m.latency.p50Ms).toBe(2_000);
    // The backstop still unloads (at the mark) and ends flat.
    expect(m.backstop.position).toBe('0');
    conserved(r);
  });

  it('reports_every_item_6_metric', () => {
    const m = run({ book: new BookModel(parametricDepthSource({ depthPerPct: 5 })) }).metrics;
    const liq = m.liquidations;
    expect(liq.count).toBe(liq.partial.count + liq.full.count + liq.bankrupt.count);
    expect(Number(m.badDebt.total)).toBeCloseTo(
      Number(m.badDebt.insuranceCover) + Number(m.badDebt.socializedLoss),
      6,
    );
    expect(Number(m.insuranceFund.maxDrawdown)).toBeGreaterThanOrEqual(0);
    expect(Number(m.insuranceFund.min)).toBeLessThanOrEqual(Number(m.insuranceFund.end));
    expect(m.capitalEfficiency.start.ratio).toBeGreaterThanOrEqual(0.04); // static-low IM 4 %
    expect(m.capitalEfficiency.samples.length).toBe(1 + Math.floor((day.length - 1) / 15));
    expect(m.latency.count).toBe(liq.count);
    expect(m.adl.fills).toBeGreaterThanOrEqual(0);
    expect(m.window.points).toBe(4 * 1440);
  });

  it('the_backstop_limit_caps_the_impact_and_defers_the_rest', () => {
    const r = run({
      book: new BookModel(bandedDepthSource(realSnapshots), {
        depthScale: 0.003,
        thinning: NO_THINNING,
        gap: NO_GAP,
      }),
      unload: { maxDisplacement: 0.02 },
    });
    expect(r.metrics.cascade.maxDisplacement).toBeGreaterThanOrEqual(-0.02 - 1e-9);
    expect(r.metrics.cascade.unload.deferred).toBeGreaterThan(0);
    // What waited was sold later, as the book recovered.
    expect(Number(r.metrics.cascade.unload.sold)).toBeGreaterThan(0);
    conserved(r);
  });

  it('keeper_capacity_shows_up_as_latency', () => {
    const r = run({ book: new BookModel(infiniteDepthSource()), keeper: { maxPerRound: 1 } });
    expect(r.metrics.latency.maxMs).toBeGreaterThan(2_000);
    conserved(r);
  });
});

describe('runCascade on any path', () => {
  const t0 = Date.UTC(2024, 0, 1);

  it('splits_moves_beyond_the_engine_price_guard', () => {
    // −70 % then +150 %: each far beyond maxPriceMove (50 %) in one update.
    const path = arrayPoints(['60000', '18000', '45000', 45000.123456789], t0);
    const r = runCascade({ path, intents, policy: staticLow, book: new BookModel(infiniteDepthSource()) });
    expect(r.metrics.prices.exogenousLow).toBe('18000');
    expect(r.metrics.liquidations.count).toBeGreaterThan(0);
    expect(r.engine.state.markets.get(MARKET)!.markPx8).toBe(4_500_012_345_679n);
    conserved(r);
  });

  it('policy_on_tick_reconfigures_the_market', () => {
    const seen: number[] = [];
    const switching: MarginPolicy = {
      ...staticPolicy('switching', '0.04', '0.02'),
      onTick: (t) => {
        seen.push(t.minute);
        return t.minute === 2
          ? { market: { margin: { kind: 'fixed', initialRatio: '0.2', maintenance: { ratio: '0.1' } } } }
          : undefined;
      },
    };
    const path = arrayPoints(
      Array.from({ length: 20 }, (_, i) => 60_000 - i * 100),
      t0,
      15_000,
    );
    const r = runCascade({ path, intents, policy: switching, book: new BookModel(infiniteDepthSource()) });
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    const margin = r.engine.state.markets.get(MARKET)!.config.margin;
    expect(margin.kind === 'fixed' && margin.initialRatio).toBe(200_000n);
    // Doubling MM at minute 2 makes the most leveraged traders liquidatable at once.
    expect(r.metrics.liquidations.count).toBeGreaterThan(0);
    conserved(r);
  });

  it('a_policy_can_bring_its_own_liquidation_policy', () => {
    // Hyperliquid-style: below 2/3 of MM the backstop takes the whole scope over.
    const takeover: MarginPolicy = {
      name: 'takeover',
      configFor: () => ({
        margin: { kind: 'fixed', initialRatio: '0.04', maintenance: { ratio: '0.02' } },
        liquidation: { backstopBelowMaintenanceShare: '0.6666' },
      }),
    };
    const r = run({ policy: takeover, book: new BookModel(parametricDepthSource({ depthPerPct: 20 })) });
    const l = r.metrics.liquidations;
    expect(l.backstop.count).toBeGreaterThan(0);
    expect(l.count).toBe(l.partial.count + l.full.count + l.bankrupt.count + l.backstop.count);
    conserved(r);
  });

  it('unload_disabled_means_no_impact_and_the_backstop_keeps_the_positions', () => {
    const r = run({
      book: new BookModel(parametricDepthSource({ depthPerPct: 1 })),
      unload: { enabled: false },
    });
    expect(r.metrics.cascade.maxDisplacement).toBe(0);
    expect(r.metrics.cascade.peakDepth).toBe(1);
    expect(Number(r.metrics.backstop.position)).not.toBe(0);
    conserved(r);
  });

  it('rejects_a_path_going_back_in_time', () => {
    expect(() =>
      runCascade({
        path: [
          { timeMs: 2, price: '1' },
          { timeMs: 1, price: '1' },
        ],
        intents,
        policy: staticLow,
        book: new BookModel(infiniteDepthSource()),
      }),
    ).toThrow(/increase/);
  });
});
