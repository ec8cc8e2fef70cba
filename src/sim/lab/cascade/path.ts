/**
 * Exogenous price paths for the cascade simulator: the real crash klines as four points per
 * bar, or any array of prices; and the exact forms the engine takes them in (px8, the opening
 * fill price rounded to the lab venue's tick).
 */
import { divRound, formatDecimal, parseDecimalUnsafe } from '../../../core/num/index.ts';
import type { Kline } from '../../data/klines.ts';
import { klinePath } from '../../data/klines.ts';
import { PATH_OFFSETS_MS } from '../../replay.ts';

/** One exogenous price: time (ms since epoch) and price (decimal string, quote per BTC). */
export interface PricePoint {
  readonly timeMs: number;
  readonly price: string;
}

/**
 * Four points per bar (`klinePath`: open, nearer extreme, farther extreme, close) at +0, 20, 40,
 * 59.999 s of a 1-minute bar; a longer bar (the 10-minute ETH days) spreads them the same way
 * over its length: +0, ⅓, ⅔ of the bar and 1 ms before its end.
 */
export function klinePoints(klines: readonly Kline[], intervalMs = 60_000): PricePoint[] {
  const offsets =
    intervalMs === 60_000
      ? PATH_OFFSETS_MS
      : [0, Math.round(intervalMs / 3), Math.round((2 * intervalMs) / 3), intervalMs - 1];
  const out: PricePoint[] = [];
  for (const k of klines) {
    klinePath(k).forEach((price, i) => {
      out.push({ timeMs: k.openTimeMs + offsets[i]!, price });
    });
  }
  return out;
}

/** Any series of prices, `stepMs` apart from `startMs` (numbers are written with 8 decimals). */
export function arrayPoints(
  prices: readonly (string | number)[],
  startMs: number,
  stepMs = 15_000,
): PricePoint[] {
  return prices.map((p, i) => ({
    timeMs: startMs + i * stepMs,
    price: typeof p === 'string' ? p : p.toFixed(8),
  }));
}

/** Decimal string → px8 (half-even past 8 decimals). */
export function px8Of(price: string): bigint {
  const dot = price.indexOf('.');
  const decimals = dot < 0 ? 0 : price.length - dot - 1;
  if (decimals <= 8) return parseDecimalUnsafe(price, 8);
  return divRound(parseDecimalUnsafe(price, decimals), 10n ** BigInt(decimals - 8), 'halfEven');
}

export const fmtPx = (px8: bigint) => formatDecimal(px8, 8);

/**
 * Tick of the lab venue's BTC-PERP (0.01, px8). The opening fills must be tick multiples, and
 * a window cut from a mark-price series (8 decimals) rarely starts on one.
 */
const OPEN_TICK_PX8 = 1_000_000n;

/** The opening (fill) price of a path as the engine takes it: px8, half-even to the tick, decimal string. */
export function openPriceOf(path: readonly PricePoint[]): string {
  if (path.length === 0) throw new RangeError('empty price path');
  return fmtPx(divRound(px8Of(path[0]!.price), OPEN_TICK_PX8, 'halfEven') * OPEN_TICK_PX8);
}
