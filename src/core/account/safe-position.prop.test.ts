/**
 * A position's figures through the safe-integer path (safe-position.ts, taken by
 * positionFiguresAt when the market allows it) against the bigint computation
 * (positionFiguresExact): the same object, key for key and to the unit, on random markets
 * (fixed, bracket and size-premium models, linear and inverse, entry-based requirements, leverage caps, close
 * fees, quote scales 0–18) and random positions, aligned or arbitrary, up to far beyond 2^53.
 * The engine-level check is figures-cache.prop.test.ts and the seeded mixed run. The same
 * comparisons cover `maintenanceNumbers` (the risk book's build: safeMaintenanceOf on sizes and
 * marks given as numbers) against Number() of the bigint requirement.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMarginModel } from '../margin/models.ts';
import type { MarginModelConfig } from '../model/config.ts';
import type { ReadonlyEngineState, ReadonlyMarketState, ReadonlySubaccount } from '../model/state.ts';
import { formatDecimal } from '../num/index.ts';
import {
  maintenanceNumbers,
  positionFiguresAt,
  positionFiguresExact,
  positionRequirement,
  setSafePositionFigures,
} from './figures.ts';
import { safePositionFigures, safeRequirement } from './safe-position.ts';

const big = (maxDigits: number) =>
  fc.oneof(
    // step-/tick-aligned: m·10^j
    fc
      .tuple(fc.bigInt({ min: -9_999_999n, max: 9_999_999n }), fc.integer({ min: 0, max: 14 }))
      .map(([m, j]) => m * 10n ** BigInt(j)),
    fc.bigInt({ min: -(10n ** BigInt(maxDigits)), max: 10n ** BigInt(maxDigits) }),
    fc.bigInt({ min: -(2n ** 53n) - 5n, max: 2n ** 53n + 5n }),
  );

const ppm = fc.bigInt({ min: 0n, max: 1_000_000n });

const marketArb = fc.record({
  qd: fc.constantFrom(0, 2, 6, 8, 9, 17, 18),
  kind: fc.constantFrom('fixed', 'fixed', 'fixed', 'brackets', 'sqrtSize'),
  initial: ppm,
  maintFraction: ppm,
  inverse: fc.constantFrom(false, false, false, true),
  entryBasis: fc.constantFrom(false, false, false, true),
  closeFee: fc.boolean(),
  cap: fc.oneof(
    { arbitrary: fc.constant(null), weight: 4 },
    { arbitrary: fc.bigInt({ min: 1n, max: 200_000_000n }), weight: 1 },
  ),
});

type MarketCase = typeof marketArb extends fc.Arbitrary<infer T> ? T : never;

function setup(m: MarketCase, ladder?: MarginModelConfig) {
  const margin: MarginModelConfig =
    ladder ??
    (m.kind === 'fixed'
      ? { kind: 'fixed', initialRatio: m.initial, maintenance: { fractionOfInitial: m.maintFraction } }
      : m.kind === 'sqrtSize'
        ? {
            kind: 'sqrtSize',
            initialRatio: m.initial,
            maintenance: { fractionOfInitial: m.maintFraction },
            imfFactor: m.maintFraction / 100n,
          }
        : {
            kind: 'brackets',
            brackets: [{ maintenanceRatio: m.initial / 2n, initialRatio: m.initial }] as never,
          });
  const config = {
    id: 'X',
    kind: 'perpetual',
    margin,
    takerFee: 500n,
    ...(m.inverse ? { contractType: 'inverse' as const, contractValue: 100_00000000n } : {}),
    ...(m.entryBasis ? { requirementOn: 'entry' as const } : {}),
    ...(m.closeFee ? { closeFeeInMaintenance: true } : {}),
  };
  const market = {
    config,
    model: createMarginModel(margin, m.qd),
    openInterestQty9: 0n,
    lastFundingRate9: 0n,
  } as unknown as ReadonlyMarketState;
  const state = {
    settlement: { id: 'Q', decimals: m.qd },
    markets: new Map([['X', market]]),
  } as unknown as ReadonlyEngineState;
  const sub = {
    key: 's/0',
    maxLeverage: m.cap === null ? new Map() : new Map([['X', m.cap]]),
  } as unknown as ReadonlySubaccount;
  return { state, market, sub };
}

describe('safe-integer position figures', () => {
  it('equal the bigint figures, key for key', () => {
    let fast = 0;
    let runs = 0;
    fc.assert(
      fc.property(
        marketArb,
        // sizes on a 0.001 step, marks on a 0.01 tick, entries of a realistic magnitude; or anything
        fc
          .oneof(
            {
              arbitrary: fc.bigInt({ min: -1_000_000n, max: 1_000_000n }).map((m) => m * 1_000_000n),
              weight: 3,
            },
            { arbitrary: big(22), weight: 1 },
          )
          .filter((s) => s !== 0n),
        fc.oneof(
          { arbitrary: fc.bigInt({ min: -(10n ** 13n), max: 10n ** 13n }), weight: 3 },
          { arbitrary: big(22), weight: 1 },
        ),
        fc
          .oneof(
            { arbitrary: fc.bigInt({ min: 0n, max: 10_000_000n }).map((t) => t * 1_000_000n), weight: 3 },
            { arbitrary: big(14), weight: 1 },
          )
          .map((x) => (x < 0n ? -x : x)),
        (m, size, entryValue, mark) => {
          const { state, market, sub } = setup(m);
          if (m.inverse && mark === 0n) return; // an inverse market is valued at a positive price
          runs++;
          const p = { market: 'X', size, entryValue };
          const capped = sub.maxLeverage.has('X');
          if (safePositionFigures(market, m.qd, size, entryValue, mark, capped) !== undefined) fast++;
          const cap = sub.maxLeverage.get('X');
          const got = positionFiguresAt(state, market, sub, p, 0n, new Map([['X', mark]]));
          const gotReq = positionRequirement(state, market, size, mark, cap);
          const gotEntryReq = positionRequirement(state, market, size, mark, cap, entryValue);
          const nums = { notional: -1, maintenance: -1 };
          maintenanceNumbers(state, market, size, Number(size), mark, Number(mark), cap, nums);
          setSafePositionFigures(false);
          try {
            const r = positionRequirement(state, market, size, mark, cap);
            expect(nums).toEqual({
              notional: Number(r.notionalQuote),
              maintenance: Number(r.maintenanceQuote),
            });
            const want = positionFiguresExact(state, market, sub, p, 0n, mark);
            expect(Object.keys(got)).toEqual(Object.keys(want));
            expect(got).toEqual(want);
            expect(gotReq).toEqual(positionRequirement(state, market, size, mark, cap));
            expect(gotEntryReq).toEqual(positionRequirement(state, market, size, mark, cap, entryValue));
          } finally {
            setSafePositionFigures(true);
          }
        },
      ),
      { numRuns: 20_000 },
    );
    // the safe path is actually exercised (and declines the rest)
    expect(fast).toBeGreaterThan(runs / 20); // about 12 % of the cases
    expect(fast).toBeLessThan(runs);
  });

  it('declines markets it does not cover', () => {
    const base = {
      qd: 6,
      kind: 'fixed',
      initial: 100_000n,
      maintFraction: 500_000n,
      inverse: false,
      entryBasis: false,
      closeFee: false,
      cap: null,
    };
    const at = (m: typeof base | (typeof base & Record<string, unknown>)) => {
      const { market } = setup(m as never);
      return safePositionFigures(market, m.qd, 2_000_000n, 200_000n, 10_000_000_000n, m.cap !== null);
    };
    expect(at(base)).toEqual({ notional: 200_000, pnl: 0, initial: 20_000, maintenance: 10_000 });
    // one bracket at 10 % / 5 %, as the fixed model
    expect(at({ ...base, kind: 'brackets' })).toEqual({
      notional: 200_000,
      pnl: 0,
      initial: 20_000,
      maintenance: 10_000,
    });
    expect(at({ ...base, inverse: true })).toBeUndefined();
    expect(at({ ...base, entryBasis: true })).toBeUndefined();
    expect(at({ ...base, cap: 5_000_000n } as never)).toBeUndefined();
  });
});

/** A random bracket ladder: 1–5 brackets, caps strictly increasing (near 2^53 too), ratios non-decreasing. */
const ladderArb = fc
  .record({
    n: fc.integer({ min: 1, max: 5 }),
    caps: fc.array(
      fc.oneof(
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        fc.bigInt({ min: 1n, max: 99n }).map((m) => m * 10n ** 10n),
        fc.bigInt({ min: 2n ** 53n - 1_000n, max: 2n ** 53n + 1_000n }),
        fc.bigInt({ min: 1n, max: 10n ** 20n }),
      ),
      { minLength: 5, maxLength: 5 },
    ),
    mm: fc.array(fc.bigInt({ min: 0n, max: 1_000_000n }), { minLength: 5, maxLength: 5 }),
    extra: fc.array(fc.bigInt({ min: 0n, max: 1_000_000n }), { minLength: 5, maxLength: 5 }),
  })
  .map(({ n, caps, mm, extra }) => {
    const sortedCaps = [...new Set(caps)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).slice(0, n - 1);
    const mms = mm.slice(0, sortedCaps.length + 1).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    let im = 0n;
    return {
      caps: sortedCaps,
      brackets: mms.map((r, i) => {
        // initial ≥ maintenance and non-decreasing
        im = r + extra[i]! > im ? r + extra[i]! : im;
        const imr = im > 1_000_000n ? 1_000_000n : im;
        return { mmr: r, imr: imr < r ? r : imr };
      }),
    };
  });

