/**
 * Prices an account is valued at: the mark of a market (or a hypothetical mark from a map) and
 * the price of a collateral asset, through its exchange rate when it is yield-bearing. Figures,
 * portfolio margin and liquidation read prices here, so none of them depends on another for them.
 */
import { yieldBearingPricePx8 } from '../collateral/valuation.ts';
import type { ReadonlyEngineState, ReadonlyMarketState } from '../model/state.ts';

/** A position as the figures see it: market, signed size and entry value (quote units). */
export interface PositionLite {
  readonly market: string;
  readonly size: bigint;
  readonly entryValue: bigint;
}

export class MissingPriceError extends Error {
  override name = 'MissingPriceError';
}

/** Price of a collateral asset in px8, through its exchange rate if yield-bearing. */
export function assetPricePx8(state: ReadonlyEngineState, assetId: string): bigint | undefined {
  if (assetId === state.settlement.id) return 10n ** 8n;
  const asset = state.assets.get(assetId);
  if (asset?.yieldBearing) {
    const under = assetPricePx8(state, asset.yieldBearing.underlying);
    const rate = state.exchangeRates18.get(assetId);
    return under === undefined || rate === undefined ? undefined : yieldBearingPricePx8(rate, under);
  }
  return state.assetPricesPx8.get(assetId);
}

export function markOf(market: ReadonlyMarketState, marks?: ReadonlyMap<string, bigint>): bigint {
  const px = marks?.get(market.config.id) ?? market.markPx8;
  if (px === undefined) throw new MissingPriceError(`market ${market.config.id} has no mark price`);
  return px;
}
