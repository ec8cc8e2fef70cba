/**
 * Amounts in rejection messages, in the units a reader uses: prices and sizes as decimals,
 * money with its asset ("−3,000 USDC", not −3000000000). Messages are for people; the exact
 * integers stay in the events and state.
 */

import type { EngineState } from '../model/state.ts';
import { formatDecimal, PRICE_DECIMALS, QTY_DECIMALS } from '../num/index.ts';

/** A px8 price as a decimal ("60000.5"). */
export const px = (px8: bigint): string => formatDecimal(px8, PRICE_DECIMALS);
/** A qty9 size as a decimal ("0.001"). */
export const qty = (q9: bigint): string => formatDecimal(q9, QTY_DECIMALS);
/** Settlement-asset units with the asset ("-3000 USDC"). */
export const quote = (state: EngineState, units: bigint): string =>
  `${formatDecimal(units, state.settlement.decimals)} ${state.settlement.id}`;
/** An asset amount in its smallest units, with the asset ("0.5 BTC"). */
export const amountOf = (state: EngineState, asset: string, units: bigint): string => {
  const a = state.assets.get(asset);
  return a ? `${formatDecimal(units, a.decimals)} ${asset}` : `${units} (smallest units of ${asset})`;
};
