import { describe, expect, it } from 'vitest';
import { Rng } from '../rng.ts';
import { simulateGarch } from './garch.ts';
import { simulateGbm } from './gbm.ts';
import { dtYears } from './intervals.ts';
import { simulateMerton } from './merton.ts';
import { simulateRegimeSwitching, stationaryDistribution } from './regime.ts';
import { Variates } from './samplers.ts';

function logIncrements(p: Float64Array): Float64Array {
  return Float64Array.from({ length: p.length - 1 }, (_, i) => Math.log(p[i + 1]! / p[i]!));
}
function meanVar(xs: ArrayLike<number>): [number, number] {
  let m = 0;
  for (let i = 0; i < xs.length; i++) m += xs[i]!;
  m /= xs.length;
  let v = 0;
  for (let i = 0; i < xs.length; i++) v += (xs[i]! - m) ** 2;
  return [m, v / (xs.length - 1)];
}

const gbm = { s0: 60_000, muPerYear: 0.2, sigmaPerYear: 0.6, interval: 'minute' as const, steps: 1440 };
const merton = {
  s0: 100,
  muPerYear: 0,
  sigmaPerYear: 0.5,
  jumpsPerYear: 365 * 24 * 0.01, // about one jump every 100 hours
  jumpMean: -0.02,
  jumpStd: 0.03,
  interval: 'hour' as const,
  steps: 200_000,
};
const regime = {
  s0: 100,
  interval: 'hour' as const,
  steps: 24 * 365 * 20,
  regimes: [
    { muPerYear: 0.1, sigmaPerYear: 0.4, meanDurationYears: 60 / 365 },
    { muPerYear: -0.5, sigmaPerYear: 1.2, meanDurationYears: 5 / 365 },
  ] as const,
};

describe('determinism', () => {
  it('same_seed_same_paths', () => {
    expect(simulateGbm(gbm, new Rng(7))).toEqual(simulateGbm(gbm, new Rng(7)));
    const m = { ...merton, steps: 5000 };
    expect(simulateMerton(m, new Rng(7))).toEqual(simulateMerton(m, new Rng(7)));
    const r = { ...regime, steps: 5000 };
    expect(simulateRegimeSwitching(r, new Rng(7))).toEqual(simulateRegimeSwitching(r, new Rng(7)));
    const g = { omega: 1e-5, alpha: 0.1, beta: 0.85, n: 500 };
    expect(simulateGarch(g, new Rng(7))).toEqual(simulateGarch(g, new Rng(7)));
  });
  it('different_seeds_differ', () => {
    expect(simulateGbm(gbm, new Rng(7))[1]).not.toBe(simulateGbm(gbm, new Rng(8))[1]);
  });
  it('golden_gbm_values_for_seed_42', () => {
    const p = simulateGbm(
      { s0: 100, muPerYear: 0, sigmaPerYear: 0.5, interval: 'day', steps: 3 },
      new Rng(42),
    );
    const z = [-0.20056598644, -0.313243892088, -0.17733663594]; // the seed's first normals
    const dt = 1 / 365;
    let x = Math.log(100);
    z.forEach((zi, i) => {
      x += -0.125 * dt + 0.5 * Math.sqrt(dt) * zi;
      expect(p[i + 1]).toBeCloseTo(Math.exp(x), 8);
    });
  });
});

describe('GBM', () => {
  it('starts_at_s0_and_has_steps_plus_one_prices', () => {
    const p = simulateGbm(gbm, new Rng(1));
    expect(p.length).toBe(1441);
    expect(p[0]).toBe(60_000);
  });
  it('log_increments_have_exact_moments', () => {
    const dt = dtYears('hour');
    const p = simulateGbm({ ...gbm, interval: 'hour', steps: 200_000 }, new Rng(2));
    const [m, v] = meanVar(logIncrements(p));
    const sd = 0.6 * Math.sqrt(dt);
    expect(Math.abs(m - (0.2 - 0.18) * dt)).toBeLessThan((4 * sd) / Math.sqrt(200_000));
    expect(Math.abs(v / (sd * sd) - 1)).toBeLessThan(4 * Math.sqrt(2 / 200_000));
  });
  it('martingale_mean_of_terminal_price', () => {
    // E[S_T] = S_0 e^{μT}: 4,000 one-year daily paths, μ = 0.3
    const v = new Variates(new Rng(3));
    const n = 4000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const st = simulateGbm(
        { s0: 1, muPerYear: 0.3, sigmaPerYear: 0.5, interval: 'day', steps: 365 },
        v,
      )[365]!;
      s += st;
      s2 += st * st;
    }
    const mean = s / n;
    const se = Math.sqrt((s2 / n - mean * mean) / n);
    expect(Math.abs(mean - Math.exp(0.3))).toBeLessThan(4 * se);
  });
  it('rejects_bad_params', () => {
    expect(() => simulateGbm({ ...gbm, s0: 0 }, new Rng(1))).toThrow(RangeError);
    expect(() => simulateGbm({ ...gbm, steps: 1.5 }, new Rng(1))).toThrow(RangeError);
    expect(() => simulateGbm({ s0: 1, muPerYear: 0, sigmaPerYear: 0.1, steps: 3 }, new Rng(1))).toThrow(
      RangeError,
    );
  });
});

