/**
 * SIMM-style margin: the aggregation formulas on hand-computed cases and properties; the
 * parameters are illustrative. ISDA's unit-test values are checked on the standard model that
 * shares this aggregation (simm-standard.test.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { black76Greeks } from '../pricing/black76.ts';
import type { PortfolioPositionInput } from './model.ts';
import {
  account,
  DAY_MS,
  EXPIRY_30D,
  NOW_MS,
  protectivePut,
  shortStraddle,
  snapshot,
} from './portfolio.testkit.ts';
import {
  allocateToTenors,
  simmAggregate,
  simmLambda,
  simmMargin,
  simmPreset,
  simmScalingFunction,
} from './simm.ts';

const Z99 = 2.3263478740408408;
const Z995 = 2.5758293035489004;

describe('simmAggregate (hand-computed)', () => {
  it('two_buckets_with_intra_and_cross_correlation', () => {
    // A: WS 3, 4 with ρ 0.5 → K² = 9 + 16 + 2·0.5·12 = 37, ΣWS 7 clamped to √37.
    // B: WS −2 → K 2, S −2.   γ 0.25: 37 + 4 + 2·0.25·√37·(−2) = 41 − √37.
    const r = simmAggregate(
      [
        { id: 'A', ws: [3, 4] },
        { id: 'B', ws: [-2] },
      ],
      () => 0.5,
      () => 0.25,
    );
    expect(r.k[0]).toBeCloseTo(Math.sqrt(37), 12);
    expect(r.s[0]).toBeCloseTo(Math.sqrt(37), 12);
    expect(r.k[1]).toBe(2);
    expect(r.s[1]).toBe(-2);
    expect(r.margin).toBeCloseTo(Math.sqrt(41 - Math.sqrt(37)), 12);
  });

  it('perfect_offset_within_a_bucket_with_rho_1_is_zero', () => {
    expect(
      simmAggregate(
        [{ id: 'A', ws: [5, -2, -3] }],
        () => 1,
        () => 0,
      ).margin,
    ).toBeCloseTo(0, 12);
  });

  it('uncorrelated_factors_add_in_quadrature', () => {
    expect(
      simmAggregate(
        [{ id: 'A', ws: [3, -4] }],
        () => 0,
        () => 0,
      ).margin,
    ).toBeCloseTo(5, 12);
    expect(
      simmAggregate(
        [
          { id: 'A', ws: [3] },
          { id: 'B', ws: [4] },
        ],
        () => 0,
        () => 0,
      ).margin,
    ).toBeCloseTo(5, 12);
  });

  it('lambda_scaling_function_and_tenor_allocation', () => {
    expect(simmLambda(0)).toBeCloseTo(Z995 * Z995 - 1, 9);
    expect(simmLambda(-1)).toBeCloseTo(1, 12);
    expect(simmScalingFunction(7)).toBe(0.5);
    expect(simmScalingFunction(14)).toBe(0.5);
    expect(simmScalingFunction(28)).toBe(0.25);
    const a = allocateToTenors([14, 30, 91], 60, 61);
    expect(a[0]).toBe(0);
    expect(a[1]).toBeCloseTo(31, 12);
    expect(a[2]).toBeCloseTo(30, 12);
    expect(allocateToTenors([14, 30], 5, 2)).toEqual([2, 0]);
    expect(allocateToTenors([14, 30], 400, 2)).toEqual([0, 2]);
  });
});

describe('simmMargin', () => {
  const snap = snapshot();

  it('a_perpetual_is_delta_only_RW_times_notional', () => {
    const r = simmMargin(
      account([{ type: 'perpetual', underlying: 'BTC', size: 2, entryPrice: 90_000 }]),
      snap,
    );
    expect(r.deltaMargin).toBeCloseTo(0.3 * 200_000, 6);
    expect(r.vegaMargin).toBe(0);
    expect(r.curvatureMargin).toBe(0);
    expect(r.initialMargin).toBeCloseTo(60_000, 6);
    expect(r.maintenanceMargin).toBeCloseTo(30_000, 6);
    expect(r.buckets[0]!.deltaSensitivity).toBeCloseTo(200_000, 6);
  });

  it('two_buckets_delta_cross_correlation', () => {
    // long 1 BTC (100,000), short 10 ETH (40,000): WS 30,000 and −12,000 (RW 0.3), γ 0.7.
    const r = simmMargin(
      account([
        { type: 'perpetual', underlying: 'BTC', size: 1, entryPrice: 100_000 },
        { type: 'perpetual', underlying: 'ETH', size: -10, entryPrice: 4_000 },
      ]),
      snap,
    );
    expect(r.deltaMargin).toBeCloseTo(Math.sqrt(30_000 ** 2 + 12_000 ** 2 - 2 * 0.7 * 30_000 * 12_000), 6);
    const pair = simmMargin(
      account([
        { type: 'perpetual', underlying: 'BTC', size: 1, entryPrice: 100_000 },
        { type: 'perpetual', underlying: 'ETH', size: -10, entryPrice: 4_000 },
      ]),
      snap,
      simmPreset({ crossBucket: { pairs: [{ a: 'ETH', b: 'BTC', gamma: 0.9 }] } }),
    );
    expect(pair.deltaMargin).toBeCloseTo(Math.sqrt(30_000 ** 2 + 12_000 ** 2 - 2 * 0.9 * 30_000 * 12_000), 6);
  });

  it('short_option_vega_and_curvature_match_the_formulas', () => {
    // 30-day ATM call on a tenor point (30): VR = σ·vega, CVR = −SF(30)·σ_b·size·vega, θ = 0.
    const r = simmMargin(account([shortStraddle()[0]!]), snap);
    const T = (EXPIRY_30D - NOW_MS) / (365 * DAY_MS);
    const g = black76Greeks({
      kind: 'call',
      forward: 100_000,
      strike: 100_000,
      timeYears: T,
      vol: 0.6,
      rate: 0,
    });
    const b = r.buckets[0]!;
    expect(b.deltaSensitivity).toBeCloseTo(-g.delta * 100_000, 6);
    expect(b.vega).toEqual([
      { tenorDays: 30, sensitivity: expect.closeTo(-0.6 * g.vega, 6), ws: expect.any(Number) },
    ]);
    expect(r.vegaMargin).toBeCloseTo(0.5 * 0.6 * g.vega, 6);
    const sigmaB = (0.3 * Math.sqrt(365 / 14)) / Z99;
    const cvr = (14 / 30) * 0.5 * sigmaB * g.vega;
    expect(b.curvature[0]!.cvr).toBeCloseTo(cvr, 6);
    expect(r.theta).toBe(0);
    expect(r.curvatureMargin).toBeCloseTo(cvr * Z995 * Z995, 5);
    expect(r.initialMargin).toBeCloseTo(r.deltaMargin + r.vegaMargin + r.curvatureMargin, 9);
  });

  it('a_long_option_has_no_curvature_margin', () => {
    const r = simmMargin(account([protectivePut()[1]!]), snap);
    expect(r.theta).toBe(-1);
    expect(r.lambda).toBeCloseTo(1, 12);
    expect(r.curvatureMargin).toBeCloseTo(0, 6);
  });

  it('vega_offset_across_tenors_with_rho_1_is_zero', () => {
    const near: PortfolioPositionInput = {
      type: 'option',
      underlying: 'BTC',
      kind: 'call',
      strike: 100_000,
      expiryMs: NOW_MS + 30 * DAY_MS,
      size: 1,
    };
    const farExpiry = NOW_MS + 91 * DAY_MS;
    const vega = (days: number) =>
      black76Greeks({
        kind: 'call',
        forward: 100_000,
        strike: 100_000,
        timeYears: days / 365,
        vol: 0.6,
        rate: 0,
      }).vega;
    const far: PortfolioPositionInput = { ...near, expiryMs: farExpiry, size: -vega(30) / vega(91) };
    const cfg = simmPreset({ vegaTenorCorrelation: 1 });
    const r = simmMargin(account([near, far]), snap, cfg);
    expect(r.vegaMargin).toBeCloseTo(0, 6);
    expect(simmMargin(account([near, far]), snap).vegaMargin).toBeGreaterThan(1);
  });

  it('properties_zero_and_positive_homogeneity', () => {
    expect(simmMargin(account([], 1_000), snap).initialMargin).toBe(0);
    expect(
      simmMargin(account([{ type: 'perpetual', underlying: 'ETH', size: 0, entryPrice: 1 }]), snap)
        .initialMargin,
    ).toBe(0);
    const leg = fc.record({
      u: fc.constantFrom('BTC', 'ETH'),
      kind: fc.constantFrom('call', 'put', 'future'),
      m: fc.double({ min: 0.6, max: 1.5, noNaN: true }),
      days: fc.integer({ min: 2, max: 400 }),
      size: fc.double({ min: -5, max: 5, noNaN: true }),
    });
    fc.assert(
      fc.property(
        fc.array(leg, { minLength: 1, maxLength: 6 }),
        fc.double({ min: 0.1, max: 10, noNaN: true }),
        (legs, k) => {
          const book = (scale: number): PortfolioPositionInput[] =>
            legs.map((l) => {
              const spot = l.u === 'BTC' ? 100_000 : 4_000;
              const expiryMs = NOW_MS + l.days * DAY_MS;
              return l.kind === 'future'
                ? { type: 'future', underlying: l.u, size: l.size * scale, entryPrice: spot, expiryMs }
                : {
                    type: 'option',
                    underlying: l.u,
                    kind: l.kind,
                    strike: spot * l.m,
                    expiryMs,
                    size: l.size * scale,
                  };
            });
          const a = simmMargin(account(book(1)), snap);
          const b = simmMargin(account(book(k)), snap);
          expect(a.initialMargin).toBeGreaterThanOrEqual(0);
          expect(b.initialMargin).toBeCloseTo(k * a.initialMargin, 4);
          expect(simmMargin(account(book(2)), snap).initialMargin).toBeCloseTo(2 * a.initialMargin, 4);
        },
      ),
      { numRuns: 100 },
    );
  });
});
