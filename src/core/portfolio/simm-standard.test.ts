/**
 * Standard SIMM v2.5 against ISDA's SIMM unit tests: the Equity (C165-C223, C402-C432),
 * Commodity (C224-C292, C433-C466) and FX (C68-C80, C336-C359) cases of ISDA's 10-day
 * unit-test pack, as published in
 * AcadiaSoft/simm-lib SimmTenDayTest.java @ 9f7b03ff (MIT), transcribed into
 * test/vectors/simm_isda_v2_5_unit_tests.json. ISDA's figures are rounded to whole USD, so each
 * total and each delta / vega / curvature column must match within 1 USD.
 */
import { describe, expect, it } from 'vitest';
import vectors from '../../../test/vectors/simm_isda_v2_5_unit_tests.json' with { type: 'json' };
import { type CrifRowInput, simmStandardMargin, simmVolScale } from './simm-standard.ts';
import { SIMM_V2_5_COMMODITY, SIMM_V2_5_EQUITY } from './simm-v2_5.ts';

const TOL_USD = 1;
const S = vectors.sensitivities as Record<string, CrifRowInput>;
const rows = (names: readonly string[]) => names.map((n) => S[n]!);

function measures(names: readonly string[]) {
  const r = simmStandardMargin(rows(names));
  let delta = 0;
  let vega = 0;
  let curvature = 0;
  for (const pc of r.productClasses)
    for (const rc of pc.riskClasses) {
      delta += rc.delta.margin;
      vega += rc.vega.margin;
      curvature += rc.curvature.margin;
    }
  return { total: r.initialMargin, delta, vega, curvature };
}

describe('ISDA SIMM v2.5 unit tests (simm-lib SimmTenDayTest @ 9f7b03ff)', () => {
  it('the vector file holds the transcribed Equity, Commodity and FX cases', () => {
    expect(vectors.source.simm_version).toContain('v2.5');
    expect(vectors.cases.length).toBe(229);
  });

  for (const c of vectors.cases) {
    it(`${c.id} ${c.element}`, () => {
      const got = measures(c.inputs);
      expect(Math.abs(got.total - c.expected.total)).toBeLessThanOrEqual(TOL_USD);
      expect(Math.abs(got.delta - c.expected.delta)).toBeLessThanOrEqual(TOL_USD);
      expect(Math.abs(got.vega - c.expected.vega)).toBeLessThanOrEqual(TOL_USD);
      expect(Math.abs(got.curvature - c.expected.curvature)).toBeLessThanOrEqual(TOL_USD);
    });
  }
});

describe('worked steps (ISDA SIMM v2.5 formulas with its published parameters)', () => {
  it('C193: concentration factor √(12m / 10m) on a bucket 1 issuer', () => {
    // Two S_EQ_1 rows net to 12m; T(bucket 1) = 10m USD, RW 26.
    expect(measures(['S_EQ_1', 'S_EQ_1']).delta).toBeCloseTo(26 * 12e6 * Math.sqrt(1.2), 3);
  });

  it('C402: vega and curvature of one equity vol row', () => {
    // σ = 26·√(365/14)/Φ⁻¹(0.99); VR = HVR·σ·1.2m; WS = 0.45·VR; CVR = SF(1m)·σ·1.2m, θ = 0.
    const sigma = simmVolScale(26);
    const m = measures(['S_EQV_1']);
    expect(m.vega).toBeCloseTo(0.45 * 0.58 * sigma * 1.2e6, 3);
    const sf = 0.5 * (14 / (365 / 12));
    const lambda = 2.5758293035489004 ** 2 - 1;
    expect(m.curvature).toBeCloseTo((1 + lambda) * sf * sigma * 1.2e6, 3);
  });

  it('risk classes of one product class combine with ψ = 0.49; product classes add', () => {
    const eq = measures(['S_EQ_1']).total;
    const cm = measures(['S_CM_1']).total;
    const same = simmStandardMargin([S.S_EQ_1!, { ...S.S_CM_1!, productClass: 'Equity' }]).initialMargin;
    expect(same).toBeCloseTo(Math.sqrt(eq * eq + cm * cm + 2 * 0.49 * eq * cm), 3);
    expect(measures(['S_EQ_1', 'S_CM_1']).total).toBeCloseTo(eq + cm, 3);
  });

  it('C70: two regular-volatility currencies, RW 7.4 and ρ 0.5', () => {
    const [gbp, eur] = [7.4 * 910e6, 7.4 * -900e6];
    expect(measures(['S_FX_5', 'S_FX_6']).delta).toBeCloseTo(
      Math.sqrt(gbp ** 2 + eur ** 2 + 2 * 0.5 * gbp * eur),
      3,
    );
  });

  it('C69: FX delta to the calculation currency (USD) carries no risk', () => {
    expect(measures(['S_FX_4']).total).toBe(0);
  });

  it('a qualifier nets its rows, so opposite rows cost nothing', () => {
    // C462's pattern for equity delta: the same issuer long and short.
    const long = S.S_EQ_1!;
    expect(simmStandardMargin([long, { ...long, amount: -long.amount }]).initialMargin).toBe(0);
    expect(simmStandardMargin([]).initialMargin).toBe(0);
  });
});

