/**
 * The normalised Black function and its inverse on their own (normalised-black.ts):
 * - b(x, s) and ∂b/∂s against mpmath at 80 digits (e^{x/2}Φ(x/s + s/2) − e^{−x/2}Φ(x/s − s/2)
 *   for the float64 x, s shown, rounded to the nearest double), at least two points per
 *   evaluation region and points on the region boundaries;
 * - put-call symmetry and in-the-money = intrinsic + out-of-the-money;
 * - the implied normalised volatility: round trip, iteration bound, degenerate inputs.
 * The comparison with Jäckel's C++ outputs is in black76.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { impliedNormalisedVolatility, normalisedBlack, normalisedVega } from './normalised-black.ts';

const relErr = (got: number, want: number) =>
  want === 0 ? Math.abs(got) : Math.abs(got - want) / Math.abs(want);

/** [region, x, s, b(x, s), ∂b/∂s], x ≤ 0 (out-of-the-money call): mpmath, 80 digits, nearest double. */
const MPMATH: [string, number, number, number, number][] = [
  ['high', -0.5, 4.0, 0.7335650404160632, 0.053570805478393296],
  ['high', -1e-5, 2.4, 0.7698556595702523, 0.1941860549815273],
  ['high', -20.0, 30.0, 4.5399929762484854e-5, 4.428646001229607e-50],
  ['high (t − u = 1, boundary)', -1.5, 3.0, 0.3492610876549261, 0.11429887700535346],
  ['asymptotic', -1.0, 0.05, 6.847932680690649e-92, 5.519223335346189e-88],
  [
    'asymptotic',
    -0.0018271822634548574,
    6.188253231208403e-5,
    1.3706400320778202e-197,
    1.9376324782401876e-190,
  ],
  ['asymptotic', -10.0, 0.5, 6.640328034550321e-91, 5.351086638432982e-88],
  ['asymptotic', -30.0, 2.0, 2.9556608552583065e-52, 3.3545449119460956e-50],
  ['asymptotic (u − t = 10, boundary)', -10.5, 1.0, 3.574592402643634e-27, 4.0377547867957747e-25],
  ['direct', -64.0, 8.0, 2.608135634387933e-19, 1.6948481345591569e-18],
  ['direct', -1.7265581517435522, 1.0917421514467998, 0.02376398480708982, 0.09842594598293489],
  ['direct', -0.3, 0.8, 0.18429840094133898, 0.3432655156383206],
  ['direct (t = u/4, boundary)', -8.0, 2.0, 9.073599355253022e-6, 8.117213512266658e-5],
  ['small t', -1.5703407068690798, 0.5436575597987943, 0.00029682548973042366, 0.005931222710066419],
  ['small t', -0.01, 0.001, 7.474559337762834e-28, 7.694597664881651e-23],
  ['small t', -0.25, 0.05, 2.67230070399895e-9, 1.4862549874721103e-6],
  ['small t (u < 1, forward moments)', -0.0001, 0.001, 0.0003509353148112489, 0.39695249785794645],
  ['small t', -0.9, 0.1, 1.2232840021518699e-21, 1.0266931882432222e-18],
  ['small t', -3.0, 1.0, 0.00034299241765225834, 0.003911092496259749],
  ['at the money', 0.0, 1e-6, 3.98942280401416e-7, 0.3989422804013828],
  ['at the money', 0.0, 0.2, 0.07965567455405796, 0.39695254747701175],
];

