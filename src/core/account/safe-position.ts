/**
 * A position's value, notional and requirements in safe-integer arithmetic (margin/safe-int.ts),
 * for the common market: linear, a `fixed`, `brackets` or `sqrtSize` margin model, requirements
 * on the mark notional, no add-ons, no leverage cap on the position, no unsettled funding. Everything else, and any
 * figure that would not fit in a safe integer, is left to the bigint computation
 * (figures.ts positionFiguresAt), which this must equal to the unit.
 *
 * Why: the fill's margin checks and the figures cache price a position after every trade; in
 * bigints that is some twenty allocating operations, here none until the four results are
 * turned into bigints. safe-position.prop.test.ts checks it against the bigint computation.
 */
import { bracketsLadder, fixedRatios, sqrtSizeParams } from '../margin/models.ts';
import { isqrtSafe, mulDivPow10, PPM_PARTS, ppmParts, SAFE_OPERAND } from '../margin/safe-int.ts';
import type { MarginModel } from '../model/margin-model.ts';
import type { ReadonlyMarketState } from '../model/state.ts';

/** The position's figures in quote units (what positionFiguresAt puts in its bigints). */
export interface SafeFigures {
  notional: number;
  /** (safePositionFigures only) */
  pnl: number;
  initial: number;
  maintenance: number;
}

const LIMIT = BigInt(SAFE_OPERAND);
const out: SafeFigures = { notional: 0, pnl: 0, initial: 0, maintenance: 0 };
/** The size and mark safeRequirement last converted to numbers (read at once by safePositionFigures). */
const converted = { size: 0, mark: 0 };

/**
 * The figures of a (non-zero) position of `size` and `entryValue` at `mark`, or undefined when
 * the market is not of the kind this covers or a figure does not fit. The returned object is
 * shared and overwritten by the next call: read it at once.
 */
export function safePositionFigures(
  market: ReadonlyMarketState,
  quoteDecimals: number,
  size: bigint,
  entryValue: bigint,
  mark: bigint,
  capped: boolean,
): SafeFigures | undefined {
  if (entryValue >= LIMIT || entryValue <= -LIMIT) return undefined;
  if (safeRequirement(market, quoteDecimals, size, mark, capped) === undefined) return undefined;
  // signedValue(size, mark, 'floor'); safeRequirement checked the operands and the scale, and left
  // them converted (a bigint's conversion to a number is a runtime call, some 50 ns each)
  const value = mulDivPow10(converted.size, converted.mark, 17 - quoteDecimals, 'floor');
  const pnl = value - Number(entryValue);
  if (!Number.isSafeInteger(pnl)) return undefined; // NaN (did not fit) too
  out.pnl = pnl;
  return out;
}

/**
 * The safe-integer model of a position the fast paths (safeRequirement, safeMaintenanceOf) can
 * price, or undefined where only the bigint path can: a user leverage cap, an inverse or option
 * market, margin add-ons, a requirement on the entry value, a model without a safe form, or a
 * fractional or out-of-range quote scale (the bigint path says what is wrong).
 */
function safeModelFor(
  market: ReadonlyMarketState,
  quoteDecimals: number,
  capped: boolean,
): SafeModel | undefined {
  const cfg = market.config;
  if (
    capped ||
    cfg.contractType === 'inverse' ||
    cfg.option !== undefined ||
    cfg.marginAddOns !== undefined ||
    cfg.requirementOn === 'entry'
  )
    return undefined;
  if (!Number.isInteger(quoteDecimals) || quoteDecimals < 0 || quoteDecimals > 17) return undefined;
  return safeModelOf(market.model);
}

/**
 * positionRequirement's figures (notional, initial, maintenance; `pnl` is not touched) for a
 * position of `size` at `mark`, or undefined as for safePositionFigures. Shared result object.
 */
