/**
 * createMarginModel: each `kind`, configuration checks, and Drift's perp
 * margin requirement (test/vectors/drift_v2_size_weights.json, group
 * calculate_user_equity_value_tests).
 */
import { describe, expect, it } from 'vitest';
import driftVectors from '../../../test/vectors/drift_v2_size_weights.json' with { type: 'json' };
import { type MarginModelConfigInput, MarginModelConfigSchema } from '../model/config.ts';
import { formatDecimal } from '../num/index.ts';
import { applyLeverageCap, createMarginModel, MarginConfigError } from './models.ts';
import { notionalQuote } from './notional.ts';

const model = (input: MarginModelConfigInput, quoteDecimals = 6) =>
  createMarginModel(MarginModelConfigSchema.parse(input), quoteDecimals);
const noOi = { openInterestQuote: 0n };
const BTC = 1_000_000_000n; // 1 base unit in qty9

describe('fixed', () => {
  it('applies the ratios and rounds up', () => {
    const m = model({ kind: 'fixed', initialRatio: '0.1', maintenance: { ratio: '0.05' } });
    expect(m.requirement({ sizeQty9: BTC, notionalQuote: 1_000_001n }, noOi)).toEqual({
      initialQuote: 100_001n, // 100000.1 → up
      maintenanceQuote: 50_001n, // 50000.05 → up
    });
  });
  it('derives MM as a fraction of IM (integer ppm, like dYdX)', () => {
    const m = model({
      kind: 'fixed',
      initialRatio: '0.637239',
      maintenance: { fractionOfInitial: '0.289284' },
    });
    // MM ratio = ⌊637239 × 289284 / 1e6⌋ = 184343 ppm
    expect(m.requirement({ sizeQty9: BTC, notionalQuote: 1_000_000n }, noOi).maintenanceQuote).toBe(184_343n);
  });
  it('refuses a maintenance ratio above the initial ratio', () => {
    expect(() => model({ kind: 'fixed', initialRatio: '0.05', maintenance: { ratio: '0.1' } })).toThrow(
      MarginConfigError,
    );
  });
});

describe('brackets configuration', () => {
  const ok = [
    { notionalCap: '50000', maintenanceRatio: '0.004', initialRatio: '0.008' },
    { notionalCap: '250000', maintenanceRatio: '0.005', initialRatio: '0.01', maintenanceAmount: '50' },
    { maintenanceRatio: '0.01', initialRatio: '0.02' },
  ];
  it('accepts a consistent ladder', () => {
    expect(model({ kind: 'brackets', brackets: ok }).kind).toBe('brackets');
  });
  it.each([
    [
      'a wrong published maintenance amount',
      [ok[0], { ...ok[1], maintenanceAmount: '51' }, ok[2]],
      /maintenanceAmount/,
    ],
    ['a cap on the last bracket', [ok[0], ok[1], { ...ok[2], notionalCap: '1000000' }], /last bracket/],
    ['a missing cap in the middle', [ok[0], { ...ok[1], notionalCap: undefined }, ok[2]], /needs a cap/],
    [
      'caps not strictly increasing',
      [ok[0], { ...ok[1], notionalCap: '50000' }, ok[2]],
      /strictly increasing/,
    ],
    [
      'a decreasing maintenance ratio',
      [ok[0], { ...ok[1], maintenanceRatio: '0.003' }, ok[2]],
      /non-decreasing/,
    ],
    ['a decreasing initial ratio', [ok[0], { ...ok[1], initialRatio: '0.007' }, ok[2]], /non-decreasing/],
    ['MM ratio above IM ratio', [{ ...ok[0], initialRatio: '0.003' }, ok[1], ok[2]], /exceed initialRatio/],
    ['a cap that is not a decimal', [{ ...ok[0], notionalCap: '5e4' }, ok[1], ok[2]], /notionalCap/],
  ])('refuses %s', (_name, brackets, message) => {
    expect(() => model({ kind: 'brackets', brackets } as MarginModelConfigInput)).toThrow(message);
  });
  it('checks a fractional maintenance amount exactly (cap × Δratio below one quote unit)', () => {
    const ladder = [
      { notionalCap: '0.000003', maintenanceRatio: '0.1', initialRatio: '0.2' },
      { maintenanceRatio: '0.15', initialRatio: '0.2', maintenanceAmount: '0.00000015' },
    ];
    expect(model({ kind: 'brackets', brackets: ladder }).kind).toBe('brackets');
  });
});

