/**
 * Mark price estimators.
 *
 * The premium is how far the market itself trades from the index, as a fraction
 * at 9 decimals (1e9 = 100%):
 * - from a fresh book snapshot (Binance's premium index):
 *     premium = (max(0, impactBid − index) − max(0, index − impactAsk)) / index
 *   so it is zero while the index lies inside [impactBid, impactAsk];
 * - else from a fresh last trade: premium = (trade − index) / index;
 * - else the sample is 0: without evidence of a premium the basis decays toward zero
 *   with the configured half-life, so the mark converges to the index instead of
 *   keeping a premium nobody observes any more (before the first real sample the EMA
 *   stays empty: no basis at all).
 * Its EMA takes one sample per emaIntervalMs (the first evaluation in a new interval);
 * n intervals after the previous update:  ema ← sample + (ema − sample) · d^n, where
 * d = 2^(−interval/halfLife) (decay.ts). All divisions round half-even: the mark is
 * used for both sides, so it leans neither way.
 *
 * Estimators (config.mark.kind):
 * - `index`:            mark = index;
 * - `index_plus_basis`: mark = index + index × ema / 1e9;
 * - `median`:           mark = median of { index + basis, book mid (fresh), last trade (fresh) },
 *                       the mean of two when only two are available.
 * No index → no candidate: the mark is held (oracle.ts).
 */
import { divRound, mulDiv } from '../num/index.ts';
import type { MarkConfig } from './config.ts';
import { ONE18, powFrac18 } from './decay.ts';
import { median } from './median.ts';
import type { OracleState, PremiumState } from './state.ts';

/** Premium scale: 9 decimals, 1e9 = 100%. */
export const PREMIUM_ONE = 1_000_000_000n;

type MarketInputs = Pick<OracleState, 'book' | 'lastTrade'>;

function fresh(timeMs: number, nowMs: number, maxAgeMs: number): boolean {
  return nowMs - timeMs <= maxAgeMs;
}

/**
 * One premium sample (9 decimals), or null without a fresh book or trade.
 * @param indexPx8 the index (px8, > 0)
 * @param maxInputAgeMs book / trade older than this (ms) are ignored
 */
export function premiumSample9(
  inputs: MarketInputs,
  indexPx8: bigint,
  nowMs: number,
  maxInputAgeMs: number,
): bigint | null {
  const { book, lastTrade } = inputs;
  if (book !== null && fresh(book.timeMs, nowMs, maxInputAgeMs)) {
    const above = book.impactBidPx8 > indexPx8 ? book.impactBidPx8 - indexPx8 : 0n;
    const below = indexPx8 > book.impactAskPx8 ? indexPx8 - book.impactAskPx8 : 0n;
    return mulDiv(above - below, PREMIUM_ONE, indexPx8, 'halfEven');
  }
  if (lastTrade !== null && fresh(lastTrade.timeMs, nowMs, maxInputAgeMs)) {
    return mulDiv(lastTrade.pricePx8 - indexPx8, PREMIUM_ONE, indexPx8, 'halfEven');
  }
  return null;
}

/**
 * Folds a premium sample (null = none fresh, counted as 0) into the EMA, at most once per interval.
 * @param decay18 fraction kept per interval, 18 decimals
 * @param intervalMs EMA sampling interval (ms)
 */
export function updatePremiumEma(
  st: PremiumState,
  sample9: bigint | null,
  nowMs: number,
  intervalMs: number,
  decay18: bigint,
): PremiumState {
  const interval = Math.floor(nowMs / intervalMs);
  if (st.ema9 === null || st.interval === null) return sample9 === null ? st : { ema9: sample9, interval };
  if (interval <= st.interval) return st;
  const sample = sample9 ?? 0n;
  const keep18 = powFrac18(decay18, interval - st.interval);
  return { ema9: sample + mulDiv(st.ema9 - sample, keep18, ONE18, 'halfEven'), interval };
}

/** index × (1 + premium): the index plus the smoothed basis (px8, half-even). */
export function indexPlusBasisPx8(indexPx8: bigint, ema9: bigint | null): bigint {
  return indexPx8 + mulDiv(indexPx8, ema9 ?? 0n, PREMIUM_ONE, 'halfEven');
}

/** The estimator's mark candidate (px8); null without an index. */
export function markCandidatePx8(
  config: MarkConfig,
  inputs: MarketInputs,
  indexPx8: bigint | null,
  ema9: bigint | null,
  nowMs: number,
): bigint | null {
  if (indexPx8 === null) return null;
  switch (config.kind) {
    case 'index':
      return indexPx8;
    case 'index_plus_basis':
      return indexPlusBasisPx8(indexPx8, ema9);
    case 'median': {
      const values = [indexPlusBasisPx8(indexPx8, ema9)];
      const { book, lastTrade } = inputs;
      if (book !== null && fresh(book.timeMs, nowMs, config.maxInputAgeMs)) {
        values.push(divRound(book.impactBidPx8 + book.impactAskPx8, 2n, 'halfEven'));
      }
      if (lastTrade !== null && fresh(lastTrade.timeMs, nowMs, config.maxInputAgeMs)) {
        values.push(lastTrade.pricePx8);
      }
      return median(values);
    }
  }
}
