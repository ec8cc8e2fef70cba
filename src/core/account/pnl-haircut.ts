/**
 * Haircut on positive position health (Mango v4's unsettled-PnL haircut). A market with
 * `positiveHealthWeight` counts a position's health — its unrealized PnL less its requirement,
 * Mango's perp health `base × price × base weight + quote` under the `fixed` model with ratio
 * 1 − base weight — at that weight when it is positive, in full when it is negative:
 *
 *     maintenance: h = uPnL − MM;  h > 0 → equity −= ⌈h × (1 − maintenance weight)⌉
 *     initial:     h = uPnL − IM;  h > 0 → initial equity −= ⌈h × (1 − initial weight)⌉
 *
 * so health = equity − MM is Mango's maint health (mangoHealth) for such an account, rounded
 * against the account (the haircut rounds up). Net value (bankruptcy) is not haircut.
 */
import type { EngineState } from '../engine/state.ts';
import { divRound, PPM } from '../num/index.ts';

interface PositionHealthInput {
  readonly market: string;
  readonly unrealizedPnlQuote: bigint;
  readonly initialQuote: bigint;
  readonly maintenanceQuote: bigint;
}

/** Σ haircuts of the scope's positions on markets with `positiveHealthWeight` (quote units, ≥ 0). */
export function positiveHealthHaircut(
  state: EngineState,
  positions: readonly PositionHealthInput[],
): { initialQuote: bigint; maintenanceQuote: bigint } {
  let initialQuote = 0n;
  let maintenanceQuote = 0n;
  for (const p of positions) {
    const w = state.markets.get(p.market)?.config.positiveHealthWeight;
    if (!w) continue;
    const hm = p.unrealizedPnlQuote - p.maintenanceQuote;
    if (hm > 0n) maintenanceQuote += divRound(hm * (PPM - w.maintenance), PPM, 'ceil');
    const hi = p.unrealizedPnlQuote - p.initialQuote;
    if (hi > 0n) initialQuote += divRound(hi * (PPM - w.initial), PPM, 'ceil');
  }
  return { initialQuote, maintenanceQuote };
}
