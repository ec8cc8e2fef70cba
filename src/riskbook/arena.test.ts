/**
 * The arena hands out disjoint, zeroed views of one buffer while they fit and plain arrays
 * past its end; the bound index's build takes every array it keeps from one such buffer (the
 * point of the arena: one growth of external memory per build, see ./arena.ts).
 */
import { describe, expect, it } from 'vitest';
import { Arena, PLAIN_ALLOC } from './arena.ts';
import { LiquidationBoundIndex } from './liquidation-bound-index.ts';
import { type AccountSpec, populate, priceMove, riskVenue } from './riskbook.testkit.ts';

describe('Arena', () => {
  it('carves disjoint zeroed views, 8-aligned, then falls back to plain arrays', () => {
    const arena = new Arena(PLAIN_ALLOC, false, Arena.size(4 * 3) + Arena.size(8 * 2) + Arena.size(4 * 5));
    const a = arena.i32(3);
    const b = arena.f64(2);
    const c = arena.i32(5);
    expect(a.buffer).toBe(b.buffer);
    expect(c.buffer).toBe(b.buffer);
    expect([a.byteOffset, b.byteOffset, c.byteOffset]).toEqual([0, 16, 32]);
    a.fill(-1);
    b.fill(Number.NaN);
    c.fill(7);
    expect([...a]).toEqual([-1, -1, -1]);
    expect(b.every(Number.isNaN)).toBe(true);
    expect([...c]).toEqual([7, 7, 7, 7, 7]);
    const d = arena.f64(1); // past the end
    expect(d.buffer).not.toBe(a.buffer);
    expect([...d]).toEqual([0]);
  });

  it('the bound index keeps its buckets and rows in one buffer, rebuilt exactly at each rebase', () => {
    const engine = riskVenue();
    const specs: AccountSpec[] = Array.from({ length: 30 }, (_, i) => ({
      usdc: 1_000 + i * 41,
      btcMilli: i % 4 === 0 ? 10 : 0,
      stethCenti: 0,
      legs: [{ market: i % 4, isolated: i % 3 === 0, long: i % 2 === 0, leverage10: 5 + ((i * 11) % 150) }],
    }));
    populate(engine, specs);
    const index = new LiquidationBoundIndex(engine, { autoRebaseAbove: 0 });
    const names = ['offsets', 'ids', 'rowStart', 'rowOf', 'rowCol', 'rowVal', 'rowSize', 'rowEntry'];
    const more = ['rowCash', 'rowOrdKind', 'rowH0', 'rowSlack', 'rowCap'];
    const arrays = () =>
      [...names, ...more].map((k) => (index as unknown as Record<string, ArrayBufferView>)[k]!);
    const check = () => {
      const views = arrays();
      const buffer = views[0]!.buffer;
      for (const v of views) expect(v.buffer).toBe(buffer);
      // Sized exactly: the views tile the buffer up to 8-byte padding.
      const bytes = views.reduce((sum, v) => sum + Arena.size(v.byteLength), 0);
      expect(buffer.byteLength).toBe(bytes);
      return buffer;
    };
    const first = check();
    const m = { markets: [1e6, 1e6, 1e6, 1e6], btc: 1e6, eth: 1e6, stethRate: 1e6 };
    engine.executeOrThrow(priceMove(engine, { ...m, markets: [950_000, 1e6, 1e6, 1e6] }, 100));
    index.rebase();
    expect(check()).not.toBe(first);
  });
});
