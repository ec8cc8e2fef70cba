/**
 * Monte Carlo vs the closed-form first-passage probability (src/analytics/first-passage.ts).
 *
 * The MC uses a coarse grid (50 steps) with the Brownian-bridge correction, which makes it an
 * unbiased estimator of the continuously monitored probability, so the closed form must lie
 * within 3 standard errors. Without the bridge the MC estimates discrete monitoring: lower,
 * and close to the Broadie–Glasserman–Kou approximation (closed form with the barrier moved
 * away by a factor exp(0.5826 σ √Δt)).
 */
import { describe, expect, it } from 'vitest';
import { type GbmHitInput, gbmHitProbability } from '../../analytics/first-passage.ts';
import { Rng } from '../rng.ts';
import { gbmHitProbabilityMc, hitProbabilityMc } from './first-passage-mc.ts';
import { simulateGbm } from './gbm.ts';
import { simulateMerton } from './merton.ts';

const PATHS = 40_000;
const STEPS = 50;

const cases: [string, GbmHitInput][] = [
  [
    'long_100_to_90_vol50_3m',
    { spot: 100, barrier: 90, muPerYear: 0, sigmaPerYear: 0.5, horizonYears: 0.25 },
  ],
  [
    'short_100_to_115_vol80_1m',
    { spot: 100, barrier: 115, muPerYear: 0, sigmaPerYear: 0.8, horizonYears: 1 / 12 },
  ],
  [
    'drift_down_100_to_80_6m',
    { spot: 100, barrier: 80, muPerYear: -0.5, sigmaPerYear: 0.4, horizonYears: 0.5 },
  ],
  [
    'btc_long_10pct_7d_vol60',
    { spot: 60_000, barrier: 54_000, muPerYear: 0, sigmaPerYear: 0.6, horizonYears: 7 / 365 },
  ],
  ['driftless_log_up_1y', { spot: 100, barrier: 150, muPerYear: 0.32, sigmaPerYear: 0.8, horizonYears: 1 }],
  [
    'rare_long_10pct_1d_vol60',
    { spot: 100, barrier: 90, muPerYear: 0, sigmaPerYear: 0.6, horizonYears: 1 / 365 },
  ],
];

describe('closed form within 3 standard errors of bridge-corrected MC', () => {
  cases.forEach(([name, c], i) => {
    it(name, () => {
      const cf = gbmHitProbability(c);
      const mc = gbmHitProbabilityMc({ ...c, paths: PATHS, steps: STEPS }, new Rng(2024 + i));
      expect(mc.standardError).toBeGreaterThan(0);
      expect(Math.abs(mc.probability - cf)).toBeLessThan(3 * mc.standardError);
    });
  });
});

describe('discrete monitoring', () => {
  cases.slice(0, 5).forEach(([name, c], i) => {
    it(`${name}_is_lower_and_near_bgk`, () => {
      const cf = gbmHitProbability(c);
      const disc = gbmHitProbabilityMc(
        { ...c, paths: PATHS, steps: STEPS, bridge: false },
        new Rng(4048 + i),
      );
      expect(disc.probability).toBeLessThan(cf);
      const shift = Math.exp(0.5826 * c.sigmaPerYear * Math.sqrt(c.horizonYears / STEPS));
      const bgk = gbmHitProbability({
        ...c,
        barrier: c.barrier < c.spot ? c.barrier / shift : c.barrier * shift,
      });
      expect(Math.abs(disc.probability - bgk)).toBeLessThan(4 * disc.standardError);
    });
  });

  it('generic_estimator_on_gbm_paths_matches_bgk', () => {
    const c = cases[0]![1];
    const steps = 50;
    const est = hitProbabilityMc(
      (v) =>
        simulateGbm(
          {
            s0: c.spot,
            muPerYear: c.muPerYear,
            sigmaPerYear: c.sigmaPerYear,
            dtYears: c.horizonYears / steps,
            steps,
          },
          v,
        ),
      c.barrier,
      20_000,
      new Rng(11),
    );
    const shift = Math.exp(0.5826 * c.sigmaPerYear * Math.sqrt(c.horizonYears / steps));
    const bgk = gbmHitProbability({ ...c, barrier: c.barrier / shift });
    expect(Math.abs(est.probability - bgk)).toBeLessThan(4 * est.standardError);
  });

  it('jumps_raise_the_hit_probability_of_a_crash_barrier', () => {
    // Same diffusion vol, plus downward jumps: more paths reach -20% within a month.
    const base = { s0: 100, muPerYear: 0, sigmaPerYear: 0.5, interval: 'hour' as const, steps: 24 * 30 };
    const noJumps = hitProbabilityMc(
      (v) => simulateMerton({ ...base, jumpsPerYear: 0, jumpMean: 0, jumpStd: 0 }, v).prices,
      80,
      4000,
      new Rng(12),
    );
    const jumps = hitProbabilityMc(
      (v) => simulateMerton({ ...base, jumpsPerYear: 24, jumpMean: -0.08, jumpStd: 0.04 }, v).prices,
      80,
      4000,
      new Rng(12),
    );
    expect(jumps.probability).toBeGreaterThan(
      noJumps.probability + 3 * Math.hypot(jumps.standardError, noJumps.standardError),
    );
  });
});

describe('MC determinism and edge cases', () => {
  it('same_seed_same_estimate', () => {
    const c = { ...cases[0]![1], paths: 2000, steps: 20 };
    expect(gbmHitProbabilityMc(c, new Rng(5))).toEqual(gbmHitProbabilityMc(c, new Rng(5)));
  });
  it('barrier_at_spot_is_certain', () => {
    const e = gbmHitProbabilityMc({ ...cases[0]![1], barrier: 100, paths: 10, steps: 5 }, new Rng(1));
    expect(e.probability).toBe(1);
    expect(e.standardError).toBe(0);
  });
  it('rejects_bad_inputs', () => {
    expect(() => gbmHitProbabilityMc({ ...cases[0]![1], paths: 0, steps: 5 }, new Rng(1))).toThrow(
      RangeError,
    );
    expect(() =>
      gbmHitProbabilityMc({ ...cases[0]![1], sigmaPerYear: 0, paths: 5, steps: 5 }, new Rng(1)),
    ).toThrow(RangeError);
  });
});
