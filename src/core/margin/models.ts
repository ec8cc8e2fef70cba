/**
 * Margin models: compile a validated `MarginModelConfig` into a `MarginModel`
 * (the port in ./model.ts). Every requirement is in quote units (the settlement
 * asset's smallest unit, 10^-quoteDecimals) and rounded UP.
 *
 * | kind               | IM                                  | MM                          | after             |
 * |--------------------|-------------------------------------|-----------------------------|-------------------|
 * | fixed              | notional × initialRatio             | notional × mmRatio          | —                 |
 * | brackets           | notional × imr_b                    | notional × mmr_b − amount_b | Binance USDⓈ-M    |
 * | sqrtSize           | notional × premium(size, initial)   | notional × premium(size, mm)| Drift protocol-v2 |
 * | openInterestScaled | min(notional, notional × IMF(OI))   | notional × mmRatio          | dYdX v4           |
 *
 * mmRatio is `maintenance.ratio`, or ⌊initialRatio × fractionOfInitial⌋ (ppm).
 * Every model checks at compile time that its MM ratio never exceeds its IM
 * ratio, so IM ≥ MM holds for every exposure. A leverage cap (applyLeverageCap)
 * is applied by the caller on top.
 */
import type { MarginModelConfig } from '../model/config.ts';
import type {
  MarginModel,
  MarginRequirement,
  MarketContext,
  PositionExposure,
} from '../model/margin-model.ts';
import { divRound, PPM, parseDecimal } from '../num/index.ts';
import { type Bracket, bracketsRequirement, compileBrackets } from './brackets.ts';
import { MarginConfigError } from './errors.ts';
import { oiScaledInitialMarginQuote } from './open-interest.ts';
import { resolveMaintenancePpm } from './ratios.ts';
import { sizePremiumRatio } from './size-premium.ts';

export {
  type Bracket,
  type BracketConfig,
  type BracketStep,
  bracketFor,
  bracketMaintenanceAmountStep,
  bracketMaintenanceAmounts,
  bracketMaintenanceQuote,
  bracketsRequirement,
  compileBrackets,
} from './brackets.ts';
export { MarginConfigError } from './errors.ts';
export { applyLeverageCap } from './leverage-cap.ts';
export { oiAdjustedInitialPpm, oiScaledInitialMarginQuote } from './open-interest.ts';
export { type MaintenanceConfig, maintenanceFractionPpm, resolveMaintenancePpm } from './ratios.ts';
export { IMF_PRECISION, sizePremiumRatio, sizeSqrt1e5 } from './size-premium.ts';

/** ⌈notional × ratio / 1e6⌉ — a requirement from a ppm ratio. */
function ratioOf(notionalQuote: bigint, ratioPpm: bigint): bigint {
  return divRound(notionalQuote * ratioPpm, PPM, 'ceil');
}

function checkMaintenance(mmPpm: bigint, imPpm: bigint): void {
  if (mmPpm > imPpm)
    throw new MarginConfigError('maintenance', `maintenance ratio ${mmPpm} ppm exceeds initial ${imPpm} ppm`);
}

function parseQuote(text: string, quoteDecimals: number, field: string): bigint {
  const r = parseDecimal(text, quoteDecimals);
  if (!r.ok) throw new MarginConfigError(field, `${JSON.stringify(text)}: ${r.issue.reason}`);
  if (r.value < 0n) throw new MarginConfigError(field, 'must not be negative');
  return r.value;
}

/** A `fixed` model, with the constant ratios its requirement applies. */
export interface FixedMarginModel extends MarginModel {
  readonly kind: 'fixed';
  /** IM = ⌈notional × initialPpm / 1e6⌉, MM = ⌈notional × maintenancePpm / 1e6⌉. */
  readonly initialPpm: bigint;
  readonly maintenancePpm: bigint;
}

/** The model's constant ratios when it is a `fixed` one (account/safe-position.ts computes with them). */
export function fixedRatios(model: MarginModel): FixedMarginModel | undefined {
  return model.kind === 'fixed' && 'initialPpm' in model ? (model as FixedMarginModel) : undefined;
}

/** Constant ratios. */
function fixedModel(initialPpm: bigint, maintenancePpm: bigint): FixedMarginModel {
  checkMaintenance(maintenancePpm, initialPpm);
  return {
    kind: 'fixed',
    initialPpm,
    maintenancePpm,
    requirement: (e: PositionExposure): MarginRequirement => ({
      initialQuote: ratioOf(e.notionalQuote, initialPpm),
      maintenanceQuote: ratioOf(e.notionalQuote, maintenancePpm),
    }),
  };
}

/** A `brackets` model, with its ladder. */
export interface BracketsMarginModel extends MarginModel {
  readonly kind: 'brackets';
  readonly brackets: readonly Bracket[];
}

/** A `sqrtSize` model, with the ratios and IMF factor its size premium applies. */
export interface SqrtSizeMarginModel extends MarginModel {
  readonly kind: 'sqrtSize';
  readonly initialPpm: bigint;
  readonly maintenancePpm: bigint;
  readonly imfFactorPpm: bigint;
}

