/**
 * HolderSet (./holder-set.ts) against the `Set<string>` it replaced: on random sequences of
 * positions opened and closed (the way evolve calls enter and leave), with enough churn to
 * compact, iteration order, size and membership equal the Set's at every step; an iteration
 * started before positions close (compaction included) still yields only live holders, and
 * under random opens and closes (re-entries included) yields only holders, each untouched one once.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propRuns } from '../../../test/support/prop.ts';
import { HolderSet } from './holder-set.ts';
import { InlineMap, InlineMap2 } from './inline-map.ts';
import { NO_ISOLATED_MARKETS, NO_LEVERAGE_CAPS, type Position, type Subaccount } from './state.ts';

const MARKET = 'M';

function subaccount(key: string): Subaccount {
  return {
    key,
    ref: { account: key, sub: '0' },
    balances: new InlineMap2(),
    positions: new InlineMap(),
    isolatedMarkets: NO_ISOLATED_MARKETS as Set<string>,
    maxLeverage: NO_LEVERAGE_CAPS as Map<string, bigint>,
  };
}

function position(): Position {
  return { market: MARKET, size: 1n, entryValue: 1n, fundingIndex: 0n, isolatedMargin: 0n, isolated: false };
}

/** Opens (or, if open, closes) the position of subaccount `i`, as evolve does, in both. */
function toggle(subs: Subaccount[], set: HolderSet, model: Set<string>, i: number): void {
  const s = subs[i]!;
  if (s.positions.has(MARKET)) {
    s.positions.delete(MARKET);
    set.leave(s);
    model.delete(s.key);
  } else {
    const p = position();
    s.positions.set(MARKET, p);
    set.enter(s);
    model.add(s.key);
  }
}

describe('HolderSet', () => {
  it('is the Set of holders it replaced, step by step', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.array(fc.nat(), { minLength: 0, maxLength: 1500 }),
        (count, steps) => {
          const subs = Array.from({ length: count }, (_, i) => subaccount(`a${i}/0`));
          const byKey = new Map(subs.map((s) => [s.key, s]));
          const set = new HolderSet(MARKET, (k) => byKey.get(k));
          const model = new Set<string>();
          for (const n of steps) {
            toggle(subs, set, model, n % count);
            expect(set.size).toBe(model.size);
          }
          expect([...set]).toEqual([...model]);
          expect([...set.values()]).toEqual([...model]);
          expect([...set.entries()]).toEqual([...model.entries()]);
          const seen: string[] = [];
          set.forEach((v, k) => {
            expect(v).toBe(k);
            seen.push(k);
          });
          expect(seen).toEqual([...model]);
          for (const s of subs) expect(set.has(s.key)).toBe(model.has(s.key));
          expect(set.has('unknown')).toBe(false);
          // A decoded snapshot's list gives the same set.
          const again = HolderSet.fromList(
            MARKET,
            (k) => byKey.get(k),
            [...model].map((k) => byKey.get(k)!),
          );
          expect([...again!]).toEqual([...model]);
          expect(again!.size).toBe(model.size);
        },
      ),
      { numRuns: propRuns(100) },
    );
  });

  it('an iteration in progress sees positions closed under it (compaction included)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 70, max: 400 }), fc.integer({ min: 0, max: 1000 }), (count, seed) => {
        const subs = Array.from({ length: count }, (_, i) => subaccount(`a${i}/0`));
        const set = new HolderSet(MARKET, () => undefined);
        const model = new Set<string>();
        for (let i = 0; i < count; i++) toggle(subs, set, model, i);
        // While iterating, close every holder the walk has not reached yet with a step of 1..3
        // (enough leaves to compact), and check each yielded key was still a holder.
        const stride = 1 + (seed % 3);
        let at = 0;
        for (const k of set) {
          expect(model.has(k)).toBe(true);
          for (let j = at + 1; j < count; j += stride) {
            if (subs[j]!.positions.has(MARKET)) toggle(subs, set, model, j);
          }
          at = count;
        }
        expect(set.size).toBe(model.size);
        expect([...set]).toEqual([...model]);
      }),
      { numRuns: propRuns(50) },
    );
  });

  it('an iteration in progress under random opens and closes (compactions included)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 150 }),
        fc.array(fc.nat(), { maxLength: 600 }),
        // up to ~100 toggles per step: compactions happen inside the walk, re-entries across them
        fc.array(fc.array(fc.nat(), { maxLength: 100 }), { maxLength: 150 }),
        (count, before, during) => {
          const subs = Array.from({ length: count }, (_, i) => subaccount(`a${i}/0`));
          const set = new HolderSet(MARKET, () => undefined);
          const model = new Set<string>();
          for (const n of before) toggle(subs, set, model, n % count);
          // Holders from the start that never leave during the walk must each be seen once;
          // every key seen must be a holder when it is yielded.
          const start = new Set(model);
          const touched = new Set<string>();
          const seen: string[] = [];
          let step = 0;
          for (const k of set) {
            expect(model.has(k)).toBe(true);
            seen.push(k);
            for (const n of during[step++] ?? []) {
              touched.add(subs[n % count]!.key);
              toggle(subs, set, model, n % count);
            }
          }
          const steady = [...start].filter((k) => !touched.has(k));
          for (const k of steady) expect(seen.filter((x) => x === k)).toHaveLength(1);
          expect(set.size).toBe(model.size);
          expect([...set]).toEqual([...model]);
        },
      ),
      { numRuns: propRuns(100) },
    );
  });

  it("a walk across a compaction still tells a re-entered holder's old entry from its new one", () => {
    const subs = Array.from({ length: 100 }, (_, i) => subaccount(`a${i}/0`));
    const set = new HolderSet(MARKET, () => undefined);
    const model = new Set<string>();
    for (let i = 0; i < 100; i++) toggle(subs, set, model, i);
    toggle(subs, set, model, 50); // a50 leaves (a dead entry at 50) …
    toggle(subs, set, model, 50); // … and enters again (its entry at 100)
    const seen: string[] = [];
    for (const k of set) {
      seen.push(k);
      // enough closes to compact while the walk is before a50's dead entry
      if (k === 'a0/0') for (let i = 1; i < 80; i++) if (i !== 50) toggle(subs, set, model, i);
    }
    expect(seen).toEqual(['a0/0', ...Array.from({ length: 20 }, (_, i) => `a${80 + i}/0`), 'a50/0']);
    expect([...set]).toEqual([...model]);
  });

  it('fromList refuses a listed subaccount without a position in the market', () => {
    const a = subaccount('a/0');
    expect(HolderSet.fromList(MARKET, () => a, [a])).toBeUndefined();
  });
});
