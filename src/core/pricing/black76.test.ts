/**
 * Black-76 and Black-Scholes-Merton prices and Greeks against published vectors:
 * - test/vectors/black_scholes_py_vollib.json: py_vollib's 101-row benchmark (K = 1000, r = 0.05)
 *   in py_vollib's units and tolerances, plus the Black-76 / BSM doctests (`black76_cases`).
 * - test/vectors/haug_quantlib_european.json: Haug (1998) via QuantLib's test-suite, incl. Haug's
 *   Black-76 example F = K = 19, T = 0.75, r = 0.10, σ = 0.28 → 1.7011.
 * - test/vectors/lets_be_rational_cpp.json: outputs of Jäckel's C++ (normalised Black, Black, vega),
 *   used as reference numbers for our own implementation (normalised-black.ts).
 * - test/vectors/pricing_mpmath.json: 60-digit Black prices far out of the money.
 */
import { describe, expect, it } from 'vitest';
import vollib from '../../../test/vectors/black_scholes_py_vollib.json' with { type: 'json' };
import haug from '../../../test/vectors/haug_quantlib_european.json' with { type: 'json' };
import lbr from '../../../test/vectors/lets_be_rational_cpp.json' with { type: 'json' };
import mpm from '../../../test/vectors/pricing_mpmath.json' with { type: 'json' };
import {
  black76Greeks,
  black76InverseGreeks,
  black76Price,
  black76PriceInBase,
  bsmGreeks,
  bsmPrice,
  bsmPriceInBase,
  fromBaseUnits,
  rhoPerRatePoint,
  thetaPerDay,
  toBaseUnits,
  vegaPerVolPoint,
  yearFraction,
} from './black76.ts';
import { normalisedBlack, normalisedVega } from './normalised-black.ts';

const relErr = (got: number, want: number) =>
  want === 0 ? Math.abs(got) : Math.abs(got - want) / Math.abs(want);

type Row = {
  inputs: {
    spot: number;
    strike: number;
    riskFreeRate_r: number;
    timeYears: number;
    vol: number;
    dividendYield_q: number;
  };
  expected: Record<string, number>;
  tolerance: Record<string, number>;
};
const rows = vollib.cases.filter((c) => c.kind === 'bs_benchmark_row') as unknown as Row[];

describe('black_scholes_py_vollib.json › benchmark rows (BSM, py_vollib units and tolerances)', () => {
  it('has 101 rows', () => expect(rows.length).toBe(101));
  it.each(
    rows.map((r, i) => ({
      ...r,
      name: `row_${i}_S${r.inputs.spot}_t${r.inputs.timeYears}_v${r.inputs.vol}`,
    })),
  )('$name', (r) => {
    const base = {
      spot: r.inputs.spot,
      strike: r.inputs.strike,
      timeYears: r.inputs.timeYears,
      vol: r.inputs.vol,
      rate: r.inputs.riskFreeRate_r,
      dividendYield: r.inputs.dividendYield_q,
    };
    const c = bsmGreeks({ ...base, kind: 'call' });
    const p = bsmGreeks({ ...base, kind: 'put' });
    const e = r.expected;
    const t = r.tolerance;
    expect(Math.abs(c.price - e.callPrice!)).toBeLessThanOrEqual(t.price_abs!);
    expect(Math.abs(p.price - e.putPrice!)).toBeLessThanOrEqual(t.price_abs!);
    expect(Math.abs(c.delta - e.callDelta!)).toBeLessThanOrEqual(t.delta_abs!);
    expect(Math.abs(p.delta - e.putDelta!)).toBeLessThanOrEqual(t.delta_abs!);
    expect(Math.abs(c.gamma - e.gamma!)).toBeLessThanOrEqual(t.gamma_abs!);
    expect(Math.abs(p.gamma - e.gamma!)).toBeLessThanOrEqual(t.gamma_abs!);
    expect(Math.abs(vegaPerVolPoint(c.vega) - vegaPerVolPoint(e.vegaPerUnitVol!))).toBeLessThanOrEqual(
      t.vegaPerVolPoint_abs!,
    );
    expect(Math.abs(thetaPerDay(c.theta) - thetaPerDay(e.callThetaPerYear!))).toBeLessThanOrEqual(
      t.thetaPerDay_abs!,
    );
    expect(Math.abs(thetaPerDay(p.theta) - thetaPerDay(e.putThetaPerYear!))).toBeLessThanOrEqual(
      t.thetaPerDay_abs!,
    );
    expect(Math.abs(rhoPerRatePoint(c.rho) - rhoPerRatePoint(e.callRhoPerUnitRate!))).toBeLessThanOrEqual(
      t.rhoPerRatePoint_abs!,
    );
    expect(Math.abs(rhoPerRatePoint(p.rho) - rhoPerRatePoint(e.putRhoPerUnitRate!))).toBeLessThanOrEqual(
      t.rhoPerRatePoint_abs!,
    );
    // Black-76 on the BSM forward gives the same premium.
    const F = r.inputs.spot * Math.exp(r.inputs.riskFreeRate_r * r.inputs.timeYears);
    const b = black76Price({
      kind: 'call',
      forward: F,
      strike: base.strike,
      timeYears: base.timeYears,
      vol: base.vol,
      rate: base.rate,
    });
    expect(Math.abs(b - c.price)).toBeLessThanOrEqual(1e-12 * Math.max(1, c.price));
  });
});

