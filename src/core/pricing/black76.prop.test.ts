/**
 * Properties of the Black-76 / BSM kernel (fast-check):
 * - put-call parity C − P = DF·(F − K) (brief: 1e−10 relative; asserted at 1e−14 of DF·(F + K)),
 * - every Greek equals a central finite difference of the price (or of delta, for gamma),
 * - the price is non-decreasing in σ and stays within the no-arbitrage bounds
 *   DF·(F − K)⁺ ≤ C ≤ DF·F and DF·(K − F)⁺ ≤ P ≤ DF·K, for any σ, T, moneyness.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Black76Input,
  black76Greeks,
  black76Price,
  bsmGreeks,
  bsmPrice,
  type OptionKind,
} from './black76.ts';

const RUNS = Number(process.env.PROP_RUNS ?? 1000);
const kind = fc.constantFrom<OptionKind>('call', 'put');
const dbl = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });

describe('put-call parity', () => {
  it('C − P = DF·(F − K) for any moneyness, vol and expiry', () => {
    fc.assert(
      fc.property(
        dbl(-6, 6),
        dbl(0, 20),
        dbl(0, 30),
        dbl(-0.1, 0.3),
        dbl(1e-6, 1e9),
        (k, vol, T, rate, F) => {
          const K = F * Math.exp(k);
          const o = { forward: F, strike: K, timeYears: T, vol, rate };
          const c = black76Price({ ...o, kind: 'call' });
          const p = black76Price({ ...o, kind: 'put' });
          const df = T > 0 ? Math.exp(-rate * T) : 1;
          expect(Math.abs(c - p - df * (F - K))).toBeLessThanOrEqual(1e-14 * df * (F + K));
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('no-arbitrage bounds and monotonicity in vol', () => {
  it('bounds hold and the price does not fall as σ rises', () => {
    fc.assert(
      fc.property(
        kind,
        dbl(-8, 8),
        dbl(0, 50),
        dbl(0, 50),
        dbl(-1, 30),
        dbl(-0.1, 0.3),
        (kd, k, v1, v2, T, rate) => {
          const F = 100;
          const K = F * Math.exp(k);
          const o = { kind: kd, forward: F, strike: K, timeYears: T, rate };
          const lo = Math.min(v1, v2);
          const hi = Math.max(v1, v2);
          const pLo = black76Price({ ...o, vol: lo });
          const pHi = black76Price({ ...o, vol: hi });
          const df = T > 0 ? Math.exp(-rate * T) : 1;
          const intrinsic = df * Math.max(kd === 'call' ? F - K : K - F, 0);
          const upper = df * (kd === 'call' ? F : K);
          for (const p of [pLo, pHi]) {
            expect(Number.isFinite(p)).toBe(true);
            expect(p).toBeGreaterThanOrEqual(intrinsic * (1 - 4e-16));
            expect(p).toBeLessThanOrEqual(upper * (1 + 4e-16));
          }
          expect(pHi).toBeGreaterThanOrEqual(pLo * (1 - 4e-16));
        },
      ),
      { numRuns: RUNS },
    );
  });
});

/** |a − b| ≤ rel·max(|a|, floor). */
function near(a: number, b: number, rel: number, floor: number, what: string): void {
  expect(Math.abs(a - b), `${what}: analytic ${a} vs finite difference ${b}`).toBeLessThanOrEqual(
    rel * Math.max(Math.abs(a), floor),
  );
}

describe('Greeks equal central finite differences of the price', () => {
  it('Black-76: delta, gamma, vega, theta, rho', () => {
    fc.assert(
      fc.property(kind, dbl(-1, 1), dbl(0.05, 2), dbl(0.02, 3), dbl(-0.02, 0.1), (kd, k, vol, T, rate) => {
        const F = 100;
        const o: Black76Input = { kind: kd, forward: F, strike: F * Math.exp(k), timeYears: T, vol, rate };
        const g = black76Greeks(o);
        // Bumps scaled to σ√T keep the truncation error O(1e−8) relative even for short, low-vol options.
        const sd = vol * Math.sqrt(T);
        const hF = 1e-4 * F * sd;
        const hV = 1e-4 * vol;
        const hT = 1e-4 * T;
        const hR = 1e-5;
        const px = (d: Partial<Black76Input>) => black76Price({ ...o, ...d });
        near(g.delta, (px({ forward: F + hF }) - px({ forward: F - hF })) / (2 * hF), 1e-6, 1e-3, 'delta');
        const dl = (f: number) => black76Greeks({ ...o, forward: f }).delta;
        near(g.gamma, (dl(F + hF) - dl(F - hF)) / (2 * hF), 1e-6, 1e-4, 'gamma');
        near(g.vega, (px({ vol: vol + hV }) - px({ vol: vol - hV })) / (2 * hV), 1e-6, 1e-2, 'vega');
        near(
          g.theta,
          -(px({ timeYears: T + hT }) - px({ timeYears: T - hT })) / (2 * hT),
          1e-5,
          1e-2,
          'theta',
        );
        near(g.rho, (px({ rate: rate + hR }) - px({ rate: rate - hR })) / (2 * hR), 1e-6, 1e-2, 'rho');
      }),
      { numRuns: RUNS },
    );
  });
  it('BSM: spot delta, forward delta, gamma, vega, theta, rho, dividend rho', () => {
    fc.assert(
      fc.property(
        kind,
        dbl(-1, 1),
        dbl(0.05, 2),
        dbl(0.02, 3),
        dbl(-0.02, 0.1),
        dbl(0, 0.1),
        (kd, k, vol, T, rate, q) => {
          const S = 100;
          const o = { kind: kd, spot: S, strike: S * Math.exp(k), timeYears: T, vol, rate, dividendYield: q };
          const g = bsmGreeks(o);
          const px = (d: Partial<typeof o>) => bsmPrice({ ...o, ...d });
          const sd = vol * Math.sqrt(T);
          const hS = 1e-4 * S * sd;
          near(g.delta, (px({ spot: S + hS }) - px({ spot: S - hS })) / (2 * hS), 1e-6, 1e-3, 'delta');
          const dl = (s: number) => bsmGreeks({ ...o, spot: s }).delta;
          near(g.gamma, (dl(S + hS) - dl(S - hS)) / (2 * hS), 1e-6, 1e-4, 'gamma');
          const F = S * Math.exp((rate - q) * T);
          const f76 = black76Greeks({ kind: kd, forward: F, strike: o.strike, timeYears: T, vol, rate });
          near(g.forwardDelta, f76.delta, 1e-12, 1e-3, 'forwardDelta');
          const hV = 1e-4 * vol;
          near(g.vega, (px({ vol: vol + hV }) - px({ vol: vol - hV })) / (2 * hV), 1e-6, 1e-2, 'vega');
          const hT = 1e-4 * T;
          near(
            g.theta,
            -(px({ timeYears: T + hT }) - px({ timeYears: T - hT })) / (2 * hT),
            1e-5,
            1e-2,
            'theta',
          );
          near(g.rho, (px({ rate: rate + 1e-5 }) - px({ rate: rate - 1e-5 })) / 2e-5, 1e-6, 1e-2, 'rho');
          near(
            g.dividendRho,
            (px({ dividendYield: q + 1e-5 }) - px({ dividendYield: q - 1e-5 })) / 2e-5,
            1e-6,
            1e-2,
            'dividendRho',
          );
        },
      ),
      { numRuns: RUNS },
    );
  });
});