export function safeRequirement(
  market: ReadonlyMarketState,
  quoteDecimals: number,
  size: bigint,
  mark: bigint,
  capped: boolean,
): SafeFigures | undefined {
  const model = safeModelFor(market, quoteDecimals, capped);
  if (model === undefined) return undefined;
  // (a negative mark: the bigint path says what is wrong)
  if (mark < 0n || mark >= LIMIT || size >= LIMIT || size <= -LIMIT) return undefined;
  const k = 17 - quoteDecimals; // qty9 × px8 → quote units (margin/notional.ts)
  const s0 = Number(size);
  const s = s0 < 0 ? -s0 : s0;
  const px = Number(mark);
  converted.size = s0;
  converted.mark = px;
  // notionalValue(|size|, mark, 'ceil')
  const notional = mulDivPow10(s, px, k, 'ceil');
  if (!Number.isSafeInteger(notional)) return undefined;
  let initial: number;
  let maintenance: number;
  switch (model.kind) {
    case FIXED:
      // the fixed model's ⌈notional × ratio / 1e6⌉ (models.ts ratioOf)
      initial = mulDivPow10(notional, model.initialPpm, 6, 'ceil');
      maintenance = mulDivPow10(notional, model.maintenancePpm, 6, 'ceil');
      break;
    case BRACKETS: {
      // brackets.ts bracketsRequirement: the last bracket whose cap is above the notional (a
      // safe integer against a cap rounded to a double: the comparison is exact, see SafeLadder)
      const caps = model.caps;
      let b = 0;
      while (b < caps.length - 1 && !(notional < caps[b]!)) b++;
      // IM ⌈notional × imr / 1e6⌉; MM max(0, ⌈(notional × mmr − amount) / 1e6⌉) with the amount
      // split as 1e6·amountQ + amountRem: ⌈…⌉ = q − amountQ + (rem > amountRem ? 1 : 0)
      if (!ppmParts(notional, model.initialPpm[b]!)) return undefined;
      initial = PPM_PARTS.rem > 0 ? PPM_PARTS.q + 1 : PPM_PARTS.q;
      const amountQ = model.amountQ[b]!;
      if (!ppmParts(notional, model.maintenancePpm[b]!) || !Number.isSafeInteger(amountQ)) return undefined;
      const mm = PPM_PARTS.q - amountQ + (PPM_PARTS.rem > model.amountRem[b]! ? 1 : 0);
      maintenance = Math.max(mm, 0);
      break;
    }
    case SQRT_SIZE: {
      // size-premium.ts sizePremiumRatio: ⌊√(|size| × 10 + 1)⌋, then each ratio
      // max(base, base − ⌊base / 5⌋ + ⌊√ × imf / 1e5⌋) (ppm precision: 1e11 / 1e6)
      const root = isqrtSafe(s * 10 + 1); // NaN beyond 2^52 (s × 10 + 1 is exact below it)
      const term = root * model.imfFactorPpm;
      if (!Number.isSafeInteger(term)) return undefined;
      const premium = (term - (term % 1e5)) / 1e5;
      const im = premiumRatio(model.initialPpm, premium);
      const mmRatio = premiumRatio(model.maintenancePpm, premium);
      if (!ppmParts(notional, im)) return undefined;
      initial = PPM_PARTS.rem > 0 ? PPM_PARTS.q + 1 : PPM_PARTS.q;
      if (!ppmParts(notional, mmRatio)) return undefined;
      maintenance = PPM_PARTS.rem > 0 ? PPM_PARTS.q + 1 : PPM_PARTS.q;
      break;
    }
  }
  // NaN (did not fit) fails isSafeInteger too
  if (!Number.isSafeInteger(initial) || !Number.isSafeInteger(maintenance)) return undefined;
  out.notional = notional;
  out.initial = initial;
  out.maintenance = maintenance;
  return out;
}

/** max(base, base − ⌊base / 5⌋ + premium), base and premium safe integers ≥ 0 (≤ 2^53 is checked by ppmParts). */
function premiumRatio(base: number, premium: number): number {
  const p = base - (base - (base % 5)) / 5 + premium;
  return Math.max(p, base);
}

const FIXED = 0;
const BRACKETS = 1;
const SQRT_SIZE = 2;

/** A model's parameters as safe-integer numbers (each below 2^53 or the model is not covered). */
type SafeModel =
  | { readonly kind: typeof FIXED; readonly initialPpm: number; readonly maintenancePpm: number }
  | SafeLadder
  | {
      readonly kind: typeof SQRT_SIZE;
      readonly initialPpm: number;
      readonly maintenancePpm: number;
      readonly imfFactorPpm: number;
    };

/**
 * A bracket ladder in numbers. `caps[b]` is Number(cap) (the last is +∞): for a safe-integer
 * notional n, n < Number(cap) exactly when n < cap (a cap beyond 2^53 rounds to ≥ 2^53 > n).
 * A maintenance amount is split as amountQ · 1e6 + amountRem; an amountQ beyond 2^53 is NaN
 * (positions in that bracket take the bigint path).
 */
interface SafeLadder {
  readonly kind: typeof BRACKETS;
  readonly caps: readonly number[];
  readonly initialPpm: readonly number[];
  readonly maintenancePpm: readonly number[];
  readonly amountQ: readonly number[];
  readonly amountRem: readonly number[];
}

const RATIO_LIMIT = 9_000_000_000n; // ppmParts' bound on a ratio
const compiled = new WeakMap<MarginModel, SafeModel | null>();

/** The model's safe-integer form, compiled once per model; undefined when not covered. */
function safeModelOf(model: MarginModel): SafeModel | undefined {
  let m = compiled.get(model);
  if (m === undefined) {
    m = compileSafeModel(model);
    compiled.set(model, m);
  }
  return m ?? undefined;
}

const ratioOk = (r: bigint) => r >= 0n && r <= RATIO_LIMIT;

