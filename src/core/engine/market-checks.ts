/**
 * Checks a trade and an order share: the market is open (not expired, not settled, not paused),
 * and a size and a price fit the market's step, contract size and tick. One place, so a resting
 * order is refused for exactly the reasons its fill would be. Orders alone also meet the
 * market's minimum size and price band (`checkOrderLimits`): a venue applies those filters when
 * an order is accepted, while a partial fill may leave or take less than the minimum.
 */
import type { MarketState } from '../model/state.ts';
import { formatDecimal } from '../num/index.ts';
import type { CommandContext } from './context.ts';
import { reject } from './errors.ts';
import * as fmt from './message-units.ts';

const PPM = 1_000_000n;

export function checkOpen(ctx: CommandContext, marketId: string, timeMs: number | undefined): void {
  const m = ctx.market(marketId);
  const now = Math.max(timeMs ?? 0, ctx.state.timeMs);
  if (m.settledPx8 !== undefined || (m.config.expiryMs !== undefined && now >= m.config.expiryMs)) {
    reject('MARKET_EXPIRED', `market ${marketId} has expired`);
  }
  if (m.config.status === 'paused')
    reject('MARKET_PAUSED', `market ${marketId} is paused: no orders or fills until it trades again`);
}

export function checkSizeAndTick(market: MarketState, size: bigint, price: bigint): void {
  const cfg = market.config;
  if (size % cfg.stepSize !== 0n || size % cfg.contractSize !== 0n) {
    reject(
      'INVALID_SIZE',
      `size ${fmt.qty(size)} must be a multiple of the step ${fmt.qty(cfg.stepSize)} and contract size ${fmt.qty(cfg.contractSize)}`,
    );
  }
  if (price % cfg.tickSize !== 0n)
    reject('INVALID_PRICE', `price ${fmt.px(price)} must be a multiple of the tick ${fmt.px(cfg.tickSize)}`);
}

/**
 * An order's own filters: size ≥ the market's `minSize`, and the limit price inside the
 * `priceBand` on its side, as Binance's PERCENT_PRICE states it: a buy at most mark × (1 + up),
 * a sell at least mark × (1 − down) (a buy far below the mark or a sell far above it is passive
 * and harmless). Bounds are exact (price × 1e6 against mark × (1e6 ± ppm)): no rounding decides a
 * boundary order. Without a mark there is no band to apply.
 */
export function checkOrderLimits(
  market: MarketState,
  side: 'buy' | 'sell',
  size: bigint,
  price: bigint,
): void {
  const cfg = market.config;
  if (cfg.minSize !== undefined && size < cfg.minSize)
    reject('INVALID_SIZE', `size ${fmt.qty(size)} is below the market's minimum ${fmt.qty(cfg.minSize)}`);
  const band = cfg.priceBand;
  const mark = market.markPx8;
  if (band === undefined || mark === undefined) return;
  if (side === 'buy' && price * PPM > mark * (PPM + band.up))
    reject(
      'PRICE_OUTSIDE_BAND',
      `a buy at ${fmt.px(price)} is above the band's top ${fmt.px((mark * (PPM + band.up)) / PPM)} (mark ${fmt.px(mark)} × (1 + ${formatDecimal(band.up, 6)}))`,
    );
  if (side === 'sell' && price * PPM < mark * (PPM - band.down))
    reject(
      'PRICE_OUTSIDE_BAND',
      `a sell at ${fmt.px(price)} is below the band's bottom ${fmt.px((mark * (PPM - band.down) + PPM - 1n) / PPM)} (mark ${fmt.px(mark)} × (1 − ${formatDecimal(band.down, 6)}))`,
    );
}
