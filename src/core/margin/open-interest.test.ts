/**
 * dYdX v4 liquidity-tier vectors (test/vectors/dydx_v4_margin_liquidation.json,
 * extracted from protocol/x/perpetuals/types/liquidity_tier_test.go).
 * Quote quantums are 1e-6 USDC, i.e. quote units with quoteDecimals = 6.
 */
import { describe, expect, it } from 'vitest';
import vectors from '../../../test/vectors/dydx_v4_margin_liquidation.json' with { type: 'json' };
import { MarginModelConfigSchema } from '../model/config.ts';
import { formatDecimal } from '../num/index.ts';
import {
  createMarginModel,
  maintenanceFractionPpm,
  oiAdjustedInitialPpm,
  oiScaledInitialMarginQuote,
} from './models.ts';

const FILE = 'dydx_v4_margin_liquidation.json';
type Inputs = Record<string, number>;
const casesOf = (group: string) =>
  vectors.cases
    .filter((c) => c.group === group)
    .map((c) => ({
      name: c.name,
      inputs: c.inputs as unknown as Inputs,
      expected: c.expected as unknown as Record<string, number>,
    }));
const big = (n: number | undefined): bigint => BigInt(n!);

describe(`${FILE} › liquidity_tier_maintenance_margin_ppm`, () => {
  const cases = casesOf('liquidity_tier_maintenance_margin_ppm');
  it('has the cases we expect', () => expect(cases.length).toBe(4));
  it.each(cases)('$name', ({ inputs, expected }) => {
    expect(maintenanceFractionPpm(big(inputs.initialMarginPpm), big(inputs.maintenanceFractionPpm))).toBe(
      big(expected.maintenanceMarginPpm),
    );
  });
});

describe(`${FILE} › liquidity_tier_adjusted_initial_margin_ppm`, () => {
  const cases = casesOf('liquidity_tier_adjusted_initial_margin_ppm');
  it('has the cases we expect', () => expect(cases.length).toBe(4));
  it.each(cases)('$name', ({ inputs, expected }) => {
    const got = oiAdjustedInitialPpm(
      big(inputs.initialMarginPpm),
      big(inputs.openInterestNotional),
      big(inputs.openInterestLowerCap),
      big(inputs.openInterestUpperCap),
    );
    expect(got).toBe(big(expected.adjustedInitialMarginPpm));
  });
});

describe(`${FILE} › liquidity_tier_initial_margin_quote_quantums`, () => {
  const cases = casesOf('liquidity_tier_initial_margin_quote_quantums');
  it('has the cases we expect', () => expect(cases.length).toBe(4));
  it.each(cases)('helper: $name', ({ inputs, expected }) => {
    const got = oiScaledInitialMarginQuote(
      big(inputs.positionNotionalQuoteQuantums),
      big(inputs.initialMarginPpm),
      big(inputs.openInterestNotional),
      big(inputs.openInterestLowerCap),
      big(inputs.openInterestUpperCap),
    );
    expect(got).toBe(big(expected.initialMarginQuoteQuantums));
  });
  it.each(cases)('openInterestScaled model: $name', ({ inputs, expected }) => {
    // The config carries ratios and caps as decimal strings, exactly as a venue preset would.
    const config = MarginModelConfigSchema.parse({
      kind: 'openInterestScaled',
      initialRatio: formatDecimal(big(inputs.initialMarginPpm), 6),
      maintenance: { fractionOfInitial: '0.5' },
      openInterestLowerCap: formatDecimal(big(inputs.openInterestLowerCap), 6),
      openInterestUpperCap: formatDecimal(big(inputs.openInterestUpperCap), 6),
    });
    const model = createMarginModel(config, 6);
    const req = model.requirement(
      { sizeQty9: 1n, notionalQuote: big(inputs.positionNotionalQuoteQuantums) },
      { openInterestQuote: big(inputs.openInterestNotional) },
    );
    expect(req.initialQuote).toBe(big(expected.initialMarginQuoteQuantums));
    expect(req.maintenanceQuote).toBeLessThanOrEqual(req.initialQuote);
  });
});

describe('open-interest scaling edges', () => {
  it('caps IM at the notional once OI reaches the upper cap', () => {
    expect(oiScaledInitialMarginQuote(1_000n, 200_000n, 5_000n, 1_000n, 2_000n)).toBe(1_000n);
    expect(oiAdjustedInitialPpm(200_000n, 5_000n, 1_000n, 2_000n)).toBe(1_000_000n);
  });
  it('scales from zero when the lower cap is 0 and the upper cap is not (dYdX behaviour)', () => {
    expect(oiAdjustedInitialPpm(200_000n, 500n, 0n, 1_000n)).toBe(600_000n);
  });
  it('refuses lower > upper', () => {
    expect(() => oiAdjustedInitialPpm(200_000n, 5n, 10n, 5n)).toThrow();
  });
});
