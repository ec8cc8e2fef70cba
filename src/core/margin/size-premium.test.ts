/**
 * Drift protocol-v2 size premium (liability weight / margin ratio) against the
 * numbers of its own unit tests (test/vectors/drift_v2_size_weights.json, group
 * spot_market_asset_weight, liability cases). Drift's weights are at 1e4.
 */
import { describe, expect, it } from 'vitest';
import vectors from '../../../test/vectors/drift_v2_size_weights.json' with { type: 'json' };
import { sizeAtPrecision9 } from '../collateral/size-discount.ts';
import { sizePremiumRatio, sizeSqrt1e5 } from './size-premium.ts';

const FILE = 'drift_v2_size_weights.json';
const liabilityCases = vectors.cases.filter(
  (c) => c.group === 'spot_market_asset_weight' && (c.inputs as { kind?: string }).kind === 'liability',
);

describe(`${FILE} › spot_market_asset_weight (liability weight = size premium)`, () => {
  it('has the cases we expect', () => expect(liabilityCases.length).toBe(5));
  it.each(liabilityCases)('$name', (c) => {
    const i = c.inputs as {
      decimals: number;
      tokenAmount: number;
      weight_1e4: number;
      imfFactor_1e6: number;
    };
    const size9 = sizeAtPrecision9(BigInt(i.tokenAmount), i.decimals);
    const expected = BigInt((c.expected as { weight_1e4: number }).weight_1e4);
    // Drift's own precision: exact.
    expect(sizePremiumRatio(size9, BigInt(i.imfFactor_1e6), BigInt(i.weight_1e4), 10_000n)).toBe(expected);
    // Our ppm precision: the base weights here are multiples of 5 at 1e4, so ⌊ppm / 100⌋ is Drift's value.
    const ppm = sizePremiumRatio(size9, BigInt(i.imfFactor_1e6), BigInt(i.weight_1e4) * 100n);
    expect(ppm / 100n).toBe(expected);
  });
});

describe('size premium shape', () => {
  it('takes the root of the size in whole units at 1e5 (Drift: 1e9 → 1e10 → 1e5)', () => {
    expect(sizeSqrt1e5(0n)).toBe(1n);
    expect(sizeSqrt1e5(1_000_000_000n)).toBe(100_000n); // √(1e10 + 1) → 100000
    expect(sizeSqrt1e5(4_000_000_000n)).toBe(200_000n);
  });
  it('never goes below the base ratio and is off when the factor is 0', () => {
    expect(sizePremiumRatio(10n ** 20n, 0n, 50_000n)).toBe(50_000n);
    expect(sizePremiumRatio(1n, 1_000n, 50_000n)).toBe(50_000n);
  });
});