function ladderConfig(
  l: { caps: bigint[]; brackets: { mmr: bigint; imr: bigint }[] },
  qd: number,
): MarginModelConfig {
  return {
    kind: 'brackets',
    brackets: l.brackets.map((b, i) => ({
      maintenanceRatio: b.mmr,
      initialRatio: b.imr,
      ...(i < l.caps.length ? { notionalCap: formatDecimal(l.caps[i]!, qd) } : {}),
    })) as never,
  };
}

/** The requirement on both paths: the safe-integer one (if it answers) against the bigint one. */
function compareRequirement(
  state: ReadonlyEngineState,
  market: ReadonlyMarketState,
  qd: number,
  size: bigint,
  mark: bigint,
): boolean {
  const fast = safeRequirement(market, qd, size, mark, false);
  const answered = fast !== undefined;
  const got = positionRequirement(state, market, size, mark, undefined);
  const nums = { notional: -1, maintenance: -1 };
  maintenanceNumbers(state, market, size, Number(size), mark, Number(mark), undefined, nums);
  setSafePositionFigures(false);
  try {
    const want = positionRequirement(state, market, size, mark, undefined);
    expect(got).toEqual(want);
    expect(nums).toEqual({
      notional: Number(want.notionalQuote),
      maintenance: Number(want.maintenanceQuote),
    });
  } finally {
    setSafePositionFigures(true);
  }
  return answered;
}

