import { describe, expect, it } from 'vitest';
import { notionalQuote, signedValueQuote } from './notional.ts';

describe('notionalQuote', () => {
  it.each([
    // name, size qty9, px8, quote decimals, rounding, expected quote units
    ['one_btc_at_50k_usdc6', 1_000_000_000n, 50_000_00000000n, 6, 'ceil', 50_000_000000n],
    ['short_size_sign_ignored', -1_000_000_000n, 50_000_00000000n, 6, 'ceil', 50_000_000000n],
    ['one_qty9_at_one_dollar_rounds_up', 1n, 1_00000000n, 6, 'ceil', 1n],
    ['one_qty9_at_one_dollar_rounds_down', 1n, 1_00000000n, 6, 'floor', 0n],
    ['quote_with_18_decimals_multiplies', 1n, 1n, 18, 'floor', 10n],
    ['quote_with_0_decimals', 2_500_000_000n, 3_00000000n, 0, 'floor', 7n],
  ] as const)('%s', (_name, size, px, qd, rounding, expected) => {
    expect(notionalQuote(size, px, qd, rounding)).toBe(expected);
  });
  it('refuses a negative price', () => expect(() => notionalQuote(1n, -1n, 6, 'ceil')).toThrow());
});

describe('signedValueQuote', () => {
  it.each([
    ['long', 1_500_000_000n, 2_00000000n, 6, 'floor', 3_000000n],
    ['short_floor_goes_more_negative', -1n, 1_00000000n, 6, 'floor', -1n],
    ['short_ceil_goes_to_zero', -1n, 1_00000000n, 6, 'ceil', 0n],
  ] as const)('%s', (_name, size, px, qd, rounding, expected) => {
    expect(signedValueQuote(size, px, qd, rounding)).toBe(expected);
  });
});