type Doctest = {
  inputs: Record<string, unknown>;
  expected: Record<string, number>;
  tolerance: { abs: number };
  origin: string;
};
const doctests = vollib.cases.filter((c) => c.kind === 'doctest') as unknown as Doctest[];

describe('black_scholes_py_vollib.json › black76_cases (doctests)', () => {
  it('black()_discounted_call', () => {
    const d = doctests.find((c) => c.expected.discountedPrice !== undefined)!;
    const i = d.inputs as {
      forward: number;
      strike: number;
      timeYears: number;
      riskFreeRate_r: number;
      vol: number;
    };
    const v = black76Price({
      kind: 'call',
      forward: i.forward,
      strike: i.strike,
      timeYears: i.timeYears,
      vol: i.vol,
      rate: i.riskFreeRate_r,
    });
    expect(Math.abs(v - d.expected.discountedPrice!)).toBeLessThanOrEqual(d.tolerance.abs);
    expect(relErr(v, d.expected.discountedPrice!)).toBeLessThan(1e-15); // py_vollib printed 16 digits
  });
  it('undiscounted_black()', () => {
    const d = doctests.find((c) => c.expected.undiscountedPrice !== undefined)!;
    const i = d.inputs as { forward: number; strike: number; timeYears: number; vol: number };
    const v = black76Price({
      kind: 'call',
      forward: i.forward,
      strike: i.strike,
      timeYears: i.timeYears,
      vol: i.vol,
    });
    expect(Math.abs(v - d.expected.undiscountedPrice!)).toBeLessThanOrEqual(d.tolerance.abs);
  });
  it('analytical_greeks_call_and_put (Hull-style F=49, K=50)', () => {
    for (const d of doctests.filter((c) => c.origin.includes('greeks'))) {
      const i = d.inputs as {
        type: string;
        forward: number;
        strike: number;
        timeYears: number;
        riskFreeRate_r: number;
        vol: number;
      };
      const g = black76Greeks({
        kind: i.type === 'c' ? 'call' : 'put',
        forward: i.forward,
        strike: i.strike,
        timeYears: i.timeYears,
        vol: i.vol,
        rate: i.riskFreeRate_r,
      });
      const e = d.expected;
      const tol = d.tolerance.abs;
      if (e.delta !== undefined) expect(Math.abs(g.delta - e.delta)).toBeLessThanOrEqual(tol);
      if (e.gamma !== undefined) expect(Math.abs(g.gamma - e.gamma)).toBeLessThanOrEqual(tol);
      if (e.vegaPerVolPoint !== undefined)
        expect(Math.abs(vegaPerVolPoint(g.vega) - e.vegaPerVolPoint)).toBeLessThanOrEqual(tol);
      if (e.thetaPerDay !== undefined)
        expect(Math.abs(thetaPerDay(g.theta) - e.thetaPerDay)).toBeLessThanOrEqual(tol);
      if (e.rhoPerRatePoint !== undefined)
        expect(Math.abs(rhoPerRatePoint(g.rho) - e.rhoPerRatePoint)).toBeLessThanOrEqual(tol);
    }
  });
  it('black_scholes_merton()_put (Haug p. 4)', () => {
    const d = doctests.find((c) => (c.inputs as { model: string }).model === 'bsm')!;
    const i = d.inputs as {
      spot: number;
      strike: number;
      timeYears: number;
      riskFreeRate_r: number;
      vol: number;
      dividendYield_q: number;
    };
    const v = bsmPrice({
      kind: 'put',
      spot: i.spot,
      strike: i.strike,
      timeYears: i.timeYears,
      vol: i.vol,
      rate: i.riskFreeRate_r,
      dividendYield: i.dividendYield_q,
    });
    expect(Math.abs(v - d.expected.price!)).toBeLessThanOrEqual(d.tolerance.abs);
  });
});

