/**
 * The fill events' template (event-json.ts) against the generic writer `toJson` (the reference):
 * the same text, or no answer. Both branches are exercised: well-formed events must be written by
 * the template; reordered keys, extra or missing keys, wrong types and strings that JSON escapes
 * must fall back.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propRuns } from '../../../test/support/prop.ts';
import { toJson } from '../num/json.ts';
import { encodeEvent } from './codec.ts';
import { feeMovedJson, templateEventJson, tradedJson } from './event-json.ts';

/** Strings JSON writes as they are, and strings it must escape (quote, backslash, control, lone surrogate). */
const plainString = fc.oneof(
  fc.constantFrom('M0', 'maker/0', 'trader/0', 'USDC', 'fill', 'trading_fee', '', 'é'),
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what JSON escapes
  fc.string({ maxLength: 12 }).filter((s) => !/["\\\u0000-\u001f\ud800-\udfff]/.test(s)),
);
const anyString = fc.oneof(
  plainString,
  fc.constantFrom('😀', 'a"b', 'a\\b', 'line\n', '\u0000', '\ud800', 'x\u001f'),
  fc.string({ unit: 'binary', maxLength: 8 }),
);
const amount = fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n });
const ledger = (s: fc.Arbitrary<string>) =>
  fc
    .oneof(
      fc.record({ kind: fc.constant('balance'), sub: s }),
      fc.record({ kind: fc.constant('fees') }),
      fc.record({ kind: fc.constant('isolated'), sub: s, market: s }),
    )
    .map(plainObject);

/** Plain objects, as handlers build them (fc.record may also give null-prototype ones). */
const plainObject = <T extends object>(o: T): T => ({ ...o });

const traded = (s: fc.Arbitrary<string>) =>
  fc
    .record({
      type: fc.constant('traded'),
      market: s,
      buyer: s,
      seller: s,
      sizeQty9: amount,
      pricePx8: amount,
      valueQuote: amount,
      reason: s,
    })
    .map(plainObject);
const moved = (s: fc.Arbitrary<string>) =>
  fc
    .record({
      type: fc.constant('moved'),
      from: ledger(s),
      to: ledger(s),
      asset: s,
      amount,
      reason: s,
    })
    .map(plainObject);

/** An event changed in one way the template must notice: order, a key, a type, an inherited key. */
const mangled = fc
  .tuple(
    fc.oneof(traded(anyString), moved(anyString)),
    fc.constantFrom('reverse', 'drop', 'extra', 'number', 'undefined', 'string-amount', 'proto', 'none'),
    fc.nat(),
  )
  .map(([e, how, n]) => {
    const entries = Object.entries(e);
    const i = n % entries.length;
    switch (how) {
      case 'reverse':
        return Object.fromEntries(entries.reverse());
      case 'drop':
        return Object.fromEntries(entries.filter((_, j) => j !== i));
      case 'extra':
        return { ...e, seq: n };
      case 'number':
        return Object.fromEntries(entries.map(([k, v], j) => [k, j === i ? n : v]));
      case 'undefined':
        return Object.fromEntries(entries.map(([k, v], j) => [k, j === i ? undefined : v]));
      case 'string-amount':
        return Object.fromEntries(entries.map(([k, v]) => [k, typeof v === 'bigint' ? String(v) : v]));
      case 'proto':
        return Object.assign(Object.create({ inherited: 1 }), e);
      default:
        return e;
    }
  });

