/**
 * Implied volatility against published values:
 * - test/vectors/black_scholes_py_vollib.json (py_vollib's Black-76 implied-volatility doctest),
 * - test/vectors/lets_be_rational_cpp.json (Jäckel's C++ implied σ for its Black cases),
 * - test/vectors/haug_quantlib_european.json (Haug's prices back to their σ, 4-digit prices),
 * and the typed no-arbitrage failures.
 */
import { describe, expect, it } from 'vitest';
import vollib from '../../../test/vectors/black_scholes_py_vollib.json' with { type: 'json' };
import haug from '../../../test/vectors/haug_quantlib_european.json' with { type: 'json' };
import lbr from '../../../test/vectors/lets_be_rational_cpp.json' with { type: 'json' };
import { black76Greeks, bsmGreeks } from './black76.ts';
import { impliedVolBlack76, impliedVolBsm, impliedVolFromBasePrice } from './implied-vol.ts';

const volOf = (r: ReturnType<typeof impliedVolBlack76>) => {
  if (!r.ok) throw new Error(`expected a volatility, got ${r.reason}: ${r.detail}`);
  return r.vol;
};

describe('black_scholes_py_vollib.json › black76_cases implied_volatility doctest', () => {
  it('price 5.5811067246 → σ 0.2', () => {
    const d = vollib.cases.find((c) => c.kind === 'doctest' && 'impliedVol' in c.expected)!;
    const i = d.inputs as {
      forward: number;
      strike: number;
      timeYears: number;
      riskFreeRate_r: number;
      price: number;
    };
    const v = volOf(
      impliedVolBlack76({
        kind: 'call',
        price: i.price,
        forward: i.forward,
        strike: i.strike,
        timeYears: i.timeYears,
        rate: i.riskFreeRate_r,
      }),
    );
    expect(Math.abs(v - (d.expected as { impliedVol: number }).impliedVol)).toBeLessThanOrEqual(
      (d.tolerance as { abs: number }).abs,
    );
  });
});

describe('lets_be_rational_cpp.json › implied σ of Jäckel C++ Black prices', () => {
  it.each(
    lbr.black.map((c) => ({
      ...c,
      name: `F${c.input.F}_K${c.input.K}_σ${c.input.sigma}_T${c.input.T}_q${c.input.q}`,
    })),
  )('$name', (c) => {
    const { F, K, T, q } = c.input;
    const r = impliedVolBlack76({
      kind: q > 0 ? 'call' : 'put',
      price: c.output.black,
      forward: F,
      strike: K,
      timeYears: T,
    });
    const v = volOf(r);
    // Where Jäckel reports 0 the price is intrinsic to float64 (900 = 1000 − 100): no time value left.
    if (c.output.impliedBlackVolatility === 0) expect(v).toBe(0);
    else
      expect(Math.abs(v - c.output.impliedBlackVolatility) / c.output.impliedBlackVolatility).toBeLessThan(
        1e-13,
      );
  });
});

type HaugCase = {
  name: string;
  kind: string;
  inputs: {
    type: 'call' | 'put';
    spot: number;
    strike: number;
    dividendYield_q: number;
    riskFreeRate_r: number;
    timeYears: number;
    vol: number;
  };
  expected: { price?: number };
  tolerance: { abs: number };
};

describe('haug_quantlib_european.json › Haug prices back to σ', () => {
  const values = (haug.cases as unknown as HaugCase[]).filter((c) => c.kind === 'value');
  it.each(values)('$name', (c) => {
    const i = c.inputs;
    const o = {
      kind: i.type,
      spot: i.spot,
      strike: i.strike,
      timeYears: i.timeYears,
      rate: i.riskFreeRate_r,
      dividendYield: i.dividendYield_q,
    };
    const r = impliedVolBsm({ ...o, price: c.expected.price! });
    // A 4-decimal price fixes σ to within 0.5e−4 / vega.
    const vega = bsmGreeks({ ...o, vol: i.vol }).vega;
    expect(Math.abs(volOf(r) - i.vol)).toBeLessThanOrEqual(c.tolerance.abs / vega + 1e-12);
  });
});

describe('no-arbitrage bounds give typed failures', () => {
  const o = { forward: 100, strike: 90, timeYears: 0.5, rate: 0.05 };
  const df = Math.exp(-0.025);
  it('below_intrinsic', () => {
    const r = impliedVolBlack76({ ...o, kind: 'call', price: 10 * df * (1 - 1e-12) });
    expect(r).toMatchObject({ ok: false, reason: 'below_intrinsic' });
    expect(impliedVolBlack76({ ...o, kind: 'put', price: -1e-9 })).toMatchObject({
      ok: false,
      reason: 'below_intrinsic',
    });
  });
  it('above_upper_bound', () => {
    expect(impliedVolBlack76({ ...o, kind: 'call', price: 100 * df })).toMatchObject({
      ok: false,
      reason: 'above_upper_bound',
    });
    expect(impliedVolBlack76({ ...o, kind: 'put', price: 95 })).toMatchObject({
      ok: false,
      reason: 'above_upper_bound',
    });
  });
  it('expired', () => {
    expect(impliedVolBlack76({ ...o, timeYears: 0, kind: 'call', price: 12 })).toMatchObject({
      ok: false,
      reason: 'expired',
    });
  });
  it('exactly_intrinsic_is_zero_vol', () => {
    expect(impliedVolBlack76({ ...o, kind: 'call', price: 10 * df })).toEqual({ ok: true, vol: 0 });
    expect(impliedVolBlack76({ ...o, kind: 'put', price: 0 })).toEqual({ ok: true, vol: 0 });
  });
  it('refuses_non_finite_inputs', () => {
    expect(() => impliedVolBlack76({ ...o, kind: 'call', price: Number.NaN })).toThrow(/price/);
    expect(() => impliedVolBlack76({ ...o, forward: 0, kind: 'call', price: 1 })).toThrow(/forward/);
  });
});

describe('hard cases', () => {
  it('extreme_vol_10_and_deep_wings', () => {
    for (const [k, vol, T] of [
      [0, 10, 1],
      [Math.log(3), 10, 2],
      [-4, 0.5, 1],
      [6, 3, 1],
      [0.005, 0.01, 1 / 365],
      [-30, 8, 1],
    ] as const) {
      for (const kind of ['call', 'put'] as const) {
        const o = { kind, forward: 100, strike: 100 * Math.exp(k), timeYears: T, rate: 0.01 };
        const g = black76Greeks({ ...o, vol });
        const r = impliedVolBlack76({ ...o, price: g.price });
        // σ is only as determined as the premium: 16 ulps of price over vega (σ = 10 at the money:
        // the call is 99.99994 of 100, vega 1.5e−4, so ~1.5e−11 relative).
        const tol = 1e-12 + (16 * Number.EPSILON * g.price) / (g.vega * vol);
        expect(Math.abs(volOf(r) - vol) / vol, `${kind} k=${k} σ=${vol}`).toBeLessThanOrEqual(tol);
      }
    }
  });
  it('coin_margined_price_in_base_units', () => {
    const o = { kind: 'call' as const, forward: 122_150, strike: 80_000, timeYears: 0.058 };
    const g = black76Greeks({ ...o, vol: 0.688 });
    const r = impliedVolFromBasePrice({ ...o, priceBase: g.price / o.forward });
    expect(Math.abs(volOf(r) - 0.688)).toBeLessThan(1e-12);
  });
});
