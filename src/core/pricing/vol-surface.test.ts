/**
 * Volatility inputs: zod validation, flat, strike and delta surfaces, interpolation in strike
 * (linear / monotone cubic), linear total variance across expiries, flat extrapolation.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MS_PER_YEAR } from './black76.ts';
import {
  forwardCallDelta,
  parseVolInput,
  parseVolInputUnsafe,
  VolByUnderlyingSchema,
  type VolInputConfig,
  volAt,
} from './vol-surface.ts';

const DAY = 86_400_000;
const now = Date.UTC(2025, 9, 10);
const e1 = now + 30 * DAY;
const e2 = now + 90 * DAY;
const T1 = (30 * DAY) / MS_PER_YEAR;
const T2 = (90 * DAY) / MS_PER_YEAR;

const strikeSurface: VolInputConfig = {
  kind: 'strikeSurface',
  slices: [
    {
      expiryMs: e1,
      points: [
        { strike: 80_000, vol: 0.7 },
        { strike: 100_000, vol: 0.5 },
        { strike: 120_000, vol: 0.55 },
      ],
    },
    {
      expiryMs: e2,
      points: [
        { strike: 80_000, vol: 0.6 },
        { strike: 100_000, vol: 0.45 },
        { strike: 120_000, vol: 0.5 },
      ],
    },
  ],
};
const q = (expiryMs: number, strike: number, forward = 100_000) => ({
  nowMs: now,
  expiryMs,
  strike,
  forward,
});

describe('validation', () => {
  it('accepts_flat_and_surfaces', () => {
    expect(parseVolInput({ kind: 'flat', vol: 0.6 })).toEqual({
      ok: true,
      value: { kind: 'flat', vol: 0.6 },
    });
    const r = parseVolInput(strikeSurface);
    expect(r.ok).toBe(true);
    if (r.ok && r.value.kind === 'strikeSurface') expect(r.value.interpolation).toBe('linear');
    expect(
      VolByUnderlyingSchema.safeParse({ BTC: { kind: 'flat', vol: 0.6 }, ETH: strikeSurface }).success,
    ).toBe(true);
  });
  it.each([
    ['negative_vol', { kind: 'flat', vol: -0.1 }],
    ['zero_vol', { kind: 'flat', vol: 0 }],
    ['nan_vol', { kind: 'flat', vol: Number.NaN }],
    [
      'strikes_not_increasing',
      {
        kind: 'strikeSurface',
        slices: [
          {
            expiryMs: e1,
            points: [
              { strike: 2, vol: 0.5 },
              { strike: 2, vol: 0.6 },
            ],
          },
        ],
      },
    ],
    [
      'expiries_not_increasing',
      {
        kind: 'strikeSurface',
        slices: [
          { expiryMs: e2, points: [{ strike: 1, vol: 0.5 }] },
          { expiryMs: e1, points: [{ strike: 1, vol: 0.5 }] },
        ],
      },
    ],
    ['empty_slice', { kind: 'strikeSurface', slices: [{ expiryMs: e1, points: [] }] }],
    ['no_slices', { kind: 'deltaSurface', slices: [] }],
    [
      'delta_out_of_range',
      { kind: 'deltaSurface', slices: [{ expiryMs: e1, points: [{ delta: 1, vol: 0.5 }] }] },
    ],
    [
      'fractional_expiry',
      { kind: 'strikeSurface', slices: [{ expiryMs: 1.5, points: [{ strike: 1, vol: 0.5 }] }] },
    ],
    ['unknown_kind', { kind: 'sabr', alpha: 1 }],
  ])('%s is refused', (_name, input) => {
    const r = parseVolInput(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.length).toBeGreaterThan(0);
    expect(() => parseVolInputUnsafe(input)).toThrow();
  });
  it('names_the_offending_field', () => {
    const r = parseVolInput({
      kind: 'strikeSurface',
      slices: [
        {
          expiryMs: e1,
          points: [
            { strike: 3, vol: 0.5 },
            { strike: 2, vol: 0.6 },
          ],
        },
      ],
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.join('\n')).toMatch(/slices\.0.*strictly increasing in strike/);
  });
});

describe('strike surface', () => {
  const s = parseVolInputUnsafe(strikeSurface);
  it('flat_input_ignores_everything', () => {
    expect(volAt(parseVolInputUnsafe({ kind: 'flat', vol: 0.42 }), q(e1, 1))).toBe(0.42);
  });
  it('reproduces_the_nodes', () => {
    expect(volAt(s, q(e1, 100_000))).toBeCloseTo(0.5, 14);
    expect(volAt(s, q(e2, 80_000))).toBeCloseTo(0.6, 14);
  });
  it('linear_in_strike_within_a_slice_and_flat_outside', () => {
    expect(volAt(s, q(e1, 90_000))).toBeCloseTo(0.6, 14);
    expect(volAt(s, q(e1, 110_000))).toBeCloseTo(0.525, 14);
    expect(volAt(s, q(e1, 10_000))).toBeCloseTo(0.7, 14);
    expect(volAt(s, q(e1, 500_000))).toBeCloseTo(0.55, 14);
  });
  it('linear_in_total_variance_across_expiries', () => {
    const mid = now + 60 * DAY;
    const T = (60 * DAY) / MS_PER_YEAR;
    const w = 0.5 * (0.5 * 0.5 * T1 + 0.45 * 0.45 * T2);
    expect(volAt(s, q(mid, 100_000))).toBeCloseTo(Math.sqrt(w / T), 14);
  });
  it('flat_in_time_before_the_first_and_after_the_last_expiry', () => {
    expect(volAt(s, q(now + DAY, 100_000))).toBeCloseTo(0.5, 14);
    expect(volAt(s, q(now + 400 * DAY, 100_000))).toBeCloseTo(0.45, 14);
    expect(volAt(s, q(now - DAY, 100_000))).toBeCloseTo(0.5, 14); // expired query: first live slice
  });
  it('expired_slices_are_ignored', () => {
    expect(volAt(s, { ...q(now + 60 * DAY, 100_000), nowMs: now + 45 * DAY })).toBeCloseTo(0.45, 14);
    expect(volAt(s, { ...q(now + 60 * DAY, 100_000), nowMs: now + 100 * DAY })).toBeCloseTo(0.45, 14);
  });
  it('monotone_cubic_stays_within_neighbours_and_hits_nodes', () => {
    const c = parseVolInputUnsafe({ ...strikeSurface, interpolation: 'monotoneCubic' });
    expect(volAt(c, q(e1, 100_000))).toBeCloseTo(0.5, 14);
    for (let k = 80_000; k <= 100_000; k += 500) {
      const v = volAt(c, q(e1, k));
      expect(v).toBeGreaterThanOrEqual(0.5 - 1e-15);
      expect(v).toBeLessThanOrEqual(0.7 + 1e-15);
    }
    // monotone on a monotone segment
    let prev = Number.POSITIVE_INFINITY;
    for (let k = 80_000; k <= 100_000; k += 500) {
      const v = volAt(c, q(e1, k));
      expect(v).toBeLessThanOrEqual(prev + 1e-15);
      prev = v;
    }
  });
  it('stays_within_the_node_range_anywhere (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -10, max: 500 }),
        fc.double({ min: 1_000, max: 1e6, noNaN: true }),
        (days, strike) => {
          const v = volAt(s, q(now + days * DAY, strike));
          expect(v).toBeGreaterThanOrEqual(0.45 - 1e-12);
          expect(v).toBeLessThanOrEqual(0.7 + 1e-12);
        },
      ),
    );
  });
});

describe('delta surface', () => {
  const d = parseVolInputUnsafe({
    kind: 'deltaSurface',
    slices: [
      {
        expiryMs: e1,
        points: [
          { delta: 0.25, vol: 0.62 },
          { delta: 0.5, vol: 0.5 },
          { delta: 0.75, vol: 0.58 },
        ],
      },
      {
        expiryMs: e2,
        points: [
          { delta: 0.25, vol: 0.55 },
          { delta: 0.5, vol: 0.47 },
          { delta: 0.75, vol: 0.52 },
        ],
      },
    ],
  });
  it('the_vol_is_a_fixed_point_of_strike_to_delta', () => {
    for (const strike of [60_000, 90_000, 100_000, 104_000, 130_000, 200_000]) {
      const v = volAt(d, q(e1, strike));
      const delta = forwardCallDelta(100_000, strike, v, T1);
      const lin = (a: number, b: number, t: number) => a + (b - a) * t;
      const expected =
        delta <= 0.25
          ? 0.62
          : delta >= 0.75
            ? 0.58
            : delta <= 0.5
              ? lin(0.62, 0.5, (delta - 0.25) / 0.25)
              : lin(0.5, 0.58, (delta - 0.5) / 0.25);
      expect(v).toBeCloseTo(expected, 12);
    }
  });
  it('a_strike_whose_delta_is_a_node_gets_the_node_vol', () => {
    // K such that N(d1) = 0.25 at σ = 0.62: ln(F/K) = (N⁻¹(0.25) − s/2)·s
    const s = 0.62 * Math.sqrt(T1);
    const K = 100_000 * Math.exp(-(-0.6744897501960817 - s / 2) * s);
    expect(volAt(d, q(e1, K))).toBeCloseTo(0.62, 10);
  });
  it('interpolates_total_variance_at_equal_delta_across_expiries', () => {
    const mid = now + 60 * DAY;
    const T = (60 * DAY) / MS_PER_YEAR;
    const atmVol = Math.sqrt((0.5 * (0.5 ** 2 * T1 + 0.47 ** 2 * T2)) / T);
    // the strike with Δ = 0.5 at that vol: ln(F/K) = −s²/2
    const K = 100_000 * Math.exp((atmVol * atmVol * T) / 2);
    expect(volAt(d, q(mid, K))).toBeCloseTo(atmVol, 10);
  });
  it('expired_query_uses_step_deltas', () => {
    expect(volAt(d, q(now - DAY, 50_000))).toBeCloseTo(0.58, 12); // deep ITM call: Δ = 1 → last node
    expect(volAt(d, q(now - DAY, 150_000))).toBeCloseTo(0.62, 12); // OTM: Δ = 0 → first node
  });
  it('refuses_bad_queries', () => {
    expect(() => volAt(d, q(e1, 0))).toThrow(/strike/);
    expect(() => volAt(d, { ...q(e1, 1), forward: Number.NaN })).toThrow(/forward/);
  });
});