describe('fill event JSON template', () => {
  it('writes well-formed traded and moved events exactly as toJson does', () => {
    fc.assert(
      fc.property(fc.oneof(traded(plainString), moved(plainString)), (e) => {
        const t = templateEventJson(e);
        expect(t).toBe(toJson(e));
        expect(encodeEvent(e as never)).toBe(toJson(e));
      }),
      { numRuns: propRuns(500) },
    );
  });

  it('on anything else answers nothing or exactly toJson', () => {
    let fellBack = 0;
    let wrote = 0;
    fc.assert(
      fc.property(mangled, (e) => {
        const t = templateEventJson(e);
        if (t === undefined) fellBack++;
        else {
          wrote++;
          expect(t).toBe(toJson(e));
        }
        expect(encodeEvent(e as never)).toBe(toJson(e));
      }),
      { numRuns: propRuns(2000) },
    );
    // both branches were taken
    expect(fellBack).toBeGreaterThan(0);
    expect(wrote).toBeGreaterThan(0);
  });

  it('moved events whose from / to are mangled (the cached balance and fees texts): nothing or toJson', () => {
    const ref = fc
      .tuple(
        ledger(anyString),
        fc.constantFrom('reverse', 'extra', 'number', 'undefined', 'proto', 'none', 'none'),
        fc.nat(),
      )
      .map(([r, how, n]) => {
        const entries = Object.entries(r);
        switch (how) {
          case 'reverse':
            return Object.fromEntries(entries.reverse());
          case 'extra':
            return { ...r, extra: 'x' };
          case 'number':
            return Object.fromEntries(entries.map(([k, v]) => [k, k === 'kind' ? v : n]));
          case 'undefined':
            return Object.fromEntries(entries.map(([k, v]) => [k, k === 'kind' ? v : undefined]));
          case 'proto':
            return Object.assign(Object.create({ inherited: 1 }), r);
          default:
            return r;
        }
      });
    let wrote = 0;
    fc.assert(
      fc.property(
        // the same few subaccounts again and again, so cached texts are met
        fc.record({
          type: fc.constant('moved'),
          from: fc.oneof(ref, ledger(fc.constantFrom('a/0', 'b/0', 'a"/0'))),
          to: fc.oneof(ref, ledger(fc.constantFrom('a/0', 'b/0'))),
          asset: plainString,
          amount,
          reason: plainString,
        }),
        (raw) => {
          const e = plainObject(raw);
          const t = templateEventJson(e);
          if (t !== undefined) {
            wrote++;
            expect(t).toBe(toJson(e));
          }
          expect(encodeEvent(e as never)).toBe(toJson(e));
        },
      ),
      { numRuns: propRuns(3000) },
    );
    expect(wrote).toBeGreaterThan(0);
  });

  it('refuses a reordered event and one with an escaped string (written by toJson instead)', () => {
    const e = {
      type: 'traded',
      market: 'M0',
      buyer: 'a',
      seller: 'b',
      sizeQty9: 1n,
      pricePx8: 2n,
      valueQuote: 3n,
      reason: 'fill',
    };
    expect(templateEventJson(e)).toBe(
      '{"type":"traded","market":"M0","buyer":"a","seller":"b","sizeQty9":{"$n":"1"},"pricePx8":{"$n":"2"},"valueQuote":{"$n":"3"},"reason":"fill"}',
    );
    const { market, ...rest } = e;
    expect(templateEventJson({ ...rest, market })).toBeUndefined();
    expect(templateEventJson({ ...e, buyer: 'a"b' })).toBeUndefined();
    expect(encodeEvent({ ...e, buyer: 'a"b' } as never)).toContain('"buyer":"a\\"b"');
  });

  it("a fill's texts from their values (tradedJson, feeMovedJson): nothing or toJson of the object it builds", () => {
    let wrote = 0;
    let fellBack = 0;
    fc.assert(
      fc.property(
        anyString,
        anyString,
        anyString,
        amount,
        amount,
        amount,
        anyString,
        (market, buyer, seller, sizeQty9, pricePx8, valueQuote, reason) => {
          const e = { type: 'traded', market, buyer, seller, sizeQty9, pricePx8, valueQuote, reason };
          const t = tradedJson(market, buyer, seller, sizeQty9, pricePx8, valueQuote, reason);
          if (t === undefined) fellBack++;
          else {
            wrote++;
            expect(t).toBe(toJson(e));
          }
        },
      ),
      { numRuns: propRuns(1000) },
    );
    fc.assert(
      fc.property(
        // the same few subaccounts again and again, so cached prefixes are met, one needing escapes
        fc.oneof(fc.constantFrom('a/0', 'b/0', 'a"/0', 'é/1'), anyString),
        anyString,
        amount,
        anyString,
        (sub, asset, amt, reason) => {
          const e = {
            type: 'moved',
            from: { kind: 'balance', sub },
            to: { kind: 'fees' },
            asset,
            amount: amt,
            reason,
          };
          const t = feeMovedJson(sub, asset, amt, reason);
          if (t === undefined) fellBack++;
          else {
            wrote++;
            expect(t).toBe(toJson(e));
          }
        },
      ),
      { numRuns: propRuns(2000) },
    );
    expect(wrote).toBeGreaterThan(0);
    expect(fellBack).toBeGreaterThan(0);
  });
});