const BASE_CASE = {
  qd: 6,
  kind: 'brackets',
  initial: 0n,
  maintFraction: 0n,
  inverse: false,
  entryBasis: false,
  closeFee: false,
  cap: null,
} as const;

describe('safe-integer requirements of bracket and size-premium models', () => {
  it('bracket ladders: equal to the bigint model on and around every cap, and anywhere', () => {
    let fast = 0;
    let runs = 0;
    fc.assert(
      fc.property(
        ladderArb,
        fc.constantFrom(0, 2, 6, 8),
        fc.integer({ min: 0, max: 4 }),
        fc.bigInt({ min: -2n, max: 2n }),
        fc.oneof(fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }), big(20)),
        fc.boolean(),
        (l, qd, which, d, anySize, short) => {
          const { state, market } = setup({ ...BASE_CASE, qd }, ladderConfig(l, qd));
          // at mark 10^(17 − qd) (price 10^(9 − qd)) the notional of size s is exactly |s| / 1e9 × …:
          // ⌈|s| × 10^(17−qd) / 10^(17−qd)⌉ = |s|, so a size of cap + d sits on the cap's edge
          const mark = 10n ** BigInt(17 - qd);
          const cap = l.caps[which];
          const sizes = [anySize, cap !== undefined ? (short ? -(cap + d) : cap + d) : anySize];
          for (const size of sizes) {
            if (size === 0n) continue;
            runs++;
            if (compareRequirement(state, market, qd, size, mark)) fast++;
            if (compareRequirement(state, market, qd, size, 12_345_678_901n)) fast++;
          }
        },
      ),
      { numRuns: 10_000 },
    );
    expect(fast).toBeGreaterThan(runs / 2);
  });

  it('size-premium (sqrtSize) models: equal to the bigint model, sizes up to and beyond 2^52', () => {
    let fast = 0;
    let runs = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(0, 2, 6, 8, 9, 17),
        ppm,
        ppm,
        fc.oneof(fc.bigInt({ min: 0n, max: 10_000n }), ppm, fc.bigInt({ min: 0n, max: 1_000_000_000n })),
        fc.oneof(
          fc.bigInt({ min: -1_000_000n, max: 1_000_000n }).map((m) => m * 1_000_000n),
          fc.bigInt({ min: 2n ** 52n / 10n - 1_000n, max: 2n ** 52n / 10n + 1_000n }),
          // k² − 1, k², k² + 1 around perfect squares of |size| × 10 + 1 (the root's edges)
          fc
            .tuple(fc.bigInt({ min: 1n, max: 67_000_000n }), fc.bigInt({ min: -2n, max: 1n }))
            .map(([k, d]) => (k * k + d - 1n) / 10n),
          big(20),
        ),
        fc.oneof(
          fc.bigInt({ min: 0n, max: 10_000_000n }).map((t) => t * 1_000_000n),
          big(14),
        ),
        (qd, initial, maintFraction, imf, size, mark0) => {
          if (size === 0n) return;
          const mark = mark0 < 0n ? -mark0 : mark0;
          const { state, market } = setup({ ...BASE_CASE, qd }, {
            kind: 'sqrtSize',
            initialRatio: initial,
            maintenance: { fractionOfInitial: maintFraction },
            imfFactor: imf,
          } as MarginModelConfig);
          runs++;
          if (compareRequirement(state, market, qd, size, mark)) fast++;
        },
      ),
      { numRuns: 10_000 },
    );
    expect(fast).toBeGreaterThan(runs / 10); // about a fifth: the rest are beyond the safe range
  });
});
