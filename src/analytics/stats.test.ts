/**
 * Statistics against published values: Student-t quantiles from the standard tables
 * (e.g. NIST/SEMATECH e-Handbook 1.3.6.7.2), the closed-form t distribution functions for
 * ν = 1 (Cauchy: ½ + atan(t)/π) and ν = 2 (½ + t / (2√(2 + t²))), and a t interval by hand.
 */
import { describe, expect, it } from 'vitest';
import {
  bootstrapInterval,
  logGamma,
  mean,
  pairedDifference,
  StatsInputError,
  studentTCdf,
  studentTQuantile,
  tInterval,
  variance,
} from './stats.ts';

describe('distributions', () => {
  it('t quantiles match the tables', () => {
    const table: [number, number, number][] = [
      [0.975, 1, 12.706],
      [0.975, 2, 4.303],
      [0.975, 5, 2.571],
      [0.975, 10, 2.228],
      [0.975, 29, 2.045],
      [0.975, 100, 1.984],
      [0.95, 10, 1.812],
      [0.995, 20, 2.845],
    ];
    for (const [p, df, q] of table) expect(studentTQuantile(p, df)).toBeCloseTo(q, 3);
    expect(studentTQuantile(0.025, 10)).toBeCloseTo(-2.228, 3);
    expect(studentTQuantile(0.5, 7)).toBe(0);
  });

  it('t distribution functions match the closed forms for ν = 1 and ν = 2', () => {
    for (const t of [-30, -3, -1, -0.2, 0, 0.5, 2, 10]) {
      expect(studentTCdf(t, 1)).toBeCloseTo(0.5 + Math.atan(t) / Math.PI, 12);
      expect(studentTCdf(t, 2)).toBeCloseTo(0.5 + t / (2 * Math.sqrt(2 + t * t)), 12);
    }
  });

  it('log Γ at integers and ½', () => {
    expect(logGamma(1)).toBeCloseTo(0, 12);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
  });
});

describe('intervals', () => {
  it('a t interval by hand', () => {
    // xs = 1..5: mean 3, s² = 2.5, se = √0.5, t(0.975, 4) = 2.776 → 3 ± 1.963
    const ci = tInterval([1, 2, 3, 4, 5]);
    expect(mean([1, 2, 3, 4, 5])).toBe(3);
    expect(variance([1, 2, 3, 4, 5])).toBe(2.5);
    expect(ci.lo).toBeCloseTo(3 - 2.7764 * Math.sqrt(0.5), 3);
    expect(ci.hi).toBeCloseTo(3 + 2.7764 * Math.sqrt(0.5), 3);
  });

  it('one value: no spread, NaN bounds; a constant sample: a point interval', () => {
    const one = tInterval([4]);
    expect(one.mean).toBe(4);
    expect(Number.isNaN(one.lo)).toBe(true);
    const c = bootstrapInterval([2, 2, 2, 2]);
    expect([c.lo, c.hi]).toEqual([2, 2]);
  });

  it('the bootstrap is reproducible from its seed and moves with it', () => {
    const xs = [3.1, 1.4, 4.15, 1.92, 5.6, 9.53, 2.58, 6.97, 5.93, 3.23];
    const o = { resamples: 101 };
    expect(bootstrapInterval(xs, { ...o, seed: 9 })).toEqual(bootstrapInterval(xs, { ...o, seed: 9 }));
    expect(bootstrapInterval(xs, { ...o, seed: 9 }).lo).not.toBe(
      bootstrapInterval(xs, { ...o, seed: 10 }).lo,
    );
  });

  it('paired: a constant shift is distinguishable, identical samples are not', () => {
    const b = [10, 20, 30, 40];
    const d = pairedDifference(
      b.map((x) => x - 5),
      b,
    );
    expect(d.t.mean).toBe(-5);
    expect(d.distinguishable).toBe(true);
    expect(d.relative).toBeCloseTo(-5 / 25, 12);
    const same = pairedDifference(b, b);
    expect(same.distinguishable).toBe(false);
    // Differences of both signs around 0: the interval covers 0.
    expect(pairedDifference([11, 19, 31, 39], b).distinguishable).toBe(false);
  });

  it('bad input is a typed error', () => {
    expect(() => mean([])).toThrow(StatsInputError);
    expect(() => tInterval([1, Number.NaN])).toThrow(StatsInputError);
    expect(() => tInterval([1, 2], 1)).toThrow(StatsInputError);
    expect(() => pairedDifference([1, 2], [1])).toThrow(StatsInputError);
    expect(() => bootstrapInterval([1, 2], { resamples: 0 })).toThrow(StatsInputError);
    expect(() => studentTQuantile(1, 3)).toThrow(StatsInputError);
  });
});
