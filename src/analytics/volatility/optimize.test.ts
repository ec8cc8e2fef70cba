import { describe, expect, it } from 'vitest';
import { minimizeMultiStart, nelderMead } from './optimize.ts';

describe('nelderMead', () => {
  it('quadratic_bowl', () => {
    const r = nelderMead(([x, y]) => (x! - 1) ** 2 + 10 * (y! + 2) ** 2, [0, 0]);
    expect(r.converged).toBe(true);
    expect(r.x[0]).toBeCloseTo(1, 6);
    expect(r.x[1]).toBeCloseTo(-2, 6);
  });

  it('rosenbrock', () => {
    const rosen = ([x, y]: readonly number[]): number => 100 * (y! - x! * x!) ** 2 + (1 - x!) ** 2;
    const r = nelderMead(rosen, [-1.2, 1], { maxIterations: 5000, maxEvaluations: 10_000 });
    expect(r.x[0]).toBeCloseTo(1, 5);
    expect(r.x[1]).toBeCloseTo(1, 5);
    expect(r.f).toBeLessThan(1e-10);
  });

  it('five_dimensional_sphere', () => {
    const r = nelderMead((x) => x.reduce((s, v, i) => s + (v - i) ** 2, 0), [5, 5, 5, 5, 5], {
      maxIterations: 10_000,
      maxEvaluations: 20_000,
    });
    r.x.forEach((v, i) => {
      expect(v).toBeCloseTo(i, 5);
    });
  });

  it('infinite_values_are_avoided', () => {
    // minimum of (x-2)² on x > 0.5, with +∞ outside
    const r = nelderMead(([x]) => (x! > 0.5 ? (x! - 2) ** 2 : Number.POSITIVE_INFINITY), [1]);
    expect(r.x[0]).toBeCloseTo(2, 6);
  });

  it('deterministic', () => {
    const f = ([x, y]: readonly number[]): number => Math.sin(x!) * Math.cos(y!) + 0.1 * (x! * x! + y! * y!);
    expect(nelderMead(f, [1, 1])).toEqual(nelderMead(f, [1, 1]));
  });
});

describe('minimizeMultiStart', () => {
  it('finds_the_global_of_two_wells', () => {
    // wells at x = -2 (f = 0) and x = 2 (f = 1)
    const f = ([x]: readonly number[]): number => Math.min((x! + 2) ** 2, (x! - 2) ** 2 + 1);
    const r = minimizeMultiStart(f, [[3], [-3]]);
    expect(r.x[0]).toBeCloseTo(-2, 6);
    expect(r.f).toBeLessThan(1e-10);
  });
  it('needs_a_start', () => expect(() => minimizeMultiStart(() => 0, [])).toThrow(RangeError));
});
