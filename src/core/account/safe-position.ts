/**
 * A position's value, notional and requirements in safe-integer arithmetic (margin/safe-int.ts),
 * for the common market: linear, a `fixed` margin model, requirements on the mark notional, no
 * add-ons, no leverage cap on the position, no unsettled funding. Everything else, and any
 * figure that would not fit in a safe integer, is left to the bigint computation
 * (figures.ts positionFiguresAt), which this must equal to the unit.
 *
 * Why: the fill's margin checks and the figures cache price a position after every trade; in
 * bigints that is some twenty allocating operations, here none until the four results are
 * turned into bigints. safe-position.prop.test.ts checks it against the bigint computation.
 */
import { fixedRatios } from '../margin/models.ts';
import { mulDivPow10, SAFE_OPERAND } from '../margin/safe-int.ts';
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
  // signedValue(size, mark, 'floor'); safeRequirement checked the operands and the scale
  const value = mulDivPow10(Number(size), Number(mark), 17 - quoteDecimals, 'floor');
  const pnl = value - Number(entryValue);
  if (!Number.isSafeInteger(pnl)) return undefined; // NaN (did not fit) too
  out.pnl = pnl;
  return out;
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
  const cfg = market.config;
  if (
    capped ||
    cfg.contractType === 'inverse' ||
    cfg.option !== undefined ||
    cfg.marginAddOns !== undefined ||
    cfg.requirementOn === 'entry'
  )
    return undefined;
  const model = fixedRatios(market.model);
  if (model === undefined) return undefined;
  // (a fractional or out-of-range scale, a negative mark: the bigint path says what is wrong)
  if (!Number.isInteger(quoteDecimals) || quoteDecimals < 0 || quoteDecimals > 17) return undefined;
  if (mark < 0n || mark >= LIMIT || size >= LIMIT || size <= -LIMIT) return undefined;
  const k = 17 - quoteDecimals; // qty9 × px8 → quote units (margin/notional.ts)
  const s = Number(size);
  // notionalValue(|size|, mark, 'ceil')
  const notional = mulDivPow10(s < 0 ? -s : s, Number(mark), k, 'ceil');
  // the fixed model's ⌈notional × ratio / 1e6⌉ (models.ts ratioOf)
  const initial = mulDivPow10(notional, Number(model.initialPpm), 6, 'ceil');
  const maintenance = mulDivPow10(notional, Number(model.maintenancePpm), 6, 'ceil');
  // NaN (did not fit) fails isSafeInteger too
  if (!Number.isSafeInteger(initial) || !Number.isSafeInteger(maintenance)) return undefined;
  out.notional = notional;
  out.initial = initial;
  out.maintenance = maintenance;
  return out;
}
