/**
 * Tiered ("bracket") margin, as Binance USDⓈ-M futures publish it.
 *
 * A ladder of brackets by position notional; bracket b covers
 * floor_b ≤ notional < cap_b (floor_0 = 0, floor_b = cap_{b−1}, the last bracket
 * has no cap). This is how Binance assigns a notional that sits exactly on a
 * boundary: it belongs to the higher bracket.
 *
 *     MM = notional × mmr_b − maintenanceAmount_b        IM = notional × imr_b
 *
 * The maintenance amount (Binance "cum") makes MM continuous across brackets:
 *
 *     amount_0 = 0,   amount_b = amount_{b−1} + cap_{b−1} × (mmr_b − mmr_{b−1})
 *
 * so at notional = cap_{b−1} both brackets give the same MM. Amounts are kept
 * exactly, in quote units × 1e6 ("quote·ppm", the natural scale of cap × ratio),
 * so continuity holds to the unit even when cap × Δratio is not a whole quote
 * unit; the MM is rounded (up) once, at the end. IM jumps at a cap (Binance's
 * max leverage is per bracket), MM does not.
 */
import type { MarginModelConfig } from '../model/config.ts';
import type { MarginRequirement } from '../model/margin-model.ts';
import { divRound, formatDecimal, InvariantError, PPM, parseDecimal } from '../num/index.ts';
import { MarginConfigError } from './errors.ts';

/** One bracket as configured (`brackets` model of MarginModelConfigSchema). */
export type BracketConfig = Extract<MarginModelConfig, { kind: 'brackets' }>['brackets'][number];

/** A bracket's shape needed to derive maintenance amounts. */
export interface BracketStep {
  /** Exclusive upper notional bound, quote units; undefined for the last bracket. */
  readonly capQuote: bigint | undefined;
  /** Maintenance margin ratio, ppm. */
  readonly maintenanceRatioPpm: bigint;
}

/** A validated bracket, ready to price a notional. */
export interface Bracket extends BracketStep {
  /** Inclusive lower notional bound, quote units (the previous bracket's cap; 0 for the first). */
  readonly floorQuote: bigint;
  /** Initial margin ratio, ppm. */
  readonly initialRatioPpm: bigint;
  /** Maintenance amount ("cum"), quote units × 1e6 (exact). */
  readonly maintenanceAmountQuotePpm: bigint;
}

/**
 * One step of the maintenance-amount recurrence (Binance's published rule):
 * amount_b = amount_{b−1} + floor_b × (mmr_b − mmr_{b−1}). Unit-agnostic: the
 * amount comes out in the floor's units × 1e6 (the ratios are ppm).
 *
 * @param prevAmountScaled previous bracket's amount, (floor units) × 1e6
 * @param floor this bracket's lower bound (= previous cap), in any amount unit
 * @param prevMaintenanceRatioPpm previous bracket's maintenance ratio, ppm
 * @param maintenanceRatioPpm this bracket's maintenance ratio, ppm
 * @example bracketMaintenanceAmountStep(0n, 50_000n, 4_000n, 5_000n) // 50_000_000n (= 50 × 1e6)
 */
export function bracketMaintenanceAmountStep(
  prevAmountScaled: bigint,
  floor: bigint,
  prevMaintenanceRatioPpm: bigint,
  maintenanceRatioPpm: bigint,
): bigint {
  return prevAmountScaled + floor * (maintenanceRatioPpm - prevMaintenanceRatioPpm);
}

/**
 * Maintenance amounts that make MM continuous across the ladder.
 *
 * @param steps brackets in order (caps in quote units, ratios ppm)
 * @returns amount per bracket, quote units × 1e6 (exact; amount_0 = 0)
 * @example bracketMaintenanceAmounts([{ capQuote: 50_000n, maintenanceRatioPpm: 4_000n },
 *   { capQuote: undefined, maintenanceRatioPpm: 5_000n }]) // [0n, 50_000_000n]
 */
export function bracketMaintenanceAmounts(steps: readonly BracketStep[]): bigint[] {
  const out: bigint[] = [];
  let amount = 0n;
  for (let b = 0; b < steps.length; b++) {
    const step = steps[b]!;
    if (b > 0) {
      const prev = steps[b - 1]!;
      if (prev.capQuote === undefined)
        throw new InvariantError(`bracket ${b - 1} has no cap but is not last`);
      amount = bracketMaintenanceAmountStep(
        amount,
        prev.capQuote,
        prev.maintenanceRatioPpm,
        step.maintenanceRatioPpm,
      );
    }
    out.push(amount);
  }
  return out;
}

/**
 * MM of a notional in a bracket: max(0, ⌈(notional × mmr − amount) / 1e6⌉).
 *
 * @param notionalQuote position notional, quote units (≥ 0)
 * @param maintenanceRatioPpm the bracket's maintenance ratio, ppm
 * @param maintenanceAmountQuotePpm the bracket's amount, quote units × 1e6
 * @returns maintenance margin, quote units, rounded up
 */