describe('normalised Black against mpmath', () => {
  it.each(MPMATH.map(([region, x, s, b, v]) => ({ name: `${region}: x ${x}, s ${s}`, x, s, b, v })))(
    '$name',
    ({ x, s, b, v }) => {
      // Measured ≤ 1.1e−15 over 9 000 random points in all regions (1.7e−15 on Jäckel's vectors).
      expect(relErr(normalisedBlack(x, s, 1), b)).toBeLessThanOrEqual(2e-15);
      expect(relErr(normalisedBlack(-x, s, -1), b)).toBeLessThanOrEqual(2e-15);
      expect(relErr(normalisedVega(x, s), v)).toBeLessThanOrEqual(1e-15);
      expect(normalisedVega(-x, s)).toBe(normalisedVega(x, s));
    },
  );
  it('in the money = intrinsic + out of the money (put-call symmetry)', () => {
    for (const [, x, s] of MPMATH) {
      const intrinsic = 2 * Math.sinh(-x / 2); // e^{−x/2} − e^{x/2}
      const otm = normalisedBlack(x, s, 1);
      expect(relErr(normalisedBlack(-x, s, 1), intrinsic + otm)).toBeLessThanOrEqual(2e-16);
      expect(relErr(normalisedBlack(x, s, -1), intrinsic + otm)).toBeLessThanOrEqual(2e-16);
    }
  });
  it('degenerate s: zero gives intrinsic, subnormal gives the limit, infinite gives b_max', () => {
    expect(normalisedBlack(-1, 0, 1)).toBe(0);
    expect(normalisedBlack(1, 0, 1)).toBe(2 * Math.sinh(0.5));
    expect(normalisedBlack(-1, 5e-324, 1)).toBe(0);
    expect(normalisedVega(-1, 5e-324)).toBe(0);
    expect(normalisedBlack(-1, Number.POSITIVE_INFINITY, 1)).toBe(Math.exp(-0.5));
    expect(normalisedVega(0, 0)).toBe(0);
  });
  it('is monotone in s across the region boundaries', () => {
    for (const x of [-1.5, -8, -10.5, -0.05]) {
      let prev = 0;
      for (let s = 1e-3; s < 40; s *= 1.0005) {
        const b = normalisedBlack(x, s, 1);
        expect(b).toBeGreaterThanOrEqual(prev);
        prev = b;
      }
    }
  });
});

describe('implied normalised volatility', () => {
  it('recovers s with few iterations over the (x, s) plane', () => {
    let worst = 0;
    for (let i = 0; i <= 40; i++) {
      const x = i === 0 ? 0 : -(10 ** (-8 + i * 0.25)); // 0, −1e−8 … −100
      for (let j = 0; j <= 48; j++) {
        const s = 10 ** (-4 + j * 0.125); // 1e−4 … 1e2
        const beta = normalisedBlack(x, s, 1);
        const bMax = Math.exp(x / 2);
        if (!(beta > 1e-300) || beta >= bMax) continue;
        const r = impliedNormalisedVolatility(beta, x);
        worst = Math.max(worst, r.iterations);
        // s is fixed by b only to ε·b/(s·∂b/∂s) relative, plus ε·b_max/(b_max − b) near the top.
        const v = normalisedVega(x, s);
        const tol = 4e-15 + (4 * Number.EPSILON * beta) / (s * v) + (4 * Number.EPSILON * bMax) / (s * v);
        expect(relErr(r.s, s), `x ${x}, s ${s}`).toBeLessThanOrEqual(tol);
        expect(r.iterations, `x ${x}, s ${s}`).toBeLessThanOrEqual(8);
      }
    }
    expect(worst).toBeGreaterThan(0);
  });
  it('degenerate prices', () => {
    expect(impliedNormalisedVolatility(0, -1)).toEqual({ s: 0, iterations: 0 });
    expect(impliedNormalisedVolatility(Math.exp(-0.5), -1).s).toBe(Number.POSITIVE_INFINITY);
    // A subnormal premium at the money: b(0, s) ≈ s/√(2π).
    const r = impliedNormalisedVolatility(5e-324, 0);
    expect(r.s).toBeGreaterThan(0);
    expect(normalisedBlack(0, r.s, 1)).toBeLessThanOrEqual(1e-323); // subnormal granularity 5e−324
    // A subnormal premium out of the money still has a finite, positive root.
    const w = impliedNormalisedVolatility(1e-320, -2);
    expect(w.s).toBeGreaterThan(0);
    expect(relErr(normalisedBlack(-2, w.s, 1), 1e-320)).toBeLessThan(1e-3);
  });
});