type HaugCase = {
  name: string;
  kind: 'value' | 'greek';
  greek?: string;
  inputs: {
    type: 'call' | 'put';
    spot: number;
    strike: number;
    dividendYield_q: number;
    riskFreeRate_r: number;
    timeYears: number;
    vol: number;
  };
  expected: Record<string, number>;
  tolerance: { abs: number };
};
const haugCases = haug.cases as unknown as HaugCase[];

describe('haug_quantlib_european.json › Haug (1998) via QuantLib test-suite', () => {
  it.each(haugCases)('$name', (c) => {
    const i = c.inputs;
    const o = {
      kind: i.type,
      spot: i.spot,
      strike: i.strike,
      timeYears: i.timeYears,
      vol: i.vol,
      rate: i.riskFreeRate_r,
      dividendYield: i.dividendYield_q,
    };
    const g = bsmGreeks(o);
    const computed: Record<string, number> = {
      price: g.price,
      delta: g.delta,
      gamma: g.gamma,
      vega: g.vega,
      theta: g.theta,
      thetaPerDay: thetaPerDay(g.theta),
      rho: g.rho,
      dividendRho: g.dividendRho,
      elasticity: (g.delta * i.spot) / g.price,
    };
    for (const [k, want] of Object.entries(c.expected)) {
      expect(Math.abs(computed[k]! - want), k).toBeLessThanOrEqual(c.tolerance.abs);
    }
  });
  it('haug_black76_futures_option: F = K = 19, T = 0.75, r = 0.10, σ = 0.28 → 1.7011 call and put', () => {
    const o = { forward: 19, strike: 19, timeYears: 0.75, vol: 0.28, rate: 0.1 };
    expect(black76Price({ ...o, kind: 'call' })).toBeCloseTo(1.7011, 4);
    expect(black76Price({ ...o, kind: 'put' })).toBeCloseTo(1.7011, 4);
  });
});

describe('lets_be_rational_cpp.json › Jäckel C++ normalised Black and Black', () => {
  it.each(lbr.normalisedBlack.map((c) => ({ ...c, name: `x${c.input.x}_s${c.input.s}_q${c.input.q}` })))(
    '$name',
    (c) => {
      const { x, s, q } = c.input;
      const b = normalisedBlack(x, s, q as 1 | -1);
      // Both sides are within ~1.4e−15 of mpmath here (max difference measured 1.7e−15, at
      // x = ∓0.25, s = 0.05; vega 1.3e−15); 1e−14 leaves room for either to move by a few ulps.
      expect(relErr(b, c.output.normalisedBlack)).toBeLessThanOrEqual(1e-14);
      expect(relErr(normalisedVega(x, s), c.output.normalisedVega)).toBeLessThanOrEqual(1e-14);
    },
  );
  it.each(
    lbr.black.map((c) => ({
      ...c,
      name: `F${c.input.F}_K${c.input.K}_σ${c.input.sigma}_T${c.input.T}_q${c.input.q}`,
    })),
  )('$name', (c) => {
    const { F, K, sigma, T, q } = c.input;
    const g = black76Greeks({
      kind: q > 0 ? 'call' : 'put',
      forward: F,
      strike: K,
      timeYears: T,
      vol: sigma,
    });
    expect(relErr(g.price, c.output.black)).toBeLessThanOrEqual(2e-15);
    expect(relErr(g.vega, c.output.vega)).toBeLessThanOrEqual(1e-13);
  });
});

