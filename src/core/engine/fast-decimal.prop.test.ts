/**
 * The fill parser's reading of sizes and prices (fast-commands.ts `positive`, with its
 * safe-integer reader for short canonical strings) against `parseDecimal`'s: the same value, or
 * undefined in the same cases, on decimal-like strings (canonical or not, signs, leading and
 * trailing zeros, too many decimals, near 2^53) and on arbitrary text.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDecimal } from '../num/index.ts';
import { positive } from './fast-commands.ts';

function reference(v: string, decimals: number, max: bigint): bigint | undefined {
  const r = parseDecimal(v, decimals);
  return r.ok && r.value > 0n && r.value < max ? r.value : undefined;
}

const digits = (min: number, max: number) =>
  fc
    .array(fc.constantFrom('0', '1', '2', '5', '9'), { minLength: min, maxLength: max })
    .map((a) => a.join(''));
const decimalLike = fc
  .tuple(
    fc.constantFrom('', '', '', '-', '+', ' '),
    digits(0, 18),
    fc.constantFrom('', '.', '.', '.', ','),
    digits(0, 17),
    fc.constantFrom('', '', '', '0', 'e1', ' '),
  )
  .map(([sign, i, dot, f, tail]) => `${sign}${i}${dot}${f}${tail}`);
const edges = fc.constantFrom(
  '0',
  '0.0',
  '00',
  '01',
  '1.',
  '.5',
  '-0',
  '-0.0',
  '9007199254740991',
  '9007199254740992',
  '90071992.54740991',
  '90071992.54740992',
  '0.000000001',
  '0.0000000001',
  '0.0000000010',
  '99999999999999999',
  '1.000000000000000',
);

describe('fill size and price reading', () => {
  it('is parseDecimal’s, value for value', () => {
    fc.assert(
      fc.property(
        fc.oneof(decimalLike, edges, fc.string({ maxLength: 20 })),
        fc.constantFrom(0, 2, 6, 8, 9, 15, 18),
        fc.constantFrom(10n ** 27n, 10n ** 24n, 10n ** 10n, 2n ** 53n),
        (s, d, max) => {
          expect(positive(s, d, max)).toBe(reference(s, d, max));
        },
      ),
      { numRuns: 30_000 },
    );
  });
});
