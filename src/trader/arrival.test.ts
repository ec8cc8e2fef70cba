/**
 * Top-ups in transit: with a fixed delay the arrival probability is the first-passage
 * probability over that delay (closed form, written out here); a random delay averages it;
 * the distance for a target inverts it; and the example venues' report.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { normalCdf } from '../core/pricing/normal.ts';
import { arrivalProbability, arrivalReport, distanceForTarget, expectedOverLatency } from './arrival.ts';
import { clearingView } from './clearing.ts';
import { readRoutes } from './routes.ts';
import { readVenueExport } from './venue-export.ts';

const YEAR_MIN = 525_600;
// Driftless GBM, long barrier at (1 − d): a = −ln(1 − d), drift towards it m = σ²/2.
const closedForm = (d: number, sigma: number, years: number) => {
  const a = -Math.log(1 - d);
  const m = (sigma * sigma) / 2;
  const sd = sigma * Math.sqrt(years);
  return (
    normalCdf((-a + m * years) / sd) +
    Math.exp((2 * m * a) / (sigma * sigma)) * normalCdf((-a - m * years) / sd)
  );
};

describe('arrival probability', () => {
  it('fixed_delay_is_the_first_passage_over_it', () => {
    // 2% away, σ 80%/√yr, a 60-minute transfer.
    const p = arrivalProbability('long', 0.02, 0.8, { medianMinutes: 60, sigma: 0 });
    expect(p).toBeCloseTo(closedForm(0.02, 0.8, 60 / YEAR_MIN), 12);
    // σ√T = 0.8·√(60/525,600) ≈ 0.00855; 2% is ≈ 2.36 of those: ≈ 2Φ(−2.36) ≈ 0.018.
    expect(p).toBeGreaterThan(0.017);
    expect(p).toBeLessThan(0.02);
  });

  it('random_delay_averages_the_probability', () => {
    // A lognormal delay with the same median: its mean exceeds the median and p is concave in
    // t only far out, so just bracket it between the fixed delays at its 1% and 99% quantiles.
    const lat = { medianMinutes: 60, sigma: 0.7 };
    const p = arrivalProbability('long', 0.02, 0.8, lat);
    const lo = closedForm(0.02, 0.8, (60 * Math.exp(-0.7 * 2.326)) / YEAR_MIN);
    const hi = closedForm(0.02, 0.8, (60 * Math.exp(0.7 * 2.326)) / YEAR_MIN);
    expect(p).toBeGreaterThan(lo);
    expect(p).toBeLessThan(hi);
    // The expectation of a constant is the constant.
    expect(expectedOverLatency(lat, () => 0.25)).toBeCloseTo(0.25, 12);
  });

  it('distance_for_a_target_inverts_it', () => {
    const lat = { medianMinutes: 30, sigma: 0.5 };
    for (const side of ['long', 'short'] as const) {
      const d = distanceForTarget(side, 0.01, 0.8, lat);
      expect(arrivalProbability(side, d, 0.8, lat)).toBeLessThanOrEqual(0.01);
      expect(arrivalProbability(side, d - 1e-4, 0.8, lat)).toBeGreaterThan(0.01);
    }
  });

  it('example_venues_hold_enough_for_the_target', () => {
    const load = (n: string): unknown => JSON.parse(readFileSync(`examples/clearing/${n}.json`, 'utf8'));
    const books = ['binance', 'bybit', 'hyperliquid'].map((v) => readVenueExport(load(v), v));
    const routes = readRoutes(load('routes'));
    const view = clearingView(books, { bandPpm: 200_000n, routes });
    if (view.plan.status !== 'ok') throw new Error('expected a plan');
    const opts = { target: 0.01, sigmaByBase: {}, defaultSigma: 0.8 };
    // Without the plan: the fastest route into Hyperliquid, binance → hyperliquid (median 5 min).
    expect(
      arrivalReport(books, view.venues, routes, opts).venues.find((v) => v.venue === 'hyperliquid')!.route,
    ).toBe('binance→hyperliquid');
    // With it: the slowest of the plan's two transfers into it, bybit → hyperliquid (median 10 min).
    const r = arrivalReport(books, view.venues, routes, opts, view.plan.transfers);
    const hl = r.venues.find((v) => v.venue === 'hyperliquid')!;
    expect(hl.route).toBe('bybit→hyperliquid');
    // At the band that meets the target, the ETH long's liquidation price P solves
    // hold + 10·(P − 3,000) = 0.02·10·P  (MM 2%) → hold = 30,000 − 9.8·P, P = 3,000·(1 − band).
    const P = 3000 * (1 - hl.band);
    expect(Number(hl.holdUsd6) / 1e6).toBeCloseTo(30_000 - 9.8 * P, 4);
    expect(arrivalProbability('long', hl.band, 0.8, { medianMinutes: 5, sigma: 0.5 })).toBeLessThanOrEqual(
      0.01,
    );
  });
});