export function bracketMaintenanceQuote(
  notionalQuote: bigint,
  maintenanceRatioPpm: bigint,
  maintenanceAmountQuotePpm: bigint,
): bigint {
  const mm = divRound(notionalQuote * maintenanceRatioPpm - maintenanceAmountQuotePpm, PPM, 'ceil');
  return mm > 0n ? mm : 0n;
}

/**
 * The bracket holding a notional: the last one whose floor ≤ notional.
 *
 * @param brackets validated ladder (see compileBrackets)
 * @param notionalQuote position notional, quote units
 */
export function bracketFor(brackets: readonly Bracket[], notionalQuote: bigint): Bracket {
  for (const b of brackets) {
    if (b.capQuote === undefined || notionalQuote < b.capQuote) return b;
  }
  throw new InvariantError('bracket ladder has no open-ended last bracket');
}

/**
 * IM and MM of a notional on a ladder (both rounded up).
 *
 * @param brackets validated ladder
 * @param notionalQuote position notional, quote units (≥ 0)
 */
export function bracketsRequirement(brackets: readonly Bracket[], notionalQuote: bigint): MarginRequirement {
  const b = bracketFor(brackets, notionalQuote);
  return {
    initialQuote: divRound(notionalQuote * b.initialRatioPpm, PPM, 'ceil'),
    maintenanceQuote: bracketMaintenanceQuote(
      notionalQuote,
      b.maintenanceRatioPpm,
      b.maintenanceAmountQuotePpm,
    ),
  };
}

function parseAt(text: string, decimals: number, field: string): bigint {
  const r = parseDecimal(text, decimals);
  if (!r.ok) throw new MarginConfigError(field, `${JSON.stringify(text)}: ${r.issue.reason}`);
  return r.value;
}

/**
 * Validates a configured ladder and derives its maintenance amounts.
 * Refuses: a missing cap before the last bracket, a cap on the last, caps not
 * strictly increasing (or ≤ 0), ratios decreasing from one bracket to the next,
 * maintenance ratio above initial, and a published maintenance amount that
 * differs from the derived one (a ladder with a discontinuous MM).
 *
 * @param config brackets as parsed by MarginModelConfigSchema (caps and amounts are decimal strings in quote)
 * @param quoteDecimals decimals of the quote asset's smallest unit
 * @throws MarginConfigError
 */
export function compileBrackets(config: readonly BracketConfig[], quoteDecimals: number): Bracket[] {
  if (config.length === 0) throw new MarginConfigError('brackets', 'at least one bracket is required');
  const steps: BracketStep[] = config.map((c, i) => {
    const field = `brackets[${i}]`;
    const last = i === config.length - 1;
    if (last && c.notionalCap !== undefined) {
      throw new MarginConfigError(
        `${field}.notionalCap`,
        'the last bracket must have no cap (it is open-ended)',
      );
    }
    if (!last && c.notionalCap === undefined) {
      throw new MarginConfigError(`${field}.notionalCap`, 'every bracket but the last needs a cap');
    }
    const capQuote =
      c.notionalCap === undefined ? undefined : parseAt(c.notionalCap, quoteDecimals, `${field}.notionalCap`);
    if (c.maintenanceRatio > c.initialRatio) {
      throw new MarginConfigError(`${field}.maintenanceRatio`, 'must not exceed initialRatio');
    }
    if (i > 0) {
      const prev = config[i - 1]!;
      if (c.maintenanceRatio < prev.maintenanceRatio) {
        throw new MarginConfigError(
          `${field}.maintenanceRatio`,
          'ratios must be non-decreasing across brackets',
        );
      }
      if (c.initialRatio < prev.initialRatio) {
        throw new MarginConfigError(`${field}.initialRatio`, 'ratios must be non-decreasing across brackets');
      }
    }
    return { capQuote, maintenanceRatioPpm: c.maintenanceRatio };
  });
  let prevCap = 0n;
  steps.forEach((s, i) => {
    if (s.capQuote === undefined) return;
    if (s.capQuote <= prevCap) {
      throw new MarginConfigError(
        `brackets[${i}].notionalCap`,
        'caps must be positive and strictly increasing',
      );
    }
    prevCap = s.capQuote;
  });
  const amounts = bracketMaintenanceAmounts(steps);
  return config.map((c, i) => {
    const derived = amounts[i]!;
    if (c.maintenanceAmount !== undefined) {
      const given = parseAt(c.maintenanceAmount, quoteDecimals + 6, `brackets[${i}].maintenanceAmount`);
      if (given !== derived) {
        throw new MarginConfigError(
          `brackets[${i}].maintenanceAmount`,
          `${c.maintenanceAmount} breaks MM continuity; the ladder implies ${formatDecimal(derived, quoteDecimals + 6)}`,
        );
      }
    }
    return {
      capQuote: steps[i]!.capQuote,
      floorQuote: i === 0 ? 0n : steps[i - 1]!.capQuote!,
      maintenanceRatioPpm: c.maintenanceRatio,
      initialRatioPpm: c.initialRatio,
      maintenanceAmountQuotePpm: derived,
    };
  });
}
