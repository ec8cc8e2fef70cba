/**
 * toJson writes bigint-bearing values itself instead of through JSON.stringify's replacer
 * callback; its text must be exactly what `JSON.stringify(value, bigintReplacer)` writes, since
 * journals, snapshots and state hashes are made of it. Checked on arbitrary values (objects,
 * arrays, strings with escapes, non-finite numbers, undefined members, bigints anywhere) and on
 * a real event, and fromJson reads every text back.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromJson, toJson } from './json.ts';

const reference = (v: unknown) =>
  JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? { $n: x.toString() } : x));

const value = fc.anything({
  values: [
    fc.bigInt(),
    fc.string({ unit: 'binary' }),
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
  ],
  withSparseArray: true,
  withNullPrototype: true,
  withMap: true,
  withSet: true,
  withDate: true,
  withTypedArray: true,
  key: fc.oneof(fc.string(), fc.constantFrom('0', '12', '-1', '__x', '"q"', 'é\n')),
});

describe('toJson', () => {
  it('writes exactly what JSON.stringify with the bigint replacer writes', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(toJson(v)).toBe(reference(v));
      }),
      { numRuns: 2000 },
    );
  });

  it('writes a traded event as before, and reads it back', () => {
    const e = {
      type: 'traded',
      market: 'BTC-PERP',
      buyer: 'alice/0',
      seller: 'bob/0',
      sizeQty9: 1_500_000_000n,
      pricePx8: -6_000_000_000_000n,
      valueQuote: 90_000_000_000n,
      reason: 'fill',
      skipped: undefined,
    };
    expect(toJson(e)).toBe(
      '{"type":"traded","market":"BTC-PERP","buyer":"alice/0","seller":"bob/0","sizeQty9":{"$n":"1500000000"},"pricePx8":{"$n":"-6000000000000"},"valueQuote":{"$n":"90000000000"},"reason":"fill"}',
    );
    const { skipped: _s, ...rest } = e;
    expect(fromJson(toJson(e))).toEqual(rest);
  });

  it('answers undefined where JSON.stringify does', () => {
    expect(toJson(undefined)).toBe(reference(undefined));
    expect(toJson(() => 1)).toBe(reference(() => 1));
  });
});
