/**
 * The cascade preview on a case worked by hand, and its properties: the cascade never
 * liquidates less than the first round, and with an infinitely deep book it is the first round.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CascadePosition, previewCascade } from './cascade-preview.ts';
import { infiniteDepthSource, parametricDepthSource } from './depth-model.ts';

describe('previewCascade', () => {
  // A linear book: 100 base units within each 1 % (D(x) = 10,000·x), so selling q moves the
  // mid down by q / 10,000 (as a fraction of the price the move reached).
  const linear = parametricDepthSource({ depthPerPct: 100, exponent: 1 });
  const positions: CascadePosition[] = [
    { side: 'long', size: 100, liqPx: 96 }, // reached by the move to 95
    { side: 'long', size: 20, liqPx: 94.5 }, // reached once 100 units have sold: 95 × 0.99 = 94.05
    { side: 'long', size: 30, liqPx: 90 }, // 95 × (1 − 120/10,000) = 93.86 never gets there
    { side: 'short', size: 50, liqPx: 105 }, // the other way
  ];

  it('walks the book: two rounds, 93.86 at the end', () => {
    const r = previewCascade(positions, 95, linear);
    expect(r.rounds.map((x) => x.positions)).toEqual([[0], [1]]);
    expect(r.rounds[0]!.triggerPx).toBe(95);
    expect(r.rounds[0]!.sellSize).toBe(100);
    expect(r.rounds[0]!.priceAfter).toBeCloseTo(94.05, 9);
    expect(r.rounds[1]!.triggerPx).toBeCloseTo(94.05, 9);
    expect(r.rounds[1]!.priceAfter).toBeCloseTo(93.86, 9);
    expect(r.finalPx).toBeCloseTo(93.86, 9);
    expect(r.truncated).toBe(false);
  });

  it('a short squeeze walks the asks up the same way', () => {
    const up = [
      { side: 'short' as const, size: 100, liqPx: 104 },
      { side: 'short' as const, size: 10, liqPx: 106 },
    ];
    // 105 → 105 × 1.01 = 106.05 ≥ 106 → 105 × 1.011 = 106.155
    const r = previewCascade(up, 105, linear);
    expect(r.rounds.map((x) => x.positions)).toEqual([[0], [1]]);
    expect(r.finalPx).toBeCloseTo(106.155, 9);
  });

  it('nothing reached: no round, the target is the final price', () => {
    const r = previewCascade(positions, 99, linear);
    expect(r.rounds).toEqual([]);
    expect(r.finalPx).toBe(99);
  });

  it('maxRounds bounds the cascade and says so', () => {
    const chain = Array.from({ length: 10 }, (_, i) => ({
      side: 'long' as const,
      size: 100,
      liqPx: 95 - i * 0.9,
    }));
    const r = previewCascade(chain, 95, linear, { maxRounds: 3 });
    expect(r.rounds.length).toBe(3);
    expect(r.truncated).toBe(true);
  });

  it('refuses a non-positive target', () => {
    expect(() => previewCascade(positions, 0, linear)).toThrow(RangeError);
  });

  const arbPositions = fc.array(
    fc.record({
      side: fc.constantFrom<'long' | 'short'>('long', 'short'),
      size: fc.double({ min: 0.001, max: 1_000, noNaN: true }),
      liqPx: fc.double({ min: 1, max: 200, noNaN: true }),
    }),
    { maxLength: 40 },
  );
  const notional = (ps: readonly CascadePosition[], idx: readonly number[]) =>
    idx.reduce((s, i) => s + ps[i]!.size * ps[i]!.liqPx, 0);

  it('property: after the cascade ≥ the first round; an infinitely deep book stops at the first round', () => {
    fc.assert(
      fc.property(
        arbPositions,
        fc.double({ min: 1, max: 200, noNaN: true }),
        fc.double({ min: 0.1, max: 10_000, noNaN: true }),
        (ps, target, depthPerPct) => {
          const r = previewCascade(ps, target, parametricDepthSource({ depthPerPct, exponent: 0.85 }));
          const first = r.rounds[0]?.positions ?? [];
          const all = r.rounds.flatMap((x) => x.positions);
          expect(all.length).toBeGreaterThanOrEqual(first.length);
          expect(notional(ps, all)).toBeGreaterThanOrEqual(notional(ps, first));
          expect(new Set(all).size).toBe(all.length); // liquidated once
          const inf = previewCascade(ps, target, infiniteDepthSource());
          expect(inf.rounds.length).toBeLessThanOrEqual(1);
          expect(inf.rounds[0]?.positions ?? []).toEqual(first);
          expect(inf.finalPx).toBe(target);
        },
      ),
      { seed: 13, numRuns: 300 },
    );
  });
});
