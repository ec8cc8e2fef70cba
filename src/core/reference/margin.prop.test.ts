/**
 * Property tests: the fast bigint margin code agrees with the slow big.js
 * reference (exactly, with the documented rounding), and the model invariants
 * hold — brackets MM continuous at every cap and monotone in notional, IM ≥ MM
 * for every model, and the leverage cap never lowers IM nor changes MM.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Bracket,
  type BracketConfig,
  bracketMaintenanceQuote,
  bracketsRequirement,
  compileBrackets,
} from '../margin/brackets.ts';
import { applyLeverageCap } from '../margin/leverage-cap.ts';
import { createMarginModel } from '../margin/models.ts';
import { notionalQuote, signedValueQuote } from '../margin/notional.ts';
import { sizePremiumRatio } from '../margin/size-premium.ts';
import { type MarginModelConfig, MarginModelConfigSchema } from '../model/config.ts';
import { formatDecimal, type Rounding } from '../num/index.ts';
import { D, dec } from './decimal.ts';
import {
  type RefBracket,
  refBracketsRequirement,
  refNotionalQuote,
  refSignedValueQuote,
  refSizePremiumContinuousPpm,
  refSizePremiumRatio,
} from './margin-reference.ts';

const rounding = fc.constantFrom<Rounding>('floor', 'ceil', 'trunc', 'halfEven');
const PPM = 1_000_000n;

describe('notional: fast = reference', () => {
  it('notionalQuote and signedValueQuote, every rounding', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }),
        fc.bigInt({ min: 0n, max: 10n ** 16n }),
        fc.integer({ min: 0, max: 24 }),
        rounding,
        (size, px, qd, r) => {
          expect(notionalQuote(size, px, qd, r)).toBe(refNotionalQuote(size, px, qd, r));
          expect(signedValueQuote(size, px, qd, r)).toBe(refSignedValueQuote(size, px, qd, r));
        },
      ),
      { numRuns: 500 },
    );
  });
});

/** A random valid ladder: caps strictly increasing, ratios non-decreasing, MM ratio ≤ IM ratio. */
const ladderArb = fc
  .record({
    quoteDecimals: fc.integer({ min: 0, max: 8 }),
    firstMmr: fc.bigInt({ min: 0n, max: 100_000n }),
    steps: fc.array(
      fc.record({
        capStep: fc.bigInt({ min: 1n, max: 10n ** 12n }),
        mmrStep: fc.bigInt({ min: 0n, max: 60_000n }),
        imExtra: fc.bigInt({ min: 0n, max: 100_000n }),
      }),
      { minLength: 1, maxLength: 8 },
    ),
  })
  .map(({ quoteDecimals, firstMmr, steps }) => {
    let cap = 0n;
    let mmr = firstMmr;
    let imr = 0n;
    const config: BracketConfig[] = steps.map((s, i) => {
      cap += s.capStep;
      mmr = mmr + s.mmrStep > PPM ? PPM : mmr + s.mmrStep;
      const want = mmr + s.imExtra > PPM ? PPM : mmr + s.imExtra;
      imr = want > imr ? want : imr;
      const last = i === steps.length - 1;
      return {
        notionalCap: last ? undefined : formatDecimal(cap, quoteDecimals),
        maintenanceRatio: mmr,
        initialRatio: imr,
      };
    });
    const ref: RefBracket[] = config.map((c) => ({
      cap: c.notionalCap === undefined ? undefined : new D(c.notionalCap),
      mmr: dec(c.maintenanceRatio, 6),
      imr: dec(c.initialRatio, 6),
    }));
    return { quoteDecimals, brackets: compileBrackets(config, quoteDecimals), ref };
  });

const mmOf = (brackets: readonly Bracket[], n: bigint) => bracketsRequirement(brackets, n).maintenanceQuote;

