/**
 * Checks a trade and an order share: the market is open (not expired, not settled), and a size
 * and a price fit the market's step, contract size and tick. One place, so a resting order is
 * refused for exactly the reasons its fill would be.
 */
import type { MarketState } from '../model/state.ts';
import type { CommandContext } from './context.ts';
import { reject } from './errors.ts';
import * as fmt from './message-units.ts';

export function checkOpen(ctx: CommandContext, marketId: string, timeMs: number | undefined): void {
  const m = ctx.market(marketId);
  const now = Math.max(timeMs ?? 0, ctx.state.timeMs);
  if (m.settledPx8 !== undefined || (m.config.expiryMs !== undefined && now >= m.config.expiryMs)) {
    reject('MARKET_EXPIRED', `market ${marketId} has expired`);
  }
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
