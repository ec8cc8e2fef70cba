/**
 * Oracle invariants (docs/oracle.md):
 * - INV-ORC-2: when a strict majority of equally weighted sources is honest and fresh
 *   (honest prices agree within maxDeviation), the index is reliable and lies within the
 *   honest sources' range — whatever the others print, and in whatever order they arrive.
 * - INV-ORC-3: rejected inputs are never applied: a run with bad inputs mixed in gives the
 *   same index, mark, TWAP and safe mode as the run without them, and counts every one.
 * - INV-ORC-4: steps are deterministic, and the state survives encode/decode exactly.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDecimal } from '../num/index.ts';
import { decodeOracleState, encodeOracleState } from './codec.ts';
import { type OracleConfig, parseOracleConfigUnsafe } from './config.ts';
import { type OracleOutputs, step } from './oracle.ts';
import { initialOracleState, type OracleState } from './state.ts';

const dec = (v: bigint) => formatDecimal(v, 8);

/** A market of n equal sources with the given thresholds. */
function market(n: number, minSources: number, maxDevPpm: bigint, bandPpm: bigint | null): OracleConfig {
  return parseOracleConfigUnsafe({
    market: 'M',
    sources: Array.from({ length: n }, (_, i) => ({ id: `s${i}`, maxAgeMs: 60_000 })),
    minSources,
    maxDeviation: formatDecimal(maxDevPpm, 6),
    maxPrintDeviation: bandPpm === null ? null : formatDecimal(bandPpm, 6),
  });
}

/** Honest prices within maxDeviation of each other, dishonest ones anywhere (wild or close). */
const scenario = fc
  .record({
    n: fc.integer({ min: 1, max: 9 }),
    maxDevPpm: fc.bigInt({ min: 1_000n, max: 200_000n }),
    bandFactor: fc.option(fc.bigInt({ min: 2n, max: 20n }), { nil: null }),
    base: fc.bigInt({ min: 1_000n, max: 10n ** 15n }),
    seedPrices: fc.array(fc.bigInt({ min: 0n, max: 1_000_000n }), { minLength: 9, maxLength: 9 }),
    bad: fc.array(
      fc.oneof(
        fc.bigInt({ min: 1n, max: 10n ** 17n }), // anywhere
        fc.bigInt({ min: 500_000n, max: 2_000_000n }).map((f) => -f), // factor of base (ppm), close-ish
        fc.bigInt({ min: -3_000n, max: 3_000n }).map((k) => -(10_000_000_000n + k)), // base ± up to 3 × maxDeviation
      ),
      { minLength: 9, maxLength: 9 },
    ),
    order: fc.array(fc.nat(), { minLength: 9, maxLength: 9 }),
    minSourcesPick: fc.nat(),
  })
  .chain((s) =>
    fc
      .record({ honest: fc.integer({ min: Math.floor(s.n / 2) + 1, max: s.n }) })
      .map((h) => ({ ...s, ...h })),
  )
  .map((s) => {
    const honestPrices = s.seedPrices
      .slice(0, s.honest)
      .map((u) => s.base + (s.base * ((u * s.maxDevPpm) / 1_000_000n)) / 1_000_000n);
    const badPrices = s.bad.slice(0, s.n - s.honest).map((b) => {
      if (b >= 0n) return b;
      if (-b >= 9_000_000_000n) {
        // Adversary hugging the honest cluster: base × (1 + k/1000 × maxDeviation), k in [−3000, 3000].
        const k = -b - 10_000_000_000n;
        const p = s.base + (s.base * k * s.maxDevPpm) / 1_000_000_000n;
        return p > 0n ? p : 1n;
      }
      const p = (-b * s.base) / 1_000_000n;
      return p > 0n ? p : 1n;
    });
    const prices = [...honestPrices, ...badPrices];
    // Arrival order: a permutation of the sources driven by `order`.
    const ids = prices.map((_, i) => i).sort((a, b) => s.order[a]! - s.order[b]! || a - b);
    return {
      cfg: market(
        s.n,
        1 + (s.minSourcesPick % s.honest),
        s.maxDevPpm,
        s.bandFactor === null ? null : s.bandFactor * s.maxDevPpm,
      ),
      honestPrices,
      prices,
      arrival: ids,
    };
  });

