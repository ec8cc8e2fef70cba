/**
 * Implied volatility properties (fast-check):
 * - IV(price(σ)) recovers σ to 1e−12 relative wherever the price carries information about σ:
 *   the tolerance is 1e−12 + 16ε·V/(vega·σ), i.e. grows only where vega is negligible against
 *   the premium (deep in the money, where σ is set by a few ulps of time value);
 * - the repriced premium matches the target to 1e−13 relative (plus the ε·vega·σ that rounding σ
 *   itself costs far out of the money);
 * - a naive bracketed bisection on the price (the obviously correct reference) agrees.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { black76Greeks, black76Price, type OptionKind } from './black76.ts';
import { impliedVolBlack76 } from './implied-vol.ts';

const RUNS = Number(process.env.PROP_RUNS ?? 1000);
const kind = fc.constantFrom<OptionKind>('call', 'put');
const dbl = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });

/** Reference: bisection of the discounted price in σ over [0, 100], 200 halvings. */
function bisectVol(kd: OptionKind, price: number, F: number, K: number, T: number, rate: number): number {
  let lo = 0;
  let hi = 100;
  for (let i = 0; i < 200; i++) {
    const mid = 0.5 * (lo + hi);
    if (black76Price({ kind: kd, forward: F, strike: K, timeYears: T, vol: mid, rate }) < price) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

describe('implied volatility round trip', () => {
  it('recovers σ where vega is not negligible, and reprices the premium', () => {
    fc.assert(
      fc.property(
        kind,
        dbl(-3, 3),
        dbl(0.005, 5),
        dbl(1 / 365 / 24, 5),
        dbl(-0.05, 0.2),
        (kd, k, vol, T, rate) => {
          const F = 100;
          const o = { kind: kd, forward: F, strike: F * Math.exp(k), timeYears: T, rate };
          const g = black76Greeks({ ...o, vol });
          const df = Math.exp(-rate * T);
          const intrinsic = df * Math.max(kd === 'call' ? F - o.strike : o.strike - F, 0);
          const timeValue = g.price - intrinsic;
          fc.pre(g.price > 1e-250 && timeValue > 1e-250 && g.vega * vol > 1e-300);
          const r = impliedVolBlack76({ ...o, price: g.price });
          expect(r.ok).toBe(true);
          if (!r.ok) return;
          const tol = 1e-12 + (16 * Number.EPSILON * g.price) / (g.vega * vol);
          expect(Math.abs(r.vol - vol) / vol).toBeLessThanOrEqual(tol);
          const repriced = black76Price({ ...o, vol: r.vol });
          // Rounding σ itself moves the premium by ε·vega·σ: amplified far out of the money.
          expect(Math.abs(repriced - g.price)).toBeLessThanOrEqual(
            1e-13 * g.price + 8 * Number.EPSILON * g.vega * vol,
          );
        },
      ),
      { numRuns: RUNS },
    );
  });
  it('agrees with a naive bisection reference', () => {
    fc.assert(
      fc.property(kind, dbl(-1.5, 1.5), dbl(0.05, 3), dbl(0.01, 3), dbl(0, 0.1), (kd, k, vol, T, rate) => {
        const F = 100;
        const K = F * Math.exp(k);
        const price = black76Price({ kind: kd, forward: F, strike: K, timeYears: T, vol, rate });
        const g = black76Greeks({ kind: kd, forward: F, strike: K, timeYears: T, vol, rate });
        fc.pre(g.vega > 1e-6);
        const r = impliedVolBlack76({ kind: kd, price, forward: F, strike: K, timeYears: T, rate });
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        const ref = bisectVol(kd, price, F, K, T, rate);
        expect(Math.abs(r.vol - ref)).toBeLessThanOrEqual(1e-9 * vol + (8 * Number.EPSILON * price) / g.vega);
      }),
      { numRuns: Math.min(RUNS, 300) },
    );
  });
  it('never returns a non-finite or negative σ for prices inside the bounds', () => {
    fc.assert(
      fc.property(kind, dbl(-20, 20), dbl(0, 1), dbl(1e-6, 30), dbl(-0.1, 0.3), (kd, k, u, T, rate) => {
        const F = 100;
        const K = F * Math.exp(k);
        const df = Math.exp(-rate * T);
        const lo = df * Math.max(kd === 'call' ? F - K : K - F, 0);
        const hi = df * (kd === 'call' ? F : K);
        const price = lo + u * (hi - lo);
        const r = impliedVolBlack76({ kind: kd, price, forward: F, strike: K, timeYears: T, rate });
        if (r.ok) {
          expect(Number.isFinite(r.vol)).toBe(true);
          expect(r.vol).toBeGreaterThanOrEqual(0);
        } else expect(['below_intrinsic', 'above_upper_bound']).toContain(r.reason);
      }),
      { numRuns: RUNS },
    );
  });
});
