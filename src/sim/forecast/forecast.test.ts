import { describe, expect, it } from 'vitest';
import { seededUniform } from '../../analytics/stats.ts';
import { qlike } from '../../analytics/volatility/index.ts';
import type { Bar } from './bars.ts';
import {
  assertNoLookAhead,
  FEATURE_LOOKBACK,
  type FeatureRow,
  featuresAt,
  fundingAt,
  LookAheadError,
  parkinsonVariance,
} from './features.ts';
import { spikeScore, trainForest, walkForward } from './walk-forward.ts';

/** Seeded hourly bars with volatility clustering (a GARCH-like recursion), 1 h apart. */
function syntheticBars(n: number, seed: number): Bar[] {
  const u = seededUniform(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  let px = 30_000;
  let v = 1e-4;
  let r = 0;
  const bars: Bar[] = [];
  for (let i = 0; i < n; i++) {
    v = 2e-6 + 0.15 * r * r + 0.83 * v;
    r = Math.sqrt(v) * normal();
    const open = px;
    px = px * Math.exp(r);
    const wiggle = Math.sqrt(v) * Math.abs(normal()) * 0.5;
    bars.push({
      openSec: 1_600_000_000 + i * 3600,
      open,
      high: Math.max(open, px) * Math.exp(wiggle),
      low: Math.min(open, px) * Math.exp(-wiggle),
      close: px,
      volume: 100 + 1000 * u(),
    });
  }
  return bars;
}

const SMALL = {
  trainBars: 120,
  refitEvery: 40,
  burnIn: 20,
  forest: { nEstimators: 5, maxDepth: 3, minNumSamples: 10, maxFeatures: 0.6, seed: 7 },
} as const;

describe('losses and features by hand', () => {
  it('QLIKE: y/h − ln(y/h) − 1 at hand-computed points', () => {
    // h = 1e-4, y = 2e-4: 2 − ln 2 − 1 = 0.306852819...
    expect(qlike(1e-4, 2e-4)).toBeCloseTo(0.3068528194, 9);
    // h = 2e-4, y = 1e-4: 0.5 + ln 2 − 1 = 0.193147180...
    expect(qlike(2e-4, 1e-4)).toBeCloseTo(0.1931471806, 9);
    expect(qlike(3e-4, 3e-4)).toBe(0);
  });

  it('Parkinson variance of a 100→110 bar: ln(1.1)² / (4 ln 2) = 0.00327637...', () => {
    // ln 1.1 = 0.0953101798, squared 0.0090840304, / 2.7725887222 = 0.0032763714 (python3 math)
    expect(parkinsonVariance({ high: 110, low: 100 })).toBeCloseTo(0.0032763714, 9);
  });

  it('funding: the latest point at or before t, none before the first', () => {
    const f = [
      { timeSec: 100, rate: 0.0001 },
      { timeSec: 200, rate: -0.0003 },
    ];
    expect(fundingAt(f, 99)).toBeUndefined();
    expect(fundingAt(f, 200)?.rate).toBe(-0.0003);
    expect(fundingAt(f, 199)?.rate).toBe(0.0001);
  });

  it('spike precision/recall on a hand example (alarm = at or above the 50th pct of past forecasts)', () => {
    // k=2: past [1,5] median 3, h=4 → alarm, spike → hit. k=3: past [1,4,5] median 4, h=2 → no alarm, spike → miss.
    // k=4: past [1,2,4,5] median 3, h=6 → alarm, no spike.
    const s = spikeScore([1, 5, 4, 2, 6], [false, false, true, true, false], 0.5, 2);
    expect(s).toMatchObject({ spikes: 2, alarms: 2, hits: 1, precision: 0.5, recall: 0.5 });
  });
});

describe('walk-forward: no look-ahead', () => {
  const bars = syntheticBars(FEATURE_LOOKBACK + 120 + 90, 11);

  it('every feature of every row is stamped at or before its forecast time', () => {
    const rows: FeatureRow[] = [];
    for (let i = FEATURE_LOOKBACK; i < bars.length; i++)
      rows.push(featuresAt(bars, i, [{ timeSec: 0, rate: 1e-4 }]));
    expect(() => assertNoLookAhead(rows)).not.toThrow();
    for (const r of rows) for (const s of r.asOfSec) expect(s).toBeLessThanOrEqual(r.forecastSec);
  });

  it('a feature read from the bar being forecast is caught by the as-of check', () => {
    const leaky: typeof featuresAt = (b, i, f, step = 3600) => {
      const row = featuresAt(b, i, f, step);
      const target = b[i]!;
      return {
        ...row,
        values: [...row.values.slice(0, -1), Math.log(parkinsonVariance(target))],
        asOfSec: [...row.asOfSec.slice(0, -1), target.openSec + step],
      };
    };
    expect(() => walkForward(bars, [], { ...SMALL, features: leaky })).toThrow(LookAheadError);
    // and a funding point published after the forecast time is caught too
    const row = featuresAt(bars, FEATURE_LOOKBACK, []);
    const late = { ...row, asOfSec: row.asOfSec.map((s, k) => (k === 7 ? row.forecastSec + 1 : s)) };
    expect(() => assertNoLookAhead([late])).toThrow(/funding/);
  });

  it('shuffled future: forecasts up to time t do not change when the bars after t are permuted', () => {
    const base = walkForward(bars, [], SMALL);
    const cut = FEATURE_LOOKBACK + 120 + 30; // forecasts for bars < cut use bars < cut only
    const u = seededUniform(3);
    const tail = bars.slice(cut + 1);
    for (let k = tail.length - 1; k > 0; k--) {
      const j = Math.floor(u() * (k + 1));
      [tail[k], tail[j]] = [tail[j]!, tail[k]!];
    }
    const shuffled = [...bars.slice(0, cut + 1), ...tail].map((b, i) => ({
      ...b,
      openSec: bars[i]!.openSec,
    }));
    const again = walkForward(shuffled, [], SMALL);
    const upTo = cut - (FEATURE_LOOKBACK + 120) + 1; // forecast rows for bars first..cut
    expect(again.forecasts.slice(0, upTo)).toEqual(base.forecasts.slice(0, upTo));
    expect(again.forecasts.slice(upTo)).not.toEqual(base.forecasts.slice(upTo));

    // A leak whose time stamp lies (reads bar i, claims bar i-1) passes the as-of check but not this test.
    const lying: typeof featuresAt = (b, i, f, step = 3600) => {
      const row = featuresAt(b, i, f, step);
      const next = b[Math.min(i + 1, b.length - 1)]!;
      return { ...row, values: [...row.values.slice(0, -1), Math.log(parkinsonVariance(next))] };
    };
    const a = walkForward(bars, [], { ...SMALL, features: lying });
    const b = walkForward(shuffled, [], { ...SMALL, features: lying });
    expect(b.forecasts.slice(0, upTo)).not.toEqual(a.forecasts.slice(0, upTo));
  });

  it('mean QLIKE is the average of y/h − ln(y/h) − 1 over the returned forecasts', () => {
    const ev = walkForward(bars, [], SMALL);
    expect(ev.testBars).toBe(90);
    ev.models.forEach((m, k) => {
      const byHand = ev.forecasts.reduce((s, f) => s + (f.y / f.h[k]! - Math.log(f.y / f.h[k]!) - 1), 0) / 90;
      expect(m.meanQlike).toBeCloseTo(byHand, 12);
    });
  });
});

describe('learned forest: seeded and deterministic', () => {
  const u = seededUniform(5);
  const X = Array.from({ length: 200 }, () => [u(), u(), u()]);
  const y = X.map((r) => -9 + 2 * r[0]! - r[1]! + 0.1 * u());

  it('the same seed gives the same forecasts; another seed gives others', () => {
    const opts = { nEstimators: 8, maxDepth: 3, minNumSamples: 10, maxFeatures: 0.67, seed: 42 };
    const a = trainForest(X, y, opts).predict(X.slice(0, 20));
    const b = trainForest(X, y, opts).predict(X.slice(0, 20));
    const c = trainForest(X, y, { ...opts, seed: 43 }).predict(X.slice(0, 20));
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    for (const h of a) expect(h).toBeGreaterThan(0);
  });

  it('too little training data is a RangeError', () => {
    expect(() => trainForest(X.slice(0, 5), y.slice(0, 5))).toThrow(RangeError);
  });
});
