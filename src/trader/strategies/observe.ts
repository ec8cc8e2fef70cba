/**
 * Observations from Plimsoll's own figures: what a strategy sees, built with the venue presets
 * so a strategy can be run against any account the calculator can describe.
 *
 *   - `observePerp`: one venue book (venue-export.ts) → equity, maintenance margin (cross scope)
 *     and one cross position with its engine liquidation price and the market's taker fee;
 *   - `observeLending`: an Aave-style account (collateral amounts, prices, debt) on a lending
 *     preset → collateral value, liquidation threshold and debt. With several collateral assets
 *     the threshold is the value-weighted one, Σ c·LT / Σ c, rounded down to ppm (a lower
 *     threshold reads a lower health factor: the strategy acts no later than it should).
 */

import { divRound, PPM, PRICE_DECIMALS, parseDecimalUnsafe, QTY_DECIMALS } from '../../core/num/index.ts';
import { lendingLiquidationPrice } from '../../core/presets/aave-v3.ts';
import { getPreset } from '../../core/presets/index.ts';
import type { VenueBook } from '../venue-export.ts';
import { venueRisk } from '../venue-risk.ts';
import { type LendingObservation, type PerpObservation, StrategyError } from './strategy.ts';

/** A perps observation of `market`'s cross position in a venue book (module header). */
export function observePerp(
  book: VenueBook,
  market: string,
  reserve: string,
  timeMs: number,
): PerpObservation {
  const risk = venueRisk(book, 0n);
  const p = risk.positions.find((x) => x.market === market);
  if (p?.scope !== 'cross')
    throw new StrategyError('BAD_PARAMETER', `${book.venue}: no cross position in ${market}`);
  const qd = risk.settlementDecimals;
  const m = book.preset.config().markets?.find((x) => x.id === market);
  const fee = m?.takerFee === undefined ? 0n : parseDecimalUnsafe(m.takerFee, 6);
  return {
    kind: 'perp',
    timeMs,
    decimals: qd,
    equity: parseDecimalUnsafe(risk.equity, qd),
    maintenanceMargin: parseDecimalUnsafe(risk.maintenanceMargin, qd),
    reserve: parseDecimalUnsafe(reserve, qd),
    position: {
      side: p.side,
      sizeQty9: parseDecimalUnsafe(p.size, QTY_DECIMALS),
      markPx8: parseDecimalUnsafe(p.markPrice, PRICE_DECIMALS),
      liquidationPx8:
        p.liquidationPrice === null ? null : parseDecimalUnsafe(p.liquidationPrice, PRICE_DECIMALS),
      takerFeePpm: fee,
    },
  };
}

export interface LendingAccount {
  /** A lending preset id (default aave-v3). */
  readonly preset?: string;
  readonly collateral: Readonly<Record<string, string>>;
  readonly prices: Readonly<Record<string, string>>;
  readonly debt: string;
  readonly reserve: string;
  readonly timeMs: number;
}

/** A lending observation of an account on a lending preset (module header). */
export function observeLending(a: LendingAccount): LendingObservation {
  const preset = getPreset(a.preset ?? 'aave-v3');
  if (preset?.kind !== 'lending')
    throw new StrategyError('BAD_PARAMETER', `${a.preset ?? 'aave-v3'} is not a lending preset`);
  const config = preset.config();
  const r = lendingLiquidationPrice({ config, collateral: a.collateral, prices: a.prices, debt: a.debt });
  const qd = config.assets?.find((x) => x.id === config.settlementAsset)?.decimals ?? 6;
  const value = parseDecimalUnsafe(r.collateralValue, qd);
  const weighted = parseDecimalUnsafe(r.weightedCollateral, qd);
  if (value <= 0n) throw new StrategyError('BAD_PARAMETER', 'lending: no collateral value');
  return {
    kind: 'lending',
    timeMs: a.timeMs,
    decimals: qd,
    collateralValue: value,
    liquidationThresholdPpm: divRound(weighted * PPM, value, 'floor'),
    debt: parseDecimalUnsafe(r.debt, qd),
    reserve: parseDecimalUnsafe(a.reserve, qd),
  };
}