/** The model's ladder when it is a `brackets` one (account/safe-position.ts computes with it). */
export function bracketsLadder(model: MarginModel): BracketsMarginModel | undefined {
  return model.kind === 'brackets' && 'brackets' in model ? (model as BracketsMarginModel) : undefined;
}

/** The model's parameters when it is a `sqrtSize` one (account/safe-position.ts computes with them). */
export function sqrtSizeParams(model: MarginModel): SqrtSizeMarginModel | undefined {
  return model.kind === 'sqrtSize' && 'imfFactorPpm' in model ? (model as SqrtSizeMarginModel) : undefined;
}

function bracketsModel(brackets: readonly Bracket[]): BracketsMarginModel {
  return {
    kind: 'brackets',
    brackets,
    requirement: (e: PositionExposure) => bracketsRequirement(brackets, e.notionalQuote),
  };
}

/** Drift's size premium on both ratios (size = |position| in qty9). */
function sqrtSizeModel(
  initialPpm: bigint,
  maintenancePpm: bigint,
  imfFactorPpm: bigint,
): SqrtSizeMarginModel {
  checkMaintenance(maintenancePpm, initialPpm);
  return {
    kind: 'sqrtSize',
    initialPpm,
    maintenancePpm,
    imfFactorPpm,
    requirement: (e: PositionExposure): MarginRequirement => ({
      initialQuote: ratioOf(e.notionalQuote, sizePremiumRatio(e.sizeQty9, imfFactorPpm, initialPpm)),
      maintenanceQuote: ratioOf(e.notionalQuote, sizePremiumRatio(e.sizeQty9, imfFactorPpm, maintenancePpm)),
    }),
  };
}

/** dYdX's open-interest-scaled IMF; MM from the base initial ratio. */
function openInterestModel(
  initialPpm: bigint,
  maintenancePpm: bigint,
  lower: bigint,
  upper: bigint,
): MarginModel {
  checkMaintenance(maintenancePpm, initialPpm);
  if (upper === 0n && lower !== 0n) {
    throw new MarginConfigError('openInterestUpperCap', 'is 0 (scaling disabled) but the lower cap is not');
  }
  if (lower > upper)
    throw new MarginConfigError('openInterestLowerCap', 'must not exceed openInterestUpperCap');
  return {
    kind: 'openInterestScaled',
    requirement: (e: PositionExposure, m: MarketContext): MarginRequirement => ({
      initialQuote: oiScaledInitialMarginQuote(
        e.notionalQuote,
        initialPpm,
        m.openInterestQuote,
        lower,
        upper,
      ),
      maintenanceQuote: ratioOf(e.notionalQuote, maintenancePpm),
    }),
  };
}

/**
 * Builds the margin model a market's configuration describes.
 *
 * @param config parsed `MarginModelConfigSchema` output (ratios in ppm; caps and amounts decimal strings in quote)
 * @param quoteDecimals decimals of the quote (settlement) asset's smallest unit, e.g. 6
 * @throws MarginConfigError when the configuration is inconsistent
 * @example
 *   const model = createMarginModel(MarginModelConfigSchema.parse({ kind: 'fixed', initialRatio: '0.1',
 *     maintenance: { fractionOfInitial: '0.5' } }), 6);
 *   model.requirement({ sizeQty9: 10n ** 9n, notionalQuote: 50_000_000000n }, { openInterestQuote: 0n });
 *   // { initialQuote: 5_000_000000n, maintenanceQuote: 2_500_000000n }
 */
export function createMarginModel(config: MarginModelConfig, quoteDecimals: number): MarginModel {
  if (!Number.isInteger(quoteDecimals) || quoteDecimals < 0 || quoteDecimals > 30) {
    throw new MarginConfigError('quoteDecimals', `must be an integer in [0, 30], got ${quoteDecimals}`);
  }
  switch (config.kind) {
    case 'fixed':
      return fixedModel(config.initialRatio, resolveMaintenancePpm(config.maintenance, config.initialRatio));
    case 'brackets':
      return bracketsModel(compileBrackets(config.brackets, quoteDecimals));
    case 'sqrtSize':
      return sqrtSizeModel(
        config.initialRatio,
        resolveMaintenancePpm(config.maintenance, config.initialRatio),
        config.imfFactor,
      );
    case 'standardOption':
      // Option requirements need the underlying's and the option's marks: figures.ts computes
      // them with option-margin.ts. This model only names the kind.
      return {
        kind: 'standardOption',
        requirement() {
          throw new MarginConfigError('kind', 'standardOption is evaluated with the underlying price');
        },
      };
    case 'openInterestScaled':
      return openInterestModel(
        config.initialRatio,
        resolveMaintenancePpm(config.maintenance, config.initialRatio),
        parseQuote(config.openInterestLowerCap, quoteDecimals, 'openInterestLowerCap'),
        parseQuote(config.openInterestUpperCap, quoteDecimals, 'openInterestUpperCap'),
      );
  }
}