function within(v: bigint | null, prices: readonly bigint[]): boolean {
  if (v === null) return false;
  let lo = prices[0]!;
  let hi = prices[0]!;
  for (const p of prices) {
    if (p < lo) lo = p;
    if (p > hi) hi = p;
  }
  return v >= lo && v <= hi;
}

describe('INV-ORC-2 honest majority', () => {
  it('one batch: the index is reliable and within the honest range', () => {
    fc.assert(
      fc.property(scenario, ({ cfg, honestPrices, prices }) => {
        const inputs = prices.map((p, i) => ({ source: `s${i}`, price: dec(p), timestampMs: 1_000 }));
        const r = step(cfg, initialOracleState(cfg), { nowMs: 1_000, inputs });
        expect(r.rejections).toEqual([]); // nothing to screen against yet
        expect(r.outputs!.index.reliable).toBe(true);
        expect(within(r.outputs!.index.pricePx8, honestPrices)).toBe(true);
        // Every honest source is used.
        for (let i = 0; i < honestPrices.length; i++) expect(r.outputs!.sources[i]!.used).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('one source at a time, bad ones first or last: honest prints are never refused, index within range', () => {
    fc.assert(
      fc.property(scenario, ({ cfg, honestPrices, prices, arrival }) => {
        let st = initialOracleState(cfg);
        let t = 1_000;
        let out: OracleOutputs | null = null;
        for (const i of arrival) {
          const r = step(cfg, st, {
            nowMs: t,
            inputs: [{ source: `s${i}`, price: dec(prices[i]!), timestampMs: t }],
          });
          if (i < honestPrices.length) expect(r.rejections).toEqual([]);
          st = r.state;
          out = r.outputs;
          t += 1_000;
        }
        expect(out!.index.reliable).toBe(true);
        expect(within(out!.index.pricePx8, honestPrices)).toBe(true);
      }),
      { numRuns: 400 },
    );
  });
});

describe('INV-ORC-1 the index is always a median of used sources', () => {
  it('within the used prices, for any observations', () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 1n, max: 10n ** 16n }), { minLength: 1, maxLength: 8 }),
        fc.bigInt({ min: 1n, max: 1_000_000n }),
        (prices, dev) => {
          const cfg = market(prices.length, 1, dev, null);
          const inputs = prices.map((p, i) => ({ source: `s${i}`, price: dec(p), timestampMs: 0 }));
          const o = step(cfg, initialOracleState(cfg), { nowMs: 0, inputs }).outputs!;
          const used = o.sources.filter((s) => s.used).map((s) => s.pricePx8!);
          if (o.index.reliable) expect(within(o.index.pricePx8, used)).toBe(true);
          else expect(used.length).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});

/** A random walk of valid steps on 3 sources + trades/books, with optional bad inputs mixed in. */
const walk = fc.array(
  fc.record({
    dt: fc.integer({ min: 0, max: 20_000 }),
    moves: fc.array(fc.option(fc.integer({ min: -300, max: 300 }), { nil: null }), {
      minLength: 4,
      maxLength: 4,
    }),
    bad: fc.array(
      fc.constantFrom(
        { source: 's0', price: 'NaN' },
        { source: 's1', price: '0' },
        { source: 's2', price: '-5' },
        { source: 's0', price: 100 },
        { source: 'nobody', price: '100' },
        { source: 's1', price: '100', future: true },
        { source: 's2', price: '100', timestampMs: -1 },
        { kind: 'book', impactBid: '101', impactAsk: '100' },
        null,
      ),
      { maxLength: 3 },
    ),
  }),
  { minLength: 1, maxLength: 40 },
);

const walkConfig = parseOracleConfigUnsafe({
  market: 'M',
  sources: [
    { id: 's0', maxAgeMs: 15_000 },
    { id: 's1', maxAgeMs: 15_000 },
    { id: 's2', maxAgeMs: 15_000 },
  ],
  minSources: 2,
  maxDeviation: '0.02',
  mark: { kind: 'median', emaHalfLifeMs: 30_000, emaIntervalMs: 1_000 },
  twap: { windowMs: 60_000, bucketMs: 10_000 },
  breaker: { maxMovePerInterval: '0.05', intervalMs: 10_000 },
  recovery: { minHealthyMs: 5_000, sourceProbationMs: 2_000 },
});

type Walk = typeof walk extends fc.Arbitrary<infer T> ? T : never;

function runWalk(steps: Walk, withBad: boolean) {
  let st: OracleState = initialOracleState(walkConfig);
  let t = 1_000_000;
  const level = [10_000n, 10_000n, 10_000n, 10_000n]; // in 0.01 units
  const outs: OracleOutputs[] = [];
  let badCount = 0;
  for (const s of steps) {
    t += s.dt;
    const inputs: unknown[] = [];
    s.moves.forEach((m, i) => {
      if (m === null) return;
      level[i] = level[i]! + BigInt(m) > 100n ? level[i]! + BigInt(m) : 100n;
      const price = formatDecimal(level[i]!, 2);
      if (i < 3) inputs.push({ source: `s${i}`, price, timestampMs: t });
      else inputs.push({ kind: 'trade', price, timestampMs: t });
    });
    if (withBad) {
      for (const b of s.bad) {
        badCount++;
        if (b === null) inputs.push(null);
        else if ('future' in b) inputs.push({ source: b.source, price: b.price, timestampMs: t + 10_000 });
        else inputs.push({ timestampMs: t, ...b });
      }
    }
    const r = step(walkConfig, st, { nowMs: t, inputs });
    st = r.state;
    outs.push(r.outputs!);
  }
  return { st, outs, badCount };
}

const priceView = (o: OracleOutputs) => ({
  index: o.index,
  mark: o.mark,
  twap: o.twapPx8,
  breaker: o.breaker,
  safeMode: o.safeMode,
  sources: o.sources,
  transitions: o.transitions,
});

describe('INV-ORC-3 rejected inputs are never applied', () => {
  it('same prices with and without bad inputs; each bad input counted', () => {
    fc.assert(
      fc.property(walk, (steps) => {
        const clean = runWalk(steps, false);
        const dirty = runWalk(steps, true);
        expect(dirty.outs.map(priceView)).toEqual(clean.outs.map(priceView));
        const counted = [...dirty.st.rejections.values()].reduce((a, b) => a + b, 0);
        expect(counted).toBe(dirty.badCount);
      }),
      { numRuns: 200 },
    );
  });
});

describe('INV-ORC-4 determinism and snapshots', () => {
  it('same steps, same state; decode(encode(state)) continues identically', () => {
    fc.assert(
      fc.property(walk, fc.nat(), (steps, cut) => {
        const a = runWalk(steps, true);
        const b = runWalk(steps, true);
        expect(encodeOracleState(a.st)).toBe(encodeOracleState(b.st));
        const json = encodeOracleState(a.st);
        const decoded = decodeOracleState(json);
        expect(encodeOracleState(decoded)).toBe(json);
        expect(decoded).toEqual(a.st);
        // Continue both with one more step.
        const t = (a.st.timeMs ?? 0) + (cut % 30_000);
        const more = { nowMs: t, inputs: [{ source: 's0', price: '100', timestampMs: t }] };
        expect(step(walkConfig, decoded, more)).toEqual(step(walkConfig, a.st, more));
      }),
      { numRuns: 100 },
    );
  });
});
