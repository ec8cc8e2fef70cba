/**
 * The 2025-10-10 crash replayed through the oracle on real prices from three sources
 * (Binance COIN-M mark 1m, Binance USDⓈ-M 5m, Gemini spot trades) plus Binance book depth:
 * the index tracks the real fall, and injected 10x / 0.1x prints change nothing.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { abs } from '../../core/num/index.ts';
import { type OracleOutputs, parseOracleConfigUnsafe } from '../../core/oracle/index.ts';
import { loadCrashKlines } from '../data/crashes.ts';
import { toScaled } from '../data/decimal.ts';
import {
  type BadPrint,
  crashOracleConfig,
  DEFAULT_BAD_PRINTS,
  injectBadPrints,
  loadCrashObservations,
  type ReplayResult,
  replaySteps,
  runOracleSteps,
} from './crash-replay.ts';

const cfg = parseOracleConfigUnsafe(crashOracleConfig('median'));
const utc = (h: number, m: number, s = 0) => Date.UTC(2025, 9, 10, h, m, s);

function replay(observations = loadCrashObservations('2025-10-10')) {
  const results: ReplayResult[] = [];
  const state = runOracleSteps(cfg, replaySteps(observations), (r) => results.push(r));
  return { results, state };
}

let clean: ReturnType<typeof replay>;
let observations: ReturnType<typeof loadCrashObservations>;
beforeAll(() => {
  observations = loadCrashObservations('2025-10-10');
  clean = replay(observations);
});

describe('replay inputs', () => {
  it('merges_the_real_series_in_time_order', () => {
    const count = (pred: (o: (typeof observations)[number]) => boolean) => observations.filter(pred).length;
    expect(count((o) => 'source' in o && o.source === 'binance-coinm-mark')).toBe(1_440);
    expect(count((o) => 'source' in o && o.source === 'binance-usdm-mark')).toBe(288);
    expect(count((o) => 'source' in o && o.source === 'gemini-spot')).toBe(24_706);
    expect(count((o) => o.kind === 'book')).toBe(2_879);
    for (let i = 1; i < observations.length; i++) {
      expect(observations[i]!.timestampMs).toBeGreaterThanOrEqual(observations[i - 1]!.timestampMs);
    }
  });
});

describe('the index tracks the real move', () => {
  const minuteTicks = () => clean.results.filter((r) => r.step.tick).map((r) => r.outputs);

  it('within 1.2 % of the Binance mark at every minute, through the crash', () => {
    // Compare each minute's index with the Binance 1m close that just printed (exact ppm, rounded down).
    const closes = new Map(
      loadCrashKlines('2025-10-10').map((k) => [k.openTimeMs + 60_000, toScaled(k.close, 8)]),
    );
    let worst = 0n;
    let compared = 0;
    for (const o of minuteTicks()) {
      const close = closes.get(o.timeMs);
      if (close === undefined || o.index.pricePx8 === null) continue;
      const ppm = (abs(o.index.pricePx8 - close) * 1_000_000n) / close;
      if (ppm > worst) worst = ppm;
      compared++;
    }
    expect(compared).toBeGreaterThan(1_430);
    expect(worst).toBeLessThan(12_000n);
  });

  it('follows the fall from ~121.7k to ~104.5k at 21:20 UTC and the rebound', () => {
    const at = (h: number, m: number) => clean.results.find((r) => r.outputs.timeMs === utc(h, m))!.outputs;
    const whole = (o: OracleOutputs) => Number((o.index.pricePx8 ?? 0n) / 100_000_000n);
    expect(whole(at(0, 2))).toBeGreaterThan(121_000);
    expect(whole(at(21, 0))).toBeGreaterThan(112_000);
    expect(whole(at(21, 21))).toBeLessThan(105_000);
    expect(whole(at(23, 59))).toBeGreaterThan(112_500);
    let low = clean.results[0]!.outputs;
    for (const r of clean.results)
      if ((r.outputs.index.pricePx8 ?? 10n ** 20n) < (low.index.pricePx8 ?? 10n ** 20n)) low = r.outputs;
    expect(low.index.pricePx8).toBe(104_476_50000000n);
    expect(low.timeMs).toBe(utc(21, 20, 59) + 999);
  });

  it('goes to safe mode once, while the only fresh sources disagreed (21:17:59 → 21:19:59)', () => {
    const transitions = clean.results
      .flatMap((r) => r.outputs.transitions)
      .filter((t) => t.timeMs > utc(1, 0));
    expect(transitions.map((t) => [t.type, new Date(t.timeMs).toISOString().slice(11, 19)])).toEqual([
      ['index_unreliable', '21:17:59'],
      ['safe_mode_entered', '21:17:59'],
      ['index_reliable', '21:18:59'],
      ['safe_mode_exited', '21:19:59'],
    ]);
  });

  it('rejects the crossed book snapshots of the phantom bid and counts them', () => {
    expect(clean.state.rejections.get('ORACLE_CROSSED_BOOK')).toBe(969);
    const others = [...clean.state.rejections].filter(([code, n]) => code !== 'ORACLE_CROSSED_BOOK' && n > 0);
    expect(others).toEqual([]);
  });
});

describe('an injected bad print changes neither the index nor the mark', () => {
  /** Everything the engine acts on, per step. */
  const view = (r: ReplayResult) => ({
    t: r.outputs.timeMs,
    index: r.outputs.index.pricePx8,
    reliable: r.outputs.index.reliable,
    mark: r.outputs.mark.pricePx8,
    twap: r.outputs.twapPx8,
    breaker: r.outputs.breaker,
    safeMode: r.outputs.safeMode,
    transitions: r.outputs.transitions,
  });

  /**
   * Runs the day with the prints and without them, on the same evaluation schedule: the
   * clean run takes the bad run's steps minus the injected inputs (a step that held only a
   * bad print becomes a plain tick), so the only difference is the prints themselves.
   */
  function withAndWithout(prints: readonly BadPrint[]) {
    const withPrints = injectBadPrints(observations, prints);
    const real = new Set(observations);
    const steps = replaySteps(withPrints);
    const cleanSteps = steps.map((s) => ({ ...s, inputs: s.inputs.filter((i) => real.has(i)) }));
    const bad: ReplayResult[] = [];
    const good: ReplayResult[] = [];
    runOracleSteps(cfg, steps, (r) => bad.push(r));
    runOracleSteps(cfg, cleanSteps, (r) => good.push(r));
    expect(withPrints.length - observations.length).toBe(prints.length);
    return { bad, good };
  }

  it('10x at 21:15:00 and 0.1x at 21:20:30 from Gemini: identical outputs, both rejected', () => {
    const { bad, good } = withAndWithout(DEFAULT_BAD_PRINTS);
    expect(bad.map(view)).toEqual(good.map(view));
    const rejected = bad.flatMap((r) => r.rejections).filter((x) => x.code === 'ORACLE_IMPLAUSIBLE_PRICE');
    expect(rejected.map((x) => [x.details?.source, x.details?.pricePx8])).toEqual([
      ['gemini-spot', '112000660000000'], // 10 × 112,000.66
      ['gemini-spot', '1120006600000'], // 0.1 × 112,000.66 (Gemini's last trade before its gap)
    ]);
    expect(bad.reduce((n, r) => n + r.rejections.length, 0)).toBe(969 + 2); // + the crossed books
  });

  it('even while the index is unreliable (21:18:00, no majority to screen against)', () => {
    // Accepted, then dropped by the deviation filter: the index stays unreliable, the mark held,
    // and afterwards the bad value is outvoted until Gemini's next real trade replaces it.
    const { bad, good } = withAndWithout([{ atMs: utc(21, 18), source: 'gemini-spot', factor: '10' }]);
    expect(bad.map(view)).toEqual(good.map(view));
    const at = bad.find((r) => r.outputs.timeMs === utc(21, 18))!;
    expect(at.rejections).toEqual([]);
    expect(at.outputs.sources.find((s) => s.source === 'gemini-spot')!.reason).toBe('deviation');
  });

  it('and in a calm hour, a 0.1x print from the Binance mark series', () => {
    const { bad, good } = withAndWithout([
      { atMs: utc(12, 0, 30), source: 'binance-coinm-mark', factor: '0.1' },
    ]);
    expect(bad.map(view)).toEqual(good.map(view));
  });
});

describe('replaySteps', () => {
  it('groups equal timestamps and ticks on every interval boundary', () => {
    const obs = [
      { source: 'a', price: '1', timestampMs: 500 },
      { source: 'b', price: '1', timestampMs: 500 },
      { source: 'a', price: '1', timestampMs: 1_000 },
      { source: 'a', price: '1', timestampMs: 3_500 },
    ];
    expect(replaySteps(obs, 1_000).map((s) => [s.nowMs, s.inputs.length, s.tick])).toEqual([
      [500, 2, false],
      [1_000, 1, true],
      [2_000, 0, true],
      [3_000, 0, true],
      [3_500, 1, false],
    ]);
  });
  it('range_limits_reporting_ticks_and_the_end', () => {
    const obs = [0, 1_500, 2_500, 4_000].map((t) => ({ source: 'a', price: '1', timestampMs: t }));
    expect(replaySteps(obs, 1_000, { fromMs: 2_000, toMs: 3_000 }).map((s) => [s.nowMs, s.tick])).toEqual([
      [0, false],
      [1_000, false],
      [1_500, false],
      [2_000, true],
      [2_500, false],
      [3_000, true],
    ]);
  });
});
