/** The fill fast path against zod (the reference): same command, same key order, or no answer. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propRuns } from '../../../test/support/prop.ts';
import { toJson } from '../num/json.ts';
import { id } from '../num/schema.ts';
import { CommandSchema } from './commands.ts';
import { isId, parseFillFast } from './fast-commands.ts';

const idLike = fc.oneof(
  fc.constantFrom(
    'a',
    'M0',
    'BTC-PERP',
    'x.y:z_1',
    '__proto__',
    'constructor',
    '',
    'a b',
    'é',
    'x'.repeat(64),
    'x'.repeat(65),
  ),
  fc.string({ maxLength: 8 }),
);
const decimalLike = fc.oneof(
  fc.constantFrom(
    '1',
    '0.002',
    '100',
    '99.5',
    '0',
    '-1',
    '01',
    '1e3',
    ' 1',
    '1.',
    '.5',
    '0.0000000001',
    '1'.repeat(30),
    'NaN',
  ),
  fc.tuple(fc.nat({ max: 10_000_000 }), fc.nat({ max: 999_999_999 })).map(([i, f]) => `${i}.${f}`),
  fc.integer(),
  fc.bigInt({ min: 1n, max: 10n }),
);
const refLike = fc.oneof(
  fc.record({ account: idLike }, { requiredKeys: [] }),
  fc.record(
    { account: idLike, sub: fc.oneof(idLike, fc.constant(undefined)) },
    { requiredKeys: ['account'] },
  ),
  fc.record({ account: idLike, extra: fc.nat() }),
  fc.constant(null),
  fc.constant('alice'),
);
const field = {
  type: fc.constantFrom('fill', 'fill', 'fill', 'deposit', 'Fill'),
  commandId: fc.oneof(idLike, fc.constant(undefined), fc.constant('c'.repeat(129))),
  market: idLike,
  buyer: refLike,
  seller: refLike,
  size: decimalLike,
  price: decimalLike,
  taker: fc.constantFrom('buyer', 'seller', 'maker', undefined),
  buyOrderId: fc.oneof(idLike, fc.constant(undefined)),
  sellOrderId: fc.oneof(idLike, fc.constant(undefined)),
  timeMs: fc.oneof(
    fc.nat(),
    fc.constantFrom(-1, 1.5, Number.NaN, 8_640_000_000_000_001, '5'),
    fc.constant(undefined),
  ),
  junk: fc.nat(),
};
const fillLike = fc
  .tuple(
    fc.record(field, { requiredKeys: [] }),
    fc.record(
      {
        commandId: fc.constantFrom('c1', 'order:7.x'),
        market: fc.constantFrom('M0', 'ETH-PERP'),
        buyer: fc.constantFrom({ account: 'a' }, { sub: '2', account: 'a' }),
        size: fc.constantFrom('0.002', '3', '1.000000001'),
        price: fc.constantFrom('100', '99.5', '0.00000001'),
        taker: fc.constantFrom('buyer', 'seller'),
        buyOrderId: fc.constant('b1'),
        sellOrderId: fc.constant('s1'),
        timeMs: fc.nat(),
      },
      { requiredKeys: [] },
    ),
    fc.boolean(),
  )
  // mostly well-formed commands (so the fast path answers often), with random fields mixed in
  .map(([random, base, clean]) => {
    const ok = {
      type: 'fill',
      market: 'M0',
      buyer: { account: 'a' },
      seller: { account: 'b', sub: '1' },
      size: '1',
      price: '100',
    };
    return clean ? { ...ok, ...base } : { ...ok, ...random };
  });

describe('parseFillFast', () => {
  it('answers exactly what zod answers, key order included, or leaves it to zod', () => {
    let answered = 0;
    let runs = 0;
    fc.assert(
      fc.property(fillLike, fc.boolean(), (input, shuffle) => {
        runs++;
        const x = shuffle ? Object.fromEntries(Object.entries(input).reverse()) : input;
        const fast = parseFillFast(x);
        const z = CommandSchema.safeParse(x);
        if (fast === undefined) return;
        answered++;
        expect(z.success).toBe(true);
        expect(toJson(fast)).toBe(toJson(z.data));
        expect(fast).toEqual(z.data);
      }),
      { numRuns: propRuns(3000, 0.3) },
    );
    // not vacuous: the well-formed half is answered by the fast path
    expect(answered).toBeGreaterThan(runs / 4);
  });

  it('answers a plain valid fill and leaves a malformed one to zod', () => {
    const fill = {
      type: 'fill',
      market: 'M0',
      buyer: { account: 'a' },
      seller: { account: 'b' },
      size: '0.002',
      price: '100',
      timeMs: 5,
    };
    expect(toJson(parseFillFast(fill))).toBe(toJson(CommandSchema.parse(fill)));
    expect(parseFillFast({ ...fill, size: '0' })).toBeUndefined();
    expect(parseFillFast({ ...fill, price: '1e3' })).toBeUndefined();
    expect(parseFillFast({ ...fill, market: '__proto__' })).toBeUndefined();
    expect(parseFillFast({ ...fill, extra: 1 })).toBeUndefined();
    expect(parseFillFast({ ...fill, type: 'deposit' })).toBeUndefined();
  });

  it('isId accepts exactly what the id schema accepts', () => {
    const near = fc.oneof(
      idLike,
      fc.string({
        unit: fc.constantFrom('a', 'Z', '0', '9', ':', ';', '/', '@', '[', '`', '{', '_', '.', '-', ' '),
        maxLength: 70,
      }),
      fc.string({ unit: 'binary', maxLength: 66 }),
      fc.constantFrom('prototype', '__proto__x', 'xconstructor', 'Prototype', 'a'.repeat(64), 'a'.repeat(65)),
    );
    fc.assert(
      fc.property(near, (s) => {
        expect(isId(s)).toBe(id.safeParse(s).success);
      }),
      { numRuns: propRuns(3000) },
    );
  });
});