describe('pricing_mpmath.json › Black-76 at 60 digits, far out of the money included', () => {
  it.each(
    mpm.black76.map((c) => ({
      ...c,
      name: `${c.kind}_F${c.forward}_K${c.strike}_σ${c.vol}_T${c.timeYears}`,
    })),
  )('$name', (c) => {
    const want = Number(c.undiscountedPrice);
    const got = black76Price({
      kind: c.kind as 'call' | 'put',
      forward: c.forward,
      strike: c.strike,
      timeYears: c.timeYears,
      vol: c.vol,
    });
    if (want < 1e-300) {
      expect(got).toBeLessThan(1e-290);
      return;
    }
    // The price's own condition number w.r.t. the rounded inputs: ∂ln b/∂x ≈ x/s², so a
    // float64 x = ln(F/K) carries a relative error ~ε·|x|·(|x|/s² + 1).
    const x = Math.log(c.forward / c.strike);
    const s = c.vol * Math.sqrt(c.timeYears);
    const tol = 1e-14 * (1 + Math.abs(x) * (Math.abs(x) / (s * s) + 1));
    expect(relErr(got, want)).toBeLessThanOrEqual(tol);
  });
});

describe('edge cases', () => {
  const base = { forward: 100, strike: 90, timeYears: 0.5, vol: 0.5, rate: 0.03 };
  it('expired_is_undiscounted_intrinsic_with_step_delta', () => {
    for (const T of [0, -0.1]) {
      const c = black76Greeks({ ...base, timeYears: T, kind: 'call' });
      const p = black76Greeks({ ...base, timeYears: T, kind: 'put' });
      expect(c).toEqual({ price: 10, delta: 1, gamma: 0, vega: 0, theta: 0, rho: 0 });
      expect(p).toEqual({ price: 0, delta: 0, gamma: 0, vega: 0, theta: 0, rho: 0 });
      const otmPut = bsmGreeks({ kind: 'put', spot: 80, strike: 90, timeYears: T, vol: 0.5 });
      expect(otmPut.price).toBe(10);
      expect(otmPut.delta).toBe(-1);
      expect(black76Greeks({ ...base, strike: 100, timeYears: T, kind: 'call' }).delta).toBe(0);
    }
  });
  it('zero_vol_is_discounted_intrinsic_of_the_forward', () => {
    const df = Math.exp(-0.03 * 0.5);
    const c = black76Greeks({ ...base, vol: 0, kind: 'call' });
    expect(c.price).toBeCloseTo(10 * df, 14);
    expect(c.delta).toBeCloseTo(df, 15);
    expect(c.gamma).toBe(0);
    expect(c.vega).toBe(0);
    expect(c.theta).toBeCloseTo(0.03 * 10 * df, 14);
    expect(c.rho).toBeCloseTo(-0.5 * 10 * df, 14);
    expect(black76Price({ ...base, vol: 0, kind: 'put' })).toBe(0);
    // BSM at σ = 0: S·e^{−qT} − K·e^{−rT}, theta q·S·e^{−qT} − r·K·e^{−rT}.
    const b = bsmGreeks({
      kind: 'call',
      spot: 100,
      strike: 90,
      timeYears: 1,
      vol: 0,
      rate: 0.05,
      dividendYield: 0.02,
    });
    expect(b.price).toBeCloseTo(100 * Math.exp(-0.02) - 90 * Math.exp(-0.05), 12);
    expect(b.theta).toBeCloseTo(0.02 * 100 * Math.exp(-0.02) - 0.05 * 90 * Math.exp(-0.05), 12);
    // At the money the vega limit is DF·F·√T/√(2π) (the price grows linearly in σ from 0).
    const atm = black76Greeks({ ...base, strike: 100, vol: 0, kind: 'call' });
    expect(atm.vega).toBeCloseTo(df * 100 * Math.sqrt(0.5) * 0.3989422804014327, 12);
    const tiny = black76Price({ ...base, strike: 100, vol: 1e-9, kind: 'call' });
    expect(tiny / 1e-9).toBeCloseTo(atm.vega, 6);
  });
  it('zero_strike_call_is_the_discounted_forward', () => {
    const c = black76Greeks({ ...base, strike: 0, kind: 'call' });
    expect(c.price).toBeCloseTo(100 * Math.exp(-0.015), 12);
    expect(black76Price({ ...base, strike: 0, kind: 'put' })).toBe(0);
  });
  it('extreme_vol_stays_finite_and_within_no_arbitrage_bounds', () => {
    for (const vol of [3, 10, 50, 100]) {
      const df = Math.exp(-0.03 * 0.5);
      const c = black76Greeks({ ...base, vol, kind: 'call' });
      const p = black76Greeks({ ...base, vol, kind: 'put' });
      for (const v of [...Object.values(c), ...Object.values(p)]) expect(Number.isFinite(v)).toBe(true);
      expect(c.price).toBeLessThanOrEqual(df * 100);
      expect(c.price).toBeGreaterThanOrEqual(df * 10);
      expect(p.price).toBeLessThanOrEqual(df * 90);
      expect(p.price).toBeGreaterThanOrEqual(0);
    }
  });
  it('deep_itm_and_otm_have_no_nan', () => {
    for (const strike of [1e-9, 1e-3, 1, 1e3, 1e6, 1e12]) {
      for (const kind of ['call', 'put'] as const) {
        for (const vol of [0.01, 0.5, 5]) {
          for (const timeYears of [1 / 365 / 24, 0.1, 10]) {
            const g = black76Greeks({ kind, forward: 100, strike, timeYears, vol, rate: 0.05 });
            for (const v of Object.values(g)) expect(Number.isNaN(v)).toBe(false);
            const s = bsmGreeks({ kind, spot: 100, strike, timeYears, vol, rate: 0.05, dividendYield: 0.01 });
            for (const v of Object.values(s)) expect(Number.isNaN(v)).toBe(false);
          }
        }
      }
    }
  });
  it('refuses_broken_inputs', () => {
    expect(() => black76Price({ ...base, forward: 0, kind: 'call' })).toThrow(/forward/);
    expect(() => black76Price({ ...base, strike: -1, kind: 'call' })).toThrow(/strike/);
    expect(() => black76Price({ ...base, vol: -0.1, kind: 'call' })).toThrow(/vol/);
    expect(() => black76Price({ ...base, vol: Number.NaN, kind: 'call' })).toThrow(/vol/);
    expect(() => black76Price({ ...base, timeYears: Number.NaN, kind: 'call' })).toThrow(/timeYears/);
    expect(() =>
      bsmPrice({ kind: 'call', spot: 100, strike: 90, timeYears: 1, vol: 0.2, dividendYield: Number.NaN }),
    ).toThrow(/dividendYield/);
  });
  it('year_fraction_is_act_365', () => {
    expect(yearFraction(0, 365 * 86_400_000)).toBe(1);
    expect(yearFraction(1_000, 0)).toBeLessThan(0);
  });
});

