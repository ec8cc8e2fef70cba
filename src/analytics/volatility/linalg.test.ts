import { describe, expect, it } from 'vitest';
import { leastSquares, RankDeficientError } from './linalg.ts';

describe('leastSquares', () => {
  it('exact_line_through_three_points', () => {
    const { beta, rss } = leastSquares([1, 0, 1, 1, 1, 2], 3, 2, [1, 3, 5]);
    expect(beta[0]).toBeCloseTo(1, 14);
    expect(beta[1]).toBeCloseTo(2, 14);
    expect(rss).toBeLessThan(1e-25);
  });

  it('textbook_regression_matches_normal_equations', () => {
    // y = [1, 2, 2, 4] on x = [1, 2, 3, 4]: slope = Sxy/Sxx = 4.5/5 = 0.9, intercept = 2.25 - 0.9·2.5 = 0
    const { beta, rss } = leastSquares([1, 1, 1, 2, 1, 3, 1, 4], 4, 2, [1, 2, 2, 4]);
    expect(beta[0]).toBeCloseTo(0, 14);
    expect(beta[1]).toBeCloseTo(0.9, 14);
    // residuals: 0.1, 0.2, -0.7, 0.4 → rss = 0.01 + 0.04 + 0.49 + 0.16 = 0.7
    expect(rss).toBeCloseTo(0.7, 13);
  });

  it('agrees_with_cramer_on_three_regressors', () => {
    // Random-looking but fixed design, solved by 3×3 normal equations with Cramer's rule.
    const rows = [
      [1, 0.3, 2.1],
      [1, -1.2, 0.4],
      [1, 2.2, -0.7],
      [1, 0.9, 1.5],
      [1, -0.4, -2.2],
      [1, 1.7, 0.1],
    ];
    const y = [1.1, -0.3, 2.8, 1.9, -1.4, 2.2];
    const x = rows.flat();
    const { beta } = leastSquares(x, 6, 3, y);
    const xtx = [0, 1, 2].map((i) => [0, 1, 2].map((j) => rows.reduce((s, r) => s + r[i]! * r[j]!, 0)));
    const xty = [0, 1, 2].map((i) => rows.reduce((s, r, k) => s + r[i]! * y[k]!, 0));
    const det = (m: number[][]): number =>
      m[0]![0]! * (m[1]![1]! * m[2]![2]! - m[1]![2]! * m[2]![1]!) -
      m[0]![1]! * (m[1]![0]! * m[2]![2]! - m[1]![2]! * m[2]![0]!) +
      m[0]![2]! * (m[1]![0]! * m[2]![1]! - m[1]![1]! * m[2]![0]!);
    const d = det(xtx);
    for (let c = 0; c < 3; c++) {
      const mc = xtx.map((row, i) => row.map((v, j) => (j === c ? xty[i]! : v)));
      expect(beta[c]).toBeCloseTo(det(mc) / d, 12);
    }
  });

  it('rank_deficient_design_throws', () => {
    // second column = 2 × first
    expect(() => leastSquares([1, 2, 1, 2, 1, 2], 3, 2, [1, 2, 3])).toThrow(RankDeficientError);
  });

  it('bad_shapes_throw', () => {
    expect(() => leastSquares([1, 2], 1, 2, [1])).toThrow(RangeError);
    expect(() => leastSquares([1, 2, 3], 2, 2, [1, 2])).toThrow(RangeError);
  });
});