describe('parameter tables', () => {
  for (const [name, p] of [
    ['Equity', SIMM_V2_5_EQUITY],
    ['Commodity', SIMM_V2_5_COMMODITY],
  ] as const) {
    it(`${name}: γ is symmetric with unit diagonal over the buckets; every bucket has weights`, () => {
      expect(p.gamma.length).toBe(p.buckets.length);
      p.gamma.forEach((row, i) => {
        expect(row.length).toBe(p.buckets.length);
        expect(row[i]).toBe(1);
        row.forEach((g, j) => {
          expect(g).toBe(p.gamma[j]![i]);
        });
      });
      for (const b of [...p.buckets, ...(p.residual ? [p.residual] : [])]) {
        for (const t of [p.deltaRw, p.intraRho, p.deltaThresholdMm, p.vegaRw, p.vegaThresholdMm])
          expect(Number.isFinite(t[b])).toBe(true);
      }
    });
  }
});

describe('input validation', () => {
  const ok: CrifRowInput = { riskType: 'Risk_Equity', qualifier: 'X', bucket: '1', amount: 1 };
  const bad = (row: Record<string, unknown>) => () => simmStandardMargin([row as CrifRowInput]);

  it('rejects non-finite amounts', () => {
    expect(bad({ ...ok, amount: Number.NaN })).toThrow(/amount/);
    expect(bad({ ...ok, amount: Number.POSITIVE_INFINITY })).toThrow(/amount/);
  });

  it('rejects unknown risk types, buckets and tenors with the field named', () => {
    expect(bad({ ...ok, riskType: 'Risk_IRCurve' })).toThrow(/riskType/);
    expect(bad({ ...ok, bucket: '13' })).toThrow(/unknown Equity bucket '13'/);
    expect(bad({ ...ok, riskType: 'Risk_Commodity', bucket: 'Residual' })).toThrow(
      /unknown Commodity bucket/,
    );
    expect(bad({ ...ok, riskType: 'Risk_EquityVol' })).toThrow(/needs a vol tenor/);
    expect(bad({ ...ok, riskType: 'Risk_EquityVol', label1: '7y' })).toThrow(/needs a vol tenor/);
    expect(bad({ ...ok, label1: '1y' })).toThrow(/takes no label1/);
    expect(bad({ ...ok, qualifier: '' })).toThrow(/qualifier/);
  });

  it('checks FX rows: no bucket, a currency or a currency pair', () => {
    const fx = { riskType: 'Risk_FX', qualifier: 'EUR', amount: 1 };
    expect(simmStandardMargin([fx as CrifRowInput]).initialMargin).toBeCloseTo(7.4, 12);
    expect(bad({ ...fx, bucket: '1' })).toThrow(/FX takes no bucket/);
    expect(bad({ ...fx, qualifier: 'EURUSD' })).toThrow(/ISO currency/);
    expect(bad({ ...fx, riskType: 'Risk_FXVol', label1: '1y' })).toThrow(/currency pair/);
  });
});
