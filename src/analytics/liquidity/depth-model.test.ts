import { fileURLToPath } from 'node:url';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  BookModel,
  bandedDepthSource,
  curveFromBands,
  type DepthCurve,
  depthWithin,
  fractionAt,
  INFINITE_CURVE,
  infiniteDepthSource,
  isCrossed,
  NO_GAP,
  NO_THINNING,
  parametricDepthSource,
  parseBookDepthSnapshots,
  readBookDepthSnapshots,
  repairPhantomBids,
  walkIntegral,
} from './depth-model.ts';

const DATA_DIR = fileURLToPath(new URL('../../../data/', import.meta.url));
const FILE = `${DATA_DIR}BTCUSDT-bookDepth-2025-10-10.csv`;
const raw = readBookDepthSnapshots(FILE);
const at = (hhmmss: string) => Date.parse(`2025-10-10T${hhmmss}Z`);
const calm = { thinning: NO_THINNING, gap: NO_GAP };

describe('banded depth from the 2025-10-10 snapshots', () => {
  it('reproduces_the_cumulative_depth_at_every_band_point', () => {
    const source = bandedDepthSource(raw);
    for (const s of [raw[0]!, raw.find((x) => x.timeMs === at('15:20:06'))!, raw[raw.length - 1]!]) {
      const c = source.at(s.timeMs);
      expect(c.snapshotMs).toBe(s.timeMs);
      for (const b of s.bids) expect(depthWithin(c.bid, b.pct / 100)).toBeCloseTo(b.depth, 9);
      for (const a of s.asks) expect(depthWithin(c.ask, a.pct / 100)).toBeCloseTo(a.depth, 9);
    }
    // 00:00:07, as published: −1 % 1,496.75 BTC … −5 % 8,243.012; +1 % 1,964.845 … +5 % 6,182.925.
    const first = source.at(at('00:00:07'));
    expect(depthWithin(first.bid, 0.01)).toBe(1496.75);
    expect(depthWithin(first.bid, 0.05)).toBe(8243.012);
    expect(depthWithin(first.ask, 0.01)).toBe(1964.845);
    expect(depthWithin(first.ask, 0.05)).toBe(6182.925);
    // Between snapshots the latest one is in force; before the first, the first.
    expect(source.at(at('00:00:30')).snapshotMs).toBe(at('00:00:07'));
    expect(source.at(at('00:00:00')).snapshotMs).toBe(at('00:00:07'));
  });

  it('book_model_with_scale_and_no_thinning_keeps_the_band_points', () => {
    const s = raw.find((x) => x.timeMs === at('12:00:07'))!;
    const book = new BookModel(bandedDepthSource(raw), { ...calm, depthScale: 0.5 });
    book.observe(s.timeMs, 120_000);
    for (const b of s.bids) expect(depthWithin(book.curves().bid, b.pct / 100)).toBeCloseTo(b.depth / 2, 9);
  });

  it('phantom_bid_is_detected_at_15_30_42_and_repaired', () => {
    expect(raw.filter(isCrossed).length).toBe(969);
    const { snapshots, stats } = repairPhantomBids(raw);
    expect(stats.firstCorruptMs).toBe(at('15:30:42'));
    expect(stats.phantom?.depth).toBe(17.652);
    expect(stats.phantom?.price).toBeCloseTo(121_363.659, 2);
    expect(stats.crossed).toBe(969);
    expect(stats.repaired).toBeGreaterThanOrEqual(969);
    // Everything before the phantom is kept as published; nothing after it is crossed.
    snapshots.forEach((s, i) => {
      if (s.timeMs < at('15:30:42')) expect(s).toBe(raw[i]);
      else expect(s.repaired).toBe('phantom-bid');
      for (let k = 1; k < s.bids.length; k++)
        expect(s.bids[k]!.depth).toBeGreaterThanOrEqual(s.bids[k - 1]!.depth);
    });
    // The rebuilt bids follow the ask side's thinning in the crash (21:20:06: asks +1 % = 609 BTC).
    const crash = snapshots.find((s) => s.timeMs === at('21:20:06'))!;
    expect(crash.asks[0]!.depth).toBe(609.039);
    expect(crash.bids[0]!.depth).toBeGreaterThan(0);
    expect(crash.bids[0]!.depth).toBeLessThan(1_000);
  });

  it('a_phantom_below_the_price_is_an_ordinary_bid', () => {
    const rows = (t: string, bid: [number, number], ask: [number, number]) => [
      `2025-10-10 ${t},-1,${bid[0]},${bid[0] * bid[1]},${bid[1]}`,
      `2025-10-10 ${t},1,${ask[0]},${ask[0] * ask[1]},${ask[1]}`,
    ];
    const text = [
      'timestamp,percentage,depth,notional,weighted_avg_price',
      ...rows('00:00:00', [50, 99.5], [40, 100.5]), // sound
      ...rows('00:00:30', [10, 110], [40, 100.5]), // crossed: a 10-unit phantom at 110
      ...rows('00:01:00', [60, 101], [40, 102]), // phantom still above the mid (≥ 102 / 1.01)
      ...rows('00:01:30', [70, 119], [40, 120.5]), // price back above 110: an ordinary bid
    ].join('\n');
    const { snapshots, stats } = repairPhantomBids(parseBookDepthSnapshots(text));
    expect(stats.phantom).toEqual({ depth: 10, price: 110 });
    expect(snapshots.map((s) => s.repaired)).toEqual([undefined, 'phantom-bid', 'phantom-bid', undefined]);
    // Rebuilt from the ask side × the clean bid/ask ratio (50 / 40).
    expect(snapshots[1]!.bids[0]!.depth).toBeCloseTo(50, 9);
  });

  it('parses_a_line_with_a_leading_space', () => {
    const text = [
      'timestamp,percentage,depth,notional,weighted_avg_price',
      '2025-10-10 00:00:07,-1,10,1000000,100000',
      ' 2025-10-10 00:00:07,1,12,1212000,101000',
    ].join('\n');
    const [s] = parseBookDepthSnapshots(text);
    expect(s?.bids[0]?.depth).toBe(10);
    expect(s?.asks[0]?.depth).toBe(12);
  });
});