describe('sqrtSize', () => {
  const m = model({
    kind: 'sqrtSize',
    initialRatio: '0.1',
    maintenance: { ratio: '0.05' },
    imfFactor: '0.001',
  });
  it('is the base ratio for small sizes', () => {
    expect(m.requirement({ sizeQty9: BTC, notionalQuote: 1_000_000n }, noOi)).toEqual({
      initialQuote: 100_000n,
      maintenanceQuote: 50_000n,
    });
  });
  it('rises with √size for large sizes: 1e6 base units → 0.8·10% + 0.001·1000 = 108% of notional', () => {
    const req = m.requirement({ sizeQty9: 1_000_000n * BTC, notionalQuote: 1_000_000n }, noOi);
    expect(req.initialQuote).toBe(1_080_000n);
    expect(req.maintenanceQuote).toBe(1_040_000n);
  });
});

describe('drift_v2_size_weights.json › calculate_user_equity_value_tests (perp initial margin)', () => {
  const cases = driftVectors.cases.filter((c) => c.group === 'calculate_user_equity_value_tests');
  it('has the cases we expect', () => expect(cases.length).toBe(2));
  it.each(cases)('$name (Drift floors, we round up: 0 ≤ ours − Drift ≤ 2 quote units)', (c) => {
    const i = c.inputs as unknown as Record<string, number>;
    const m = model({
      kind: 'sqrtSize',
      initialRatio: formatDecimal(BigInt(i.marginRatioInitial_1e4!), 4), // Drift MARGIN_PRECISION 1e4
      maintenance: { ratio: formatDecimal(BigInt(i.marginRatioMaintenance_1e4!), 4) },
      imfFactor: formatDecimal(BigInt(i.imfFactor_1e6!), 6), // Drift IMF precision 1e6
    });
    const size = BigInt(i.baseAssetAmount_1e9!);
    const px8 = BigInt(i.oraclePrice_1e6!) * 100n; // Drift PRICE_PRECISION 1e6 → px8
    const req = m.requirement(
      { sizeQty9: size < 0n ? -size : size, notionalQuote: notionalQuote(size, px8, 6, 'ceil') },
      noOi,
    );
    const drift = BigInt((c.expected as { marginRequirement_quote: number }).marginRequirement_quote);
    expect(req.initialQuote - drift).toBeGreaterThanOrEqual(0n);
    expect(req.initialQuote - drift).toBeLessThanOrEqual(2n);
  });
});

describe('openInterestScaled configuration', () => {
  it('refuses a lower cap above the upper cap', () => {
    expect(() =>
      model({
        kind: 'openInterestScaled',
        initialRatio: '0.05',
        maintenance: { fractionOfInitial: '0.6' },
        openInterestLowerCap: '2000000',
        openInterestUpperCap: '1000000',
      }),
    ).toThrow(MarginConfigError);
  });
  it('refuses caps that are not decimals in quote', () => {
    expect(() =>
      model({
        kind: 'openInterestScaled',
        initialRatio: '0.05',
        maintenance: { fractionOfInitial: '0.6' },
        openInterestLowerCap: 'lots',
        openInterestUpperCap: '1000000',
      }),
    ).toThrow(/openInterestLowerCap/);
  });
});

describe('applyLeverageCap', () => {
  const req = { initialQuote: 50_000n, maintenanceQuote: 30_000n };
  it('raises IM to notional / leverage (rounded up) and leaves MM alone', () => {
    expect(applyLeverageCap(req, 1_000_001n, 5_000_000n)).toEqual({
      initialQuote: 200_001n,
      maintenanceQuote: 30_000n,
    });
  });
  it('never lowers IM', () => {
    expect(applyLeverageCap(req, 1_000_000n, 100_000_000n)).toEqual(req);
  });
  it('is a no-op without a cap', () => {
    expect(applyLeverageCap(req, 1_000_000n, undefined)).toBe(req);
  });
  it('refuses a non-positive cap', () => {
    expect(() => applyLeverageCap(req, 1n, 0n)).toThrow();
  });
});
