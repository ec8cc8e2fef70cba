/**
 * What a spot (debt-for-collateral) liquidation step does on the engine, whoever sized it:
 * Aave's liquidationCall (lending.ts) and Drift's liquidate_spot (drift-spot.ts) differ in how
 * much they move, not in how the move is checked and written. The liquidator must stay above
 * its initial margin after paying the debt and receiving the collateral, and the step is one
 * `liquidation_started` followed by its `moved` events in the order the venue's sizing lists
 * them (zero amounts are not written).
 */

import { crossView, type ScopeFigures } from '../../account/figures.ts';
import type { ReadonlySubaccount } from '../../model/state.ts';
import type { CommandContext } from '../context.ts';
import { reject } from '../errors.ts';
import type { Ledger, MoveReason } from '../events.ts';

/** Refuses the step if the liquidator, after the exchange, would be below its initial margin. */
export function requireLiquidatorMargin(
  ctx: CommandContext,
  liquidator: ReadonlySubaccount,
  pays: { readonly asset: string; readonly amount: bigint },
  receives: { readonly asset: string; readonly amount: bigint },
): void {
  const balances = new Map(liquidator.balances);
  balances.set(pays.asset, (balances.get(pays.asset) ?? 0n) - pays.amount);
  balances.set(receives.asset, (balances.get(receives.asset) ?? 0n) + receives.amount);
  if (ctx.figures({ ...crossView(liquidator), balances }).freeCollateralQuote < 0n)
    reject('LIQUIDATOR_INSUFFICIENT_MARGIN', 'the liquidator would fall below its initial margin');
}

/** One transfer of a step, between the liquidated scope's balance and another ledger. */
export interface SpotMove {
  readonly from: Ledger;
  readonly to: Ledger;
  readonly asset: string;
  readonly amount: bigint;
  readonly reason: MoveReason;
}

/** Writes the step: `liquidation_started` on the scope, then each non-zero move in order. */
export function emitSpotStep(
  ctx: CommandContext,
  sub: string,
  mode: 'full' | 'partial',
  before: ScopeFigures,
  moves: readonly SpotMove[],
): void {
  ctx.emit({
    type: 'liquidation_started',
    sub,
    scope: 'cross',
    mode,
    equityQuote: before.equityQuote,
    maintenanceQuote: before.maintenanceMarginQuote,
  });
  for (const m of moves) if (m.amount > 0n) ctx.emit({ type: 'moved', ...m });
}
