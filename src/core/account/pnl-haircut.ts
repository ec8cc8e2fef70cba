/**
 * Haircut on positive position health (Mango v4's unsettled-PnL haircut). A market with
 * `positiveHealthWeight` counts a position's health — its unrealized PnL less its requirement,
 * Mango's perp health `base × price × base weight + quote` under the `fixed` model with ratio
 * 1 − base weight — at that weight when it is positive, in full when it is negative:
 *
 *     maintenance: h = uPnL − MM;  h > 0 → equity −= ⌈h × (1 − maintenance weight)⌉
 *     initial:     h = uPnL − IM;  h > 0 → initial equity −= ⌈h × (1 − initial weight)⌉
 *
 * so health = equity − MM is Mango's maint health (mangoHealth, reference/mango-v4.ts) for such an account, rounded
 * against the account (the haircut rounds up). Net value (bankruptcy) is not haircut.
 */
import type { MarketConfig } from '../model/config.ts';
import { divRound, PPM } from '../num/index.ts';

/**
 * One position's haircuts (quote units, ≥ 0) on a market with `positiveHealthWeight`; zero
 * elsewhere. Called from the figures' position loop, which already holds the market.
 */
export function positiveHealthHaircut(
  weight: MarketConfig['positiveHealthWeight'],
  unrealizedPnlQuote: bigint,
  initialQuote: bigint,
  maintenanceQuote: bigint,
): { initialQuote: bigint; maintenanceQuote: bigint } {
  if (!weight) return NONE;
  const hm = unrealizedPnlQuote - maintenanceQuote;
  const hi = unrealizedPnlQuote - initialQuote;
  return {
    maintenanceQuote: hm > 0n ? divRound(hm * (PPM - weight.maintenance), PPM, 'ceil') : 0n,
    initialQuote: hi > 0n ? divRound(hi * (PPM - weight.initial), PPM, 'ceil') : 0n,
  };
}
const NONE = Object.freeze({ initialQuote: 0n, maintenanceQuote: 0n });