describe('walking the book', () => {
  it('sells_half_of_the_first_percent_at_a_quarter_percent_below_mid', () => {
    const book = new BookModel(parametricDepthSource({ depthPerPct: 100 }));
    book.observe(0, 100_000);
    expect(book.executionPrice('sell', 50, 100_000)).toBeCloseTo(99_750, 6);
    expect(book.executionPrice('buy', 50, 100_000)).toBeCloseTo(100_250, 6);
    const r = book.impact('sell', 50, 100_000);
    expect(r.mid).toBeCloseTo(99_500, 6);
    expect(r.avgPrice).toBeCloseTo(99_750, 6);
    // The next sale starts where the first one left the book.
    expect(book.impact('sell', 50, 100_000).avgPrice).toBeCloseTo(99_250, 6);
  });

  it('room_to_a_displacement_limit', () => {
    const book = new BookModel(parametricDepthSource({ depthPerPct: 100 }), calm);
    book.observe(0, 100_000);
    expect(book.roomTo('sell', 0.02)).toBeCloseTo(200, 9);
    book.impact('sell', 50, 100_000);
    expect(book.roomTo('sell', 0.02)).toBeCloseTo(150, 9);
    expect(book.roomTo('buy', 0.02)).toBeCloseTo(250, 9); // unwind 50, then 200 of asks
    expect(book.roomTo('sell', 0.001)).toBe(0);
    expect(new BookModel(infiniteDepthSource()).roomTo('sell', 0.01)).toBe(Number.POSITIVE_INFINITY);
  });

  it('infinite_book_never_moves', () => {
    const book = new BookModel(infiniteDepthSource());
    book.observe(0, 50_000);
    expect(book.executionPrice('sell', 1e9, 50_000)).toBe(50_000);
    expect(book.impact('sell', 1e6, 50_000)).toEqual({ avgPrice: 50_000, mid: 50_000, displacement: 0 });
    expect(walkIntegral(INFINITE_CURVE, 1e9)).toBe(0);
  });

  it('displacement_decays_at_the_resilience_rate', () => {
    const book = new BookModel(parametricDepthSource({ depthPerPct: 100 }), {
      ...calm,
      resiliencePerMin: 0.5,
    });
    book.observe(0, 100_000);
    book.impact('sell', 100, 100_000); // −1 %
    expect(book.displacement).toBeCloseTo(-0.01, 12);
    book.advance(60_000);
    expect(book.displacement).toBeCloseTo(-0.005, 12);
    book.observe(120_000, 100_000);
    expect(book.displacement).toBeCloseTo(-0.0025, 12);
  });

  it('volatility_thins_the_book_and_opens_a_gap', () => {
    const book = new BookModel(parametricDepthSource({ depthPerPct: 100 }), {
      thinning: { elasticity: 0.5, refVolPerMin: 0.001, windowMin: 5, minFactor: 0.1 },
      gap: { thresholdMultiple: 2, pctPerMultiple: 0.1, maxPct: 1 },
    });
    book.observe(0, 100_000);
    expect(book.state().thinFactor).toBe(1);
    // 2 % swings every 15 s: σ per √minute ≈ 0.04/√5·√(20/…) ≫ σ₀.
    let px = 100_000;
    for (let i = 1; i <= 20; i++) {
      px = i % 2 === 0 ? 100_000 : 98_000;
      book.observe(i * 15_000, px);
    }
    const s = book.state();
    expect(s.thinFactor).toBeLessThan(1);
    expect(s.thinFactor).toBeGreaterThanOrEqual(0.1);
    expect(s.gap).toBeGreaterThan(0);
    // Nothing rests inside the gap: the first unit sold fills at the gap's edge.
    expect(fractionAt(book.curves().bid, 1e-9)).toBeCloseTo(s.gap, 6);
    expect(book.executionPrice('sell', 1e-9, 100_000)).toBeCloseTo(100_000 * (1 - s.gap), 3);
  });

  it('extrapolates_past_the_last_band_and_caps_the_walk', () => {
    const c = curveFromBands([1, 2], [10, 30]);
    expect(depthWithin(c, 0.03)).toBeCloseTo(50, 9);
    expect(fractionAt(c, 50)).toBeCloseTo(0.03, 12);
    expect(fractionAt(c, 1e12)).toBe(0.95);
  });
});

