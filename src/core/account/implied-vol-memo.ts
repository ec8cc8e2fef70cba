/**
 * The volatility an option market's mark implies (Black-76 at F = U, time to expiry from the
 * engine's clock), remembered per market: the portfolio scopes (portfolio-scope.ts,
 * portfolio-deribit.ts) re-read a book far more often than its marks change.
 */
import type { ReadonlyMarketState } from '../model/state.ts';
import { PRICE_DECIMALS, toNumber } from '../num/index.ts';
import { yearFraction } from '../pricing/black76.ts';
import { impliedVolBlack76 } from '../pricing/implied-vol.ts';

const px = (px8: bigint) => toNumber(px8, PRICE_DECIMALS);

/**
 * The volatility an option's mark implies, remembered per market for the last (mark, underlying,
 * time) it was solved for: a book is re-evaluated far more often than its marks change.
 */
const ivCache = new WeakMap<ReadonlyMarketState, { mark: number; U: number; nowMs: number; vol: number }>();
export function impliedVolOf(
  m: ReadonlyMarketState,
  mark: number,
  U: number,
  nowMs: number,
  fallbackVol: number,
): number {
  const hit = ivCache.get(m);
  if (hit && hit.mark === mark && hit.U === U && hit.nowMs === nowMs) return hit.vol;
  const terms = m.config.option!;
  const iv = impliedVolBlack76({
    kind: terms.right,
    price: mark,
    forward: U,
    strike: px(terms.strike),
    timeYears: yearFraction(nowMs, m.config.expiryMs!),
  });
  const vol = iv.ok ? iv.vol : fallbackVol;
  ivCache.set(m, { mark, U, nowMs, vol });
  return vol;
}