describe('inverse (coin-margined) helpers', () => {
  const o = { kind: 'call' as const, forward: 122_150, strike: 80_000, timeYears: 0.058, vol: 0.688 };
  it('price_in_base_is_quote_price_over_underlying', () => {
    expect(black76PriceInBase(o)).toBe(black76Price(o) / 122_150);
    expect(toBaseUnits(4_300, 121_500)).toBe(4_300 / 121_500);
    expect(fromBaseUnits(toBaseUnits(4_300, 121_500), 121_500)).toBeCloseTo(4_300, 9);
    const b = {
      kind: 'put' as const,
      spot: 100,
      strike: 95,
      timeYears: 0.5,
      vol: 0.2,
      rate: 0.1,
      dividendYield: 0.05,
    };
    expect(bsmPriceInBase(b)).toBe(bsmPrice(b) / 100);
  });
  it('coin_greeks_are_derivatives_of_price_over_forward', () => {
    const g = black76InverseGreeks(o);
    const vb = (F: number) => black76Price({ ...o, forward: F }) / F;
    const h = 1e-5 * o.forward;
    const d1 = (vb(o.forward + h) - vb(o.forward - h)) / (2 * h);
    const d2 = (vb(o.forward + h) - 2 * vb(o.forward) + vb(o.forward - h)) / (h * h);
    expect(g.delta).toBeCloseTo(o.forward * d1, 8);
    expect(g.gamma).toBeCloseTo(o.forward * o.forward * d2, 4);
  });
});
