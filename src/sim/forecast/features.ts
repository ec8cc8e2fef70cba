/**
 * Real-time features of the next hour's volatility, each stamped with the time of the newest
 * data it read, so that a walk-forward split can *prove* it used nothing from the future.
 *
 * For the bar i being forecast (it opens at t_i = bars[i].openSec), only bars 0..i-1 (closed at
 * or before t_i) and funding points published at or before t_i may be read:
 *
 *   pk(b)      Parkinson variance of bar b: ln(high/low)² / (4 ln 2) (Parkinson 1980, J. Business
 *              53(1) p. 61) — an intrabar realized-variance proxy, ~5× as efficient as r².
 *   lnPk1      ln pk(i-1)
 *   lnPk6/24/168  ln of the mean pk over the last 6 / 24 / 168 bars (HAR-like horizons)
 *   r1, r24    log return of the last bar and of the last 24 bars
 *   lnVolRatio ln(volume(i-1) / mean volume of the last 24 bars)
 *   funding    the latest funding rate published at or before t_i (0 when none yet)
 *
 * The histories in the repository carry no open interest, basis, liquidation flow or
 * order-book depth at an hourly grain for these years, so those features are not built here.
 */
import type { Bar, FundingPoint } from './bars.ts';

export const FEATURE_NAMES = [
  'lnPk1',
  'lnPk6',
  'lnPk24',
  'lnPk168',
  'r1',
  'r24',
  'lnVolRatio',
  'funding',
] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];

/** Bars needed before the first forecastable bar. */
export const FEATURE_LOOKBACK = 168;

const PK_FLOOR = 1e-10;

export interface FeatureRow {
  /** The forecast time: the open of the bar being forecast (Unix seconds). */
  readonly forecastSec: number;
  readonly values: readonly number[];
  /** Per feature, the time (Unix s) at which the newest input it read became known. */
  readonly asOfSec: readonly number[];
}

export class LookAheadError extends Error {
  override name = 'LookAheadError';
}

/** Parkinson variance of one bar (floored so its log is finite on a flat bar). */
export function parkinsonVariance(bar: Pick<Bar, 'high' | 'low'>): number {
  const l = Math.log(bar.high / bar.low);
  return Math.max(PK_FLOOR, (l * l) / (4 * Math.LN2));
}

/** The latest funding point with timeSec ≤ t (binary search), or undefined. */
export function fundingAt(funding: readonly FundingPoint[], t: number): FundingPoint | undefined {
  let lo = 0;
  let hi = funding.length - 1;
  let best: FundingPoint | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (funding[mid]!.timeSec <= t) {
      best = funding[mid];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best;
}

/** Features for forecasting bar i from bars before it (i ≥ FEATURE_LOOKBACK). */
export function featuresAt(
  bars: readonly Bar[],
  i: number,
  funding: readonly FundingPoint[] = [],
  stepSec = 3600,
): FeatureRow {
  if (!(Number.isInteger(i) && i >= FEATURE_LOOKBACK && i <= bars.length))
    throw new RangeError(`featuresAt: need ${FEATURE_LOOKBACK} <= i <= ${bars.length}, got ${i}`);
  const t = i < bars.length ? bars[i]!.openSec : bars[i - 1]!.openSec + stepSec;
  const closedAt = (b: number) => bars[b]!.openSec + stepSec;
  const meanPk = (k: number) => {
    let s = 0;
    for (let b = i - k; b < i; b++) s += parkinsonVariance(bars[b]!);
    return s / k;
  };
  let vol24 = 0;
  for (let b = i - 24; b < i; b++) vol24 += bars[b]!.volume;
  vol24 /= 24;
  const last = bars[i - 1]!;
  const f = fundingAt(funding, t);
  const values = [
    Math.log(parkinsonVariance(last)),
    Math.log(meanPk(6)),
    Math.log(meanPk(24)),
    Math.log(meanPk(168)),
    Math.log(last.close / bars[i - 2]!.close),
    Math.log(last.close / bars[i - 25]!.close),
    vol24 > 0 && last.volume > 0 ? Math.log(last.volume / vol24) : 0,
    f?.rate ?? 0,
  ];
  const barsAsOf = closedAt(i - 1);
  const asOfSec = FEATURE_NAMES.map((n) => (n === 'funding' ? (f?.timeSec ?? 0) : barsAsOf));
  return { forecastSec: t, values, asOfSec };
}

/**
 * Throws LookAheadError naming the feature if any feature's input time is after its
 * forecast time. Every training and test row passes through this check.
 */
export function assertNoLookAhead(
  rows: readonly FeatureRow[],
  names: readonly string[] = FEATURE_NAMES,
): void {
  for (const row of rows)
    row.asOfSec.forEach((s, k) => {
      if (!(s <= row.forecastSec))
        throw new LookAheadError(
          `feature ${names[k] ?? k} of the forecast at ${row.forecastSec} reads data from ${s} (the future)`,
        );
    });
}