/** Random increasing band depths (some flat: empty bands). */
const curveArb: fc.Arbitrary<DepthCurve> = fc
  .array(fc.double({ min: 0, max: 1_000, noNaN: true }), { minLength: 1, maxLength: 6 })
  .map((inc) => {
    let acc = 0;
    const depths = inc.map((d, i) => (acc += i === 0 ? d + 0.001 : d));
    return curveFromBands(
      depths.map((_, i) => i + 1),
      depths,
    );
  });

describe('impact (properties)', () => {
  test.prop([
    curveArb,
    fc.double({ min: 1e-6, max: 1e4, noNaN: true }),
    fc.double({ min: 1e-6, max: 1e4, noNaN: true }),
  ])('is_monotone_in_size', (bid, a, b) => {
    const [q1, q2] = a <= b ? [a, b] : [b, a];
    const source = { kind: 'parametric' as const, at: () => ({ bid, ask: bid }) };
    const book = new BookModel(source, calm);
    book.observe(0, 100_000);
    const eps = 1e-9 * 100_000;
    // Bigger sales fill lower on average and leave the mid lower; buys the mirror image.
    expect(book.executionPrice('sell', q2, 100_000)).toBeLessThanOrEqual(
      book.executionPrice('sell', q1, 100_000) + eps,
    );
    expect(book.executionPrice('buy', q2, 100_000)).toBeGreaterThanOrEqual(
      book.executionPrice('buy', q1, 100_000) - eps,
    );
    const s1 = book.previewImpact('sell', q1, 100_000);
    const s2 = book.previewImpact('sell', q2, 100_000);
    expect(s2.mid).toBeLessThanOrEqual(s1.mid + eps);
    expect(s2.avgPrice).toBeLessThanOrEqual(s1.avgPrice + eps);
    // The average lies between the new mid and the old one.
    expect(s2.avgPrice).toBeLessThanOrEqual(100_000 + eps);
    expect(s2.avgPrice).toBeGreaterThanOrEqual(s2.mid - eps);
  });

  test.prop([curveArb, fc.double({ min: 1e-3, max: 5e3, noNaN: true })])(
    'walk_integral_is_the_integral_of_the_fill_distance',
    (c, v) => {
      const n = 4000;
      let sum = 0;
      for (let i = 0; i < n; i++) sum += fractionAt(c, ((i + 0.5) / n) * v);
      const numeric = (sum / n) * v;
      // Midpoint rule: exact on linear pieces, off by at most a step's worth at each kink or jump.
      expect(Math.abs(walkIntegral(c, v) - numeric)).toBeLessThanOrEqual((10 * v * 0.95) / n + 1e-9);
    },
  );

  test.prop([curveArb, fc.double({ min: 1e-3, max: 5e3, noNaN: true })])(
    'sales_in_pieces_fill_like_one_sale',
    (bid, q) => {
      const source = { kind: 'parametric' as const, at: () => ({ bid, ask: bid }) };
      const one = new BookModel(source, calm);
      const two = new BookModel(source, calm);
      one.observe(0, 100_000);
      two.observe(0, 100_000);
      const whole = one.impact('sell', q, 100_000);
      const a = two.impact('sell', q / 2, 100_000);
      const b = two.impact('sell', q / 2, 100_000);
      expect(b.mid).toBeCloseTo(whole.mid, 4);
      expect((a.avgPrice + b.avgPrice) / 2).toBeCloseTo(whole.avgPrice, 4);
    },
  );
});