function compileSafeModel(model: MarginModel): SafeModel | null {
  const fixed = fixedRatios(model);
  if (fixed !== undefined) {
    // mulDivPow10 declines operands beyond 2^52 itself
    if (!ratioOk(fixed.initialPpm) || !ratioOk(fixed.maintenancePpm)) return null;
    return {
      kind: FIXED,
      initialPpm: Number(fixed.initialPpm),
      maintenancePpm: Number(fixed.maintenancePpm),
    };
  }
  const ladder = bracketsLadder(model);
  if (ladder !== undefined) {
    const bs = ladder.brackets;
    if (bs.length === 0) return null;
    for (const b of bs) if (!ratioOk(b.initialRatioPpm) || !ratioOk(b.maintenanceRatioPpm)) return null;
    for (let i = 0; i < bs.length - 1; i++) if (bs[i]!.capQuote === undefined) return null;
    if (bs[bs.length - 1]!.capQuote !== undefined) return null; // (compileBrackets refuses it)
    return {
      kind: BRACKETS,
      caps: bs.map((b) => (b.capQuote === undefined ? Number.POSITIVE_INFINITY : Number(b.capQuote))),
      initialPpm: bs.map((b) => Number(b.initialRatioPpm)),
      maintenancePpm: bs.map((b) => Number(b.maintenanceRatioPpm)),
      amountQ: bs.map((b) => {
        const a = b.maintenanceAmountQuotePpm;
        return a >= 0n && a / 1_000_000n < LIMIT ? Number(a / 1_000_000n) : Number.NaN;
      }),
      amountRem: bs.map((b) =>
        b.maintenanceAmountQuotePpm >= 0n ? Number(b.maintenanceAmountQuotePpm % 1_000_000n) : 0,
      ),
    };
  }
  const sqrt = sqrtSizeParams(model);
  if (sqrt !== undefined) {
    // ratios of at most 1e9 keep base + premium, and the premium's product, small (checked anyway)
    const small = (r: bigint) => r >= 0n && r <= 1_000_000_000n;
    if (!small(sqrt.initialPpm) || !small(sqrt.maintenancePpm) || !small(sqrt.imfFactorPpm)) return null;
    return {
      kind: SQRT_SIZE,
      initialPpm: Number(sqrt.initialPpm),
      maintenancePpm: Number(sqrt.maintenancePpm),
      imfFactorPpm: Number(sqrt.imfFactorPpm),
    };
  }
  return null;
}

/**
 * safeRequirement's notional and maintenance, written to `out`, for a position of `size` (qty9)
 * at `mark` (px8) given as numbers — Number() of the bigints — so a caller pricing many
 * positions converts each size and mark once: the risk book's build (riskbook `addSlot`) prices
 * every position at its market's mark and, on a bracket market, at the mark × (1 + band) too.
 * False (`out` untouched) where safeRequirement returns undefined for the maintenance's sake;
 * the initial requirement is not computed, so a position whose initial alone does not fit is
 * still answered (its maintenance is exact all the same). Same arithmetic as safeRequirement;
 * safe-position.prop.test.ts checks both against the bigint computation.
 */
export function safeMaintenanceOf(
  market: ReadonlyMarketState,
  quoteDecimals: number,
  size: number,
  mark: number,
  capped: boolean,
  out: { notional: number; maintenance: number },
): boolean {
  const model = safeModelFor(market, quoteDecimals, capped);
  if (model === undefined) return false;
  // Number() of an integer bigint is ≥ 2^52 exactly when the bigint is (2^52 is a double and the
  // conversion is monotonic), so these are safeRequirement's bounds on the bigints
  if (!(mark >= 0 && mark < SAFE_OPERAND && size < SAFE_OPERAND && size > -SAFE_OPERAND)) return false;
  const k = 17 - quoteDecimals;
  const s = size < 0 ? -size : size;
  const notional = mulDivPow10(s, mark, k, 'ceil');
  if (!Number.isSafeInteger(notional)) return false;
  let maintenance: number;
  switch (model.kind) {
    case FIXED:
      maintenance = mulDivPow10(notional, model.maintenancePpm, 6, 'ceil');
      break;
    case BRACKETS: {
      const caps = model.caps;
      let b = 0;
      while (b < caps.length - 1 && !(notional < caps[b]!)) b++;
      const amountQ = model.amountQ[b]!;
      if (!ppmParts(notional, model.maintenancePpm[b]!) || !Number.isSafeInteger(amountQ)) return false;
      const mm = PPM_PARTS.q - amountQ + (PPM_PARTS.rem > model.amountRem[b]! ? 1 : 0);
      maintenance = Math.max(mm, 0);
      break;
    }
    case SQRT_SIZE: {
      const root = isqrtSafe(s * 10 + 1);
      const term = root * model.imfFactorPpm;
      if (!Number.isSafeInteger(term)) return false;
      const premium = (term - (term % 1e5)) / 1e5;
      if (!ppmParts(notional, premiumRatio(model.maintenancePpm, premium))) return false;
      maintenance = PPM_PARTS.rem > 0 ? PPM_PARTS.q + 1 : PPM_PARTS.q;
      break;
    }
  }
  if (!Number.isSafeInteger(maintenance)) return false;
  out.notional = notional;
  out.maintenance = maintenance;
  return true;
}