describe('brackets', () => {
  it('IM and MM: fast = reference (textbook cum recurrence in decimals, rounded up)', () => {
    fc.assert(
      fc.property(
        ladderArb,
        fc.bigInt({ min: 0n, max: 10n ** 14n }),
        ({ quoteDecimals, brackets, ref }, n) => {
          expect(bracketsRequirement(brackets, n)).toEqual(refBracketsRequirement(ref, n, quoteDecimals));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('MM is continuous at every cap: both neighbouring brackets give the same MM there', () => {
    fc.assert(
      fc.property(ladderArb, ({ brackets }) => {
        for (let k = 0; k + 1 < brackets.length; k++) {
          const [lo, hi] = [brackets[k]!, brackets[k + 1]!];
          const cap = lo.capQuote!;
          expect(bracketMaintenanceQuote(cap, lo.maintenanceRatioPpm, lo.maintenanceAmountQuotePpm)).toBe(
            bracketMaintenanceQuote(cap, hi.maintenanceRatioPpm, hi.maintenanceAmountQuotePpm),
          );
        }
      }),
      { numRuns: 300 },
    );
  });

  it('MM is monotone in notional, including across caps', () => {
    fc.assert(
      fc.property(
        ladderArb,
        fc.bigInt({ min: 0n, max: 10n ** 14n }),
        fc.bigInt({ min: 0n, max: 10n ** 14n }),
        ({ brackets }, a, b) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          expect(mmOf(brackets, lo)).toBeLessThanOrEqual(mmOf(brackets, hi));
          for (const br of brackets) {
            if (br.capQuote === undefined) continue;
            const c = br.capQuote;
            expect(mmOf(brackets, c - 1n)).toBeLessThanOrEqual(mmOf(brackets, c));
            expect(mmOf(brackets, c)).toBeLessThanOrEqual(mmOf(brackets, c + 1n));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('size premium', () => {
  it('fast = reference integer formula, at ppm and at Drift precision 1e4', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 24n }),
        fc.bigInt({ min: 0n, max: 10_000_000n }),
        fc.bigInt({ min: 0n, max: 2_000_000n }),
        fc.constantFrom(10_000n, PPM),
        (size, imf, base, precision) => {
          expect(sizePremiumRatio(size, imf, base, precision)).toBe(
            refSizePremiumRatio(size, imf, base, precision),
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('stays within 1 + imf/1e5 ppm of max(base, 0.8·base + imf·√size)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 24n }),
        fc.bigInt({ min: 0n, max: 10_000_000n }),
        fc.bigInt({ min: 0n, max: PPM }),
        (size, imf, base) => {
          const fast = dec(sizePremiumRatio(size, imf, base));
          const bound = dec(imf).div(100_000).plus(1);
          expect(
            fast
              .minus(refSizePremiumContinuousPpm(size, imf, base))
              .abs()
              .lte(bound),
          ).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

/** Random valid configuration of every model kind. */
const ratioArb = fc.bigInt({ min: 0n, max: PPM });
const maintenanceArb = (initial: bigint) =>
  fc.oneof(
    fc.bigInt({ min: 0n, max: initial }).map((r) => ({ ratio: formatDecimal(r, 6) })),
    ratioArb.map((f) => ({ fractionOfInitial: formatDecimal(f, 6) })),
  );
const modelArb: fc.Arbitrary<MarginModelConfig> = fc
  .oneof(
    ratioArb.chain((im) =>
      maintenanceArb(im).map((maintenance) => ({
        kind: 'fixed',
        initialRatio: formatDecimal(im, 6),
        maintenance,
      })),
    ),
    ratioArb.chain((im) =>
      fc
        .record({ maintenance: maintenanceArb(im), imf: fc.bigInt({ min: 0n, max: 10_000_000n }) })
        .map((r) => ({
          kind: 'sqrtSize',
          initialRatio: formatDecimal(im, 6),
          maintenance: r.maintenance,
          imfFactor: formatDecimal(r.imf, 6),
        })),
    ),
    ratioArb.chain((im) =>
      fc
        .record({
          maintenance: maintenanceArb(im),
          lower: fc.bigInt({ min: 0n, max: 10n ** 15n }),
          span: fc.bigInt({ min: 0n, max: 10n ** 15n }),
          disabled: fc.boolean(),
        })
        .map((r) => ({
          kind: 'openInterestScaled',
          initialRatio: formatDecimal(im, 6),
          maintenance: r.maintenance,
          openInterestLowerCap: r.disabled ? '0' : formatDecimal(r.lower, 6),
          openInterestUpperCap: r.disabled ? '0' : formatDecimal(r.lower + r.span, 6),
        })),
    ),
    // the models below are built with quoteDecimals = 6: re-express caps from the ladder's own decimals
    ladderArb
      .filter((l) => l.quoteDecimals <= 6)
      .map(({ quoteDecimals, brackets }) => ({
        kind: 'brackets',
        brackets: brackets.map((b) => ({
          notionalCap:
            b.capQuote === undefined
              ? undefined
              : formatDecimal(b.capQuote * 10n ** BigInt(6 - quoteDecimals), 6),
          maintenanceRatio: formatDecimal(b.maintenanceRatioPpm, 6),
          initialRatio: formatDecimal(b.initialRatioPpm, 6),
        })),
      })),
  )
  .map((input) => MarginModelConfigSchema.parse(input));

const exposureArb = fc.record({
  sizeQty9: fc.bigInt({ min: 0n, max: 10n ** 22n }),
  notionalQuote: fc.bigInt({ min: 0n, max: 10n ** 16n }),
  openInterestQuote: fc.bigInt({ min: 0n, max: 10n ** 16n }),
});

describe('every model', () => {
  it('IM ≥ MM ≥ 0', () => {
    fc.assert(
      fc.property(modelArb, exposureArb, (config, e) => {
        const req = createMarginModel(config, 6).requirement(e, { openInterestQuote: e.openInterestQuote });
        expect(req.maintenanceQuote).toBeGreaterThanOrEqual(0n);
        expect(req.initialQuote).toBeGreaterThanOrEqual(req.maintenanceQuote);
      }),
      { numRuns: 500 },
    );
  });

  it('the leverage cap never lowers IM, never changes MM, and enforces notional / leverage', () => {
    fc.assert(
      fc.property(
        modelArb,
        exposureArb,
        fc.option(fc.bigInt({ min: 1n, max: 200_000_000n }), { nil: undefined }),
        (config, e, lev) => {
          const req = createMarginModel(config, 6).requirement(e, { openInterestQuote: e.openInterestQuote });
          const capped = applyLeverageCap(req, e.notionalQuote, lev);
          expect(capped.maintenanceQuote).toBe(req.maintenanceQuote);
          expect(capped.initialQuote).toBeGreaterThanOrEqual(req.initialQuote);
          if (lev !== undefined) {
            const floor = new D(e.notionalQuote.toString()).times(1_000_000).div(lev.toString()).round(0, 3);
            expect(capped.initialQuote).toBe(
              BigInt(floor.toFixed(0)) > req.initialQuote ? BigInt(floor.toFixed(0)) : req.initialQuote,
            );
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
