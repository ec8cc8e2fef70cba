import { describe, expect, it } from 'vitest';
import { normalCdf } from '../../core/pricing/normal.ts';
import { dieboldMariano } from './diebold-mariano.ts';

describe('Diebold–Mariano', () => {
  it('hand_computed_one_step', () => {
    // d = [1, 2, 3, 4]: mean 2.5, γ₀ = 1.25, DM = 2.5/√(1.25/4) = 4.4721;
    // HLN (h = 1): × √((4 + 1 - 2)/4) = √0.75 → 3.8730
    const r = dieboldMariano([1, 2, 3, 4], [0, 0, 0, 0], 1);
    expect(r.meanDifference).toBe(2.5);
    expect(r.statistic).toBeCloseTo((2.5 / Math.sqrt(1.25 / 4)) * Math.sqrt(0.75), 12);
    expect(r.pValue).toBeCloseTo(2 * normalCdf(-r.statistic), 15);
  });

  it('hand_computed_two_step_newey_west', () => {
    // d = [1, -1, 2, 0, 3], h = 2 → q = 1, Bartlett weight 1/2.
    const d = [1, -1, 2, 0, 3];
    const n = 5;
    const mean = 1;
    const g0 = d.reduce((s, x) => s + (x - mean) ** 2, 0) / n; // (0+4+1+1+4)/5 = 2
    let g1 = 0;
    for (let t = 1; t < n; t++) g1 += (d[t]! - mean) * (d[t - 1]! - mean);
    g1 /= n; // (0 + -2 + -1 + -2)/5 = -1
    const v = g0 + 2 * 0.5 * g1; // 1
    const hln = Math.sqrt((n + 1 - 4 + 2 / n) / n);
    const r = dieboldMariano(d, [0, 0, 0, 0, 0], 2);
    expect(r.statistic).toBeCloseTo((mean / Math.sqrt(v / n)) * hln, 12);
  });

  it('antisymmetric', () => {
    const a = [0.3, 0.1, 0.7, 0.2, 0.9, 0.4];
    const b = [0.2, 0.4, 0.5, 0.1, 0.6, 0.3];
    expect(dieboldMariano(a, b).statistic).toBeCloseTo(-dieboldMariano(b, a).statistic, 14);
  });

  it('identical_losses_give_nan', () => {
    expect(dieboldMariano([1, 2, 3], [1, 2, 3]).statistic).toBeNaN();
  });

  it('rejects_bad_input', () => {
    expect(() => dieboldMariano([1, 2], [1])).toThrow(RangeError);
    expect(() => dieboldMariano([1], [1])).toThrow(RangeError);
    expect(() => dieboldMariano([1, 2], [1, 2], 0)).toThrow(RangeError);
  });
});
