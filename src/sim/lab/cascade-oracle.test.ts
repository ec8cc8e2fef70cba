/**
 * The risk lab on 2025-10-10 with the oracle feed: the day's real multi-source observations,
 * displaced by the book model, go through the engine's `oracle` command and the guarded mark is
 * the mark the lab margins and liquidates on.
 */
import { describe, expect, it } from 'vitest';
import {
  BookModel,
  bandedDepthSource,
  NO_GAP,
  NO_THINNING,
  readBookDepthSnapshots,
  repairPhantomBids,
} from '../../analytics/liquidity/depth-model.ts';
import { Engine } from '../../core/engine/engine.ts';
import { InMemoryJournal } from '../../store/memory-journal.ts';
import { DATA_DIR, loadCrashKlines } from '../data/crashes.ts';
import { drawTraders, LAB_POPULATION_SPEC } from '../population.ts';
import { conservation } from '../replay.ts';
import { MARKET } from '../venue.ts';
import { displaceInputs, displacePrice, mergeTicks } from './cascade/oracle-ticks.ts';
import { klinePoints, runCascade } from './cascade-sim.ts';
import { BOOK_DEPTH_FILE, formatOracle, runComparison } from './compare.ts';
import { DEFAULT_POLICIES } from './policies.ts';

const from = Date.parse('2025-10-10T21:05:00Z');
const to = Date.parse('2025-10-10T21:30:00Z');
const path = klinePoints(
  loadCrashKlines('2025-10-10').filter((k) => k.openTimeMs >= from && k.openTimeMs <= to),
);
const intents = drawTraders({ ...LAB_POPULATION_SPEC, accounts: 120, seed: 9 });
const snapshots = repairPhantomBids(readBookDepthSnapshots(DATA_DIR + BOOK_DEPTH_FILE)).snapshots;
const book = () =>
  new BookModel(bandedDepthSource(snapshots), { depthScale: 0.003, thinning: NO_THINNING, gap: NO_GAP });
const run = (oracle: boolean, journal?: InMemoryJournal) =>
  runCascade({
    path,
    intents,
    policy: DEFAULT_POLICIES[0]!,
    book: book(),
    ...(oracle ? { oracle: '2025-10-10' as const } : {}),
    ...(journal ? { journal } : {}),
  });

describe('runCascade with the 2025-10-10 oracle feed', () => {
  it('the_guarded_mark_is_the_mark_and_conservation_and_replay_hold', () => {
    const journal = new InMemoryJournal();
    const r = run(true, journal);
    const types = [...journal.read()].map((e) => e.type);
    const stepped = types.filter((t) => t === 'oracle_stepped').length;
    expect(stepped).toBeGreaterThan(100);
    // After the oracle is set, `prices` commands only re-price the BTC collateral: never the mark.
    const events = [...journal.read()];
    const oracleSetAt = events.findIndex((e) => e.type === 'oracle_configured');
    expect(oracleSetAt).toBeGreaterThan(0);
    for (const e of events.slice(oracleSetAt))
      if (e.type === 'prices_updated') expect(JSON.parse(e.json).marks ?? []).toEqual([]);
    // The engine's mark is the oracle's guarded mark, and it is not the kline path's.
    const m = r.engine.state.markets.get(MARKET)!;
    expect(m.oracle?.state.markPx8).toBe(m.markPx8);
    const klines = run(false);
    expect(r.metrics.prices.markLow).not.toBe(klines.metrics.prices.markLow);
    expect(r.metrics.prices.markLow).toBe(r.metrics.oracle?.markLow);
    expect(r.metrics.oracle?.steps).toBeGreaterThan(stepped / 2);
    expect(formatOracle([r.metrics])).toMatch(/^static-low: guarded mark low [\d,.]+ at .* safe mode \d+×/m);
    expect(formatOracle([klines.metrics])).toBe('');
    // INV-01 and INV-02.
    expect(r.metrics.conservation.ok).toBe(true);
    expect(conservation(r.engine.state).ok).toBe(true);
    expect(Engine.open(journal).stateHash()).toBe(r.engine.stateHash());
  });

  it('the_kline_run_is_unchanged_by_the_option', () => {
    const a = run(false);
    const b = runCascade({ path, intents, policy: DEFAULT_POLICIES[0]!, book: book() });
    expect(a.metrics).toEqual(b.metrics);
    expect(a.metrics.oracle).toBeUndefined();
  });

  it('prices_oracle_on_a_single_series_history_is_refused', () => {
    expect(() => runComparison({ crash: '2021-05-19', accounts: 20, seed: 1, prices: 'oracle' })).toThrow(
      /single price series/,
    );
    expect(() =>
      runComparison({
        crash: '2025-10-10',
        history: { kind: 'synthetic', model: 'gbm', seed: 1, minutes: 10 },
        accounts: 20,
        seed: 1,
        prices: 'oracle',
      }),
    ).toThrow(/single price series/);
  });
});

describe('oracle ticks', () => {
  it('displaces_every_price_of_the_observations_together', () => {
    expect(displacePrice('100000', -0.05)).toBe('95000');
    expect(displacePrice('100000.5', 0)).toBe('100000.5');
    const d = displaceInputs(
      [
        { source: 'gemini-spot', price: '200', timestampMs: 1 },
        { kind: 'book', impactBid: '100', impactAsk: '102', timestampMs: 1 },
      ],
      0.01,
    );
    expect(d).toEqual([
      { source: 'gemini-spot', price: '202', timestampMs: 1 },
      { kind: 'book', impactBid: '101', impactAsk: '103.02', timestampMs: 1 },
    ]);
  });

  it('merges_points_and_steps_in_time_order_points_first', () => {
    const ticks = mergeTicks(
      [
        { timeMs: 0, price: '1' },
        { timeMs: 20, price: '2' },
      ],
      [
        { nowMs: 0, inputs: [], tick: true },
        { nowMs: 10, inputs: [], tick: false },
        { nowMs: 30, inputs: [], tick: false },
      ],
    );
    expect(ticks.map((t) => `${t.kind}@${t.timeMs}`)).toEqual([
      'point@0',
      'oracle@0',
      'oracle@10',
      'point@20',
      'oracle@30',
    ]);
  });
});
