/**
 * InlineMap (four inline slots) and InlineMap2 (two) against the built-in `Map` over random operation sequences: set (new key, existing
 * key, a key deleted before), delete, clear, get/has/size, and up to three iterators of each
 * kind held open at once and stepped, returned or abandoned in between — so sets, deletes and
 * clears land while iterators are suspended mid-way, in the inline slots and in the overflow,
 * and abandoned iterators keep the map from compacting. `forEach` runs a nested sequence from
 * inside its callback. Keys include NaN, 0 and -0 (SameValueZero) besides strings.
 *
 * After every operation the results agree, and so do the whole entry lists in order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propRuns, sequences } from '../../../test/support/prop.ts';
import { InlineMap, InlineMap2 } from './inline-map.ts';

const KEYS: unknown[] = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', Number.NaN, 0, -0, undefined];
const key = fc.integer({ min: 0, max: KEYS.length - 1 }).map((i) => KEYS[i]);
/** Mostly few distinct keys, so maps hover around their two or four inline slots. */
const narrowKey = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<unknown>('a', 'b', 'c', 'd', 'e') },
  { weight: 1, arbitrary: key },
);

type Op =
  | { op: 'set'; k: unknown; v: number }
  | { op: 'delete'; k: unknown }
  | { op: 'get'; k: unknown }
  | { op: 'has'; k: unknown }
  | { op: 'clear' }
  | { op: 'iter'; kind: 'entries' | 'keys' | 'values' | 'default' }
  | { op: 'step'; slot: number }
  | { op: 'return'; slot: number }
  | { op: 'forEach'; inner: Op[] };

const leaf: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('set' as const), k: narrowKey, v: fc.integer() }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('delete' as const), k: narrowKey }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('get' as const), k: narrowKey }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('has' as const), k: narrowKey }) },
  { weight: 1, arbitrary: fc.constant({ op: 'clear' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('iter' as const),
      kind: fc.constantFrom('entries' as const, 'keys' as const, 'values' as const, 'default' as const),
    }),
  },
  { weight: 6, arbitrary: fc.record({ op: fc.constant('step' as const), slot: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('return' as const), slot: fc.nat(2) }) },
);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 12, arbitrary: leaf },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('forEach' as const), inner: fc.array(leaf, { maxLength: 6 }) }),
  },
);

/** One side of the comparison: a map and its open iterators (slot → iterator). */
class Side {
  readonly iters: (Iterator<unknown> | undefined)[] = [];
  constructor(readonly map: Map<unknown, number>) {}

  /** Applies one operation; returns what it observably produced. */
  apply(o: Op, log: unknown[]): void {
    const m = this.map;
    switch (o.op) {
      case 'set':
        log.push(m.set(o.k, o.v) === m);
        return;
      case 'delete':
        log.push(m.delete(o.k));
        return;
      case 'get':
        log.push(m.get(o.k));
        return;
      case 'has':
        log.push(m.has(o.k));
        return;
      case 'clear':
        log.push(m.clear());
        return;
      case 'iter': {
        const it =
          o.kind === 'default' ? m[Symbol.iterator]() : o.kind === 'entries' ? m.entries() : m[o.kind]();
        // Replaces (abandons) whatever iterator was in the first free-or-oldest slot.
        const slot = this.iters.length < 3 ? this.iters.length : 0;
        this.iters[slot] = it;
        log.push(slot, Object.prototype.toString.call(it));
        return;
      }
      case 'step': {
        const it = this.iters[o.slot];
        log.push(it === undefined ? 'none' : it.next());
        return;
      }
      case 'return': {
        // What `for…of` does on break: Map's iterators have no return(), InlineMap's release the map.
        const it = this.iters[o.slot];
        if (it?.return !== undefined) expect(it.return()).toEqual({ value: undefined, done: true });
        this.iters[o.slot] = undefined;
        return;
      }
      case 'forEach':
        m.forEach((v, k, self) => {
          log.push(['cb', k, v, self === m]);
          const step = o.inner.shift();
          if (step !== undefined) this.apply(step, log);
        });
        log.push('forEach done', o.inner.length);
        return;
    }
  }
}

const clone = (o: Op): Op => (o.op === 'forEach' ? { op: 'forEach', inner: o.inner.map(clone) } : { ...o });

const VARIANTS = [
  {
    name: 'InlineMap',
    make: <K, V>(e?: Iterable<readonly [K, V]>) => new InlineMap<K, V>(e),
    from: InlineMap.from,
  },
  {
    name: 'InlineMap2',
    make: <K, V>(e?: Iterable<readonly [K, V]>) => new InlineMap2<K, V>(e),
    from: InlineMap2.from,
  },
];

describe.each(VARIANTS)('$name', ({ make, from }) => {
  it('behaves exactly as Map over random operations, iterators suspended across changes', () => {
    fc.assert(
      fc.property(sequences(op, 1, 80), (ops) => {
        const ref = new Side(new Map());
        const sut = new Side(make() as Map<unknown, number>);
        for (const o of ops) {
          const a: unknown[] = [];
          const b: unknown[] = [];
          ref.apply(clone(o), a);
          sut.apply(clone(o), b);
          expect(b).toEqual(a);
          expect(sut.map.size).toBe(ref.map.size);
          expect([...sut.map]).toEqual([...ref.map]);
        }
      }),
      { numRuns: propRuns(300) },
    );
  });

  it('copies in order, reports Map as its tag, serializes to JSON as Map does', () => {
    const m = make<string, number>([
      ['x', 1],
      ['y', 2],
      ['x', 3],
    ]);
    expect([...m]).toEqual([
      ['x', 3],
      ['y', 2],
    ]);
    expect(Object.prototype.toString.call(m)).toBe('[object Map]');
    expect(JSON.stringify({ m: make([['a', 1n]]) })).toBe(JSON.stringify({ m: new Map([['a', 1n]]) }));
    const big = new Map(Array.from({ length: 9 }, (_, i) => [`k${i}`, i] as const));
    expect([...from(big)]).toEqual([...big]);
    expect([...from(big).keys()]).toEqual([...big.keys()]);
    expect([...from(big).values()]).toEqual([...big.values()]);
  });
});
