/**
 * KeyOrdinals (./key-ordinals.ts) against the Map it replaces in the risk book: after any
 * sequence of adds and lookups (keys drawn from a small alphabet so they repeat and collide,
 * with and without a reserve first), every key has the ordinal a Map of first-seen order gives
 * it, unknown keys have none, and keyOf inverts the ordinals.
 */
import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { KeyOrdinals } from './key-ordinals.ts';

const key = fc.string({ unit: fc.constantFrom('a', 'b', '/', '0', '1', 'é', '\u{1F600}'), maxLength: 6 });
const op = fc.record({ add: fc.boolean(), key });

test.prop([fc.array(op, { maxLength: 400 }), fc.nat({ max: 300 })], { numRuns: 300 })(
  'key ordinals = first-seen order of a Map, through growth',
  (ops, reserve) => {
    const t = new KeyOrdinals();
    if (reserve > 0) t.reserve(reserve);
    const m = new Map<string, number>();
    for (const { add, key: k } of ops) {
      if (add) {
        if (!m.has(k)) m.set(k, m.size);
        expect(t.add(k)).toBe(m.get(k));
      } else expect(t.get(k)).toBe(m.get(k));
      expect(t.size).toBe(m.size);
    }
    for (const [k, o] of m) {
      expect(t.get(k)).toBe(o);
      expect(t.keyOf(o)).toBe(k);
    }
  },
);

test('many keys: sequential account names, reserved and not', () => {
  for (const reserve of [0, 5000]) {
    const t = new KeyOrdinals();
    t.reserve(reserve);
    for (let i = 0; i < 5000; i++) expect(t.add(`u${i}/main`)).toBe(i);
    for (let i = 0; i < 5000; i++) expect(t.get(`u${i}/main`)).toBe(i);
    expect(t.get('u5000/main')).toBeUndefined();
    expect(t.size).toBe(5000);
  }
});