describe('Merton jump-diffusion', () => {
  it('increments_have_the_compound_poisson_moments', () => {
    const dt = dtYears('hour');
    const { prices, jumps } = simulateMerton(merton, new Rng(4));
    const [m, v] = meanVar(logIncrements(prices));
    const { sigmaPerYear: s, jumpsPerYear: l, jumpMean: jm, jumpStd: js } = merton;
    const kappa = Math.exp(jm + (js * js) / 2) - 1;
    const wantMean = (0 - (s * s) / 2 - l * kappa + l * jm) * dt;
    const wantVar = (s * s + l * (jm * jm + js * js)) * dt;
    expect(Math.abs(m - wantMean)).toBeLessThan(4 * Math.sqrt(wantVar / merton.steps));
    expect(Math.abs(v / wantVar - 1)).toBeLessThan(0.05);
    const nJumps = jumps.reduce((a, b) => a + b, 0);
    const expected = l * dt * merton.steps;
    expect(Math.abs(nJumps - expected)).toBeLessThan(4 * Math.sqrt(expected));
  });
  it('has_fat_tails', () => {
    const inc = logIncrements(simulateMerton(merton, new Rng(5)).prices);
    const [m, v] = meanVar(inc);
    let k = 0;
    for (const x of inc) k += (x - m) ** 4;
    const kurtosis = k / inc.length / (v * v);
    expect(kurtosis).toBeGreaterThan(4); // a normal has 3
  });
  it('no_jumps_is_gbm', () => {
    const p = { ...merton, jumpsPerYear: 0, steps: 1000 };
    const inc = logIncrements(simulateMerton(p, new Rng(6)).prices);
    const [, v] = meanVar(inc);
    expect(Math.abs(v / (0.25 * dtYears('hour')) - 1)).toBeLessThan(0.15);
  });
});

describe('regime switching', () => {
  it('time_share_and_per_state_volatility', () => {
    const { prices, states } = simulateRegimeSwitching(regime, new Rng(8));
    const inc = logIncrements(prices);
    const dt = dtYears('hour');
    const [, stressedShare] = stationaryDistribution(regime.regimes);
    expect(stressedShare).toBeCloseTo(5 / 65, 12); // q0/(q0+q1), q = 1/duration: (1/60)/(1/60 + 1/5)
    const share = states.reduce((a, s) => a + s, 0) / states.length;
    expect(Math.abs(share - 5 / 65)).toBeLessThan(0.03);
    for (const s of [0, 1] as const) {
      const xs = inc.filter((_, i) => states[i] === s);
      const [, v] = meanVar(xs);
      const want = regime.regimes[s].sigmaPerYear ** 2 * dt;
      expect(Math.abs(v / want - 1)).toBeLessThan(0.05);
    }
  });
  it('initial_state_is_respected', () => {
    const r = simulateRegimeSwitching({ ...regime, steps: 10, initialState: 1 }, new Rng(9));
    expect(r.states[0]).toBe(1);
  });
});

describe('GARCH simulation', () => {
  it('sample_variance_near_unconditional', () => {
    const { returns, variances } = simulateGarch(
      { omega: 1e-5, alpha: 0.08, beta: 0.9, n: 50_000 },
      new Rng(10),
    );
    const [, v] = meanVar(returns);
    expect(Math.abs(v / 5e-4 - 1)).toBeLessThan(0.1);
    // standardised returns have unit variance
    const z = returns.map((r, i) => r / Math.sqrt(variances[i]!));
    expect(Math.abs(meanVar(z)[1] - 1)).toBeLessThan(0.03);
  });
  it('student_t_innovations_keep_unit_variance', () => {
    const { returns, variances } = simulateGarch(
      { omega: 1e-5, alpha: 0.05, beta: 0.9, n: 50_000, innovations: { studentT: 6 } },
      new Rng(11),
    );
    const z = returns.map((r, i) => r / Math.sqrt(variances[i]!));
    expect(Math.abs(meanVar(z)[1] - 1)).toBeLessThan(0.05);
  });
  it('rejects_non_stationary', () => {
    expect(() => simulateGarch({ omega: 1e-5, alpha: 0.2, beta: 0.8, n: 10 }, new Rng(1))).toThrow(
      RangeError,
    );
  });
});
