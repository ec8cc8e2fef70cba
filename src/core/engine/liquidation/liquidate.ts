/**
 * The `liquidate` command: one liquidation step for one margin scope (a subaccount's cross
 * scope or one isolated position). It checks the scope may be liquidated now (below
 * maintenance, no market paused or in oracle safe mode, a liquidator that is not the
 * liquidatee) and picks the kind of step the policy and the scope call for:
 * - lending (policy.lending, Aave v3), a cross scope with only collateral and debt: ./lending.ts;
 * - Drift spot (policy.spotLiquidation), the same kind of scope: ./drift-spot.ts;
 * - dYdX (penalty 'dydx_fillable'): ./dydx-step.ts, the waterfall when the fund cannot pay (or the
 *   policy's per-window insurance-loss cap would be exceeded by a bankrupt scope);
 * - bankrupt (net value < 0): the waterfall, ./waterfall.ts;
 * - equity below the policy's backstop share of maintenance: the backstop takeover, ./backstop.ts;
 * - otherwise the partial step, ./partial.ts.
 * Each records its step as events through the command context.
 */
import { isLiquidatable, type Scope, viewOf } from '../../account/figures.ts';
import { inSafeMode } from '../../model/state.ts';
import { PPM } from '../../num/index.ts';
import type { Command } from '../commands.ts';
import type { CommandContext } from '../context.ts';
import { reject } from '../errors.ts';
import * as fmt from '../message-units.ts';
import { cancelSubaccountOrders } from '../orders.ts';
import { liquidationHold } from '../price-trust.ts';
import { backstopTakeover } from './backstop.ts';
import { liquidateDriftSpot, resolveDriftSpotBankruptcy } from './drift-spot.ts';
import { dydxStep } from './dydx-step.ts';
import { liquidateLending } from './lending.ts';
import { partial } from './partial.ts';
import { bankrupt } from './waterfall.ts';

type LiquidateCmd = Extract<Command, { type: 'liquidate' }>;

export function liquidate(ctx: CommandContext, c: LiquidateCmd): void {
  const state = ctx.state;
  ctx.checkTime(c.timeMs);
  const sub = ctx.subaccount(c.subaccount);
  const scope: Scope = c.isolatedMarket ? { kind: 'isolated', market: c.isolatedMarket } : { kind: 'cross' };
  if (scope.kind === 'isolated') {
    ctx.market(scope.market);
    if (!sub.positions.get(scope.market)?.isolated)
      reject('NOT_LIQUIDATABLE', `no isolated position in ${scope.market}`);
  }
  const view = viewOf(state, sub, scope);
  const before = ctx.figures(view);
  if (!isLiquidatable(before)) {
    reject(
      'NOT_LIQUIDATABLE',
      `equity ${fmt.quote(state, before.equityQuote)} ≥ maintenance ${fmt.quote(state, before.maintenanceMarginQuote)}`,
    );
  }
  for (const p of view.positions) {
    const m = state.markets.get(p.market)!;
    if (m.liquidationsPaused) reject('LIQUIDATIONS_PAUSED', `liquidations paused in ${p.market}`);
    if (inSafeMode(m))
      reject(
        'LIQUIDATIONS_PAUSED',
        `${p.market} is in oracle safe mode: liquidations wait for a sound price`,
      );
  }
  const hold = liquidationHold(state, view, Math.max(c.timeMs ?? 0, state.timeMs));
  if (hold) reject('LIQUIDATIONS_PAUSED', hold.message, hold.details);
  const liqRef = c.liquidator ?? state.config.backstop;
  if (!liqRef) reject('NO_LIQUIDATOR', 'no liquidator named and no backstop configured');
  const liquidator = ctx.subaccount(liqRef);
  if (liquidator.key === sub.key) reject('SAME_SUBACCOUNT', 'an account cannot liquidate itself');
  const timeMs = Math.max(c.timeMs ?? 0, state.timeMs);
  // As venues do, the liquidatee's orders in the scope are cancelled before the step (a cross
  // liquidation cancels all of them: the cross balance pays for every order's margin). Their
  // reservation never counted toward maintenance, so the step is sized as without them.
  ctx.beforeFirstEmit(() =>
    cancelSubaccountOrders(ctx, sub.key, scope.kind === 'isolated' ? scope.market : undefined, 'liquidation'),
  );

  if (c.fillPrice !== undefined && state.policy.penalty.kind !== 'dydx_fillable')
    reject('MALFORMED_COMMAND', "fillPrice is for the liquidation policy penalty 'dydx_fillable' only");
  if (state.policy.spotLiquidation && scope.kind === 'cross' && before.positions.length === 0) {
    if (c.debtToCover !== undefined)
      reject('MALFORMED_COMMAND', 'debtToCover is for lending liquidations (policy.lending) only');
    // Drift liquidate_spot: liability for collateral; with no collateral left, the waterfall below.
    if (liquidateDriftSpot(ctx, sub, before, liquidator, c.debtAsset, c.collateralAsset)) return;
    // resolve_spot_bankruptcy: no collateral left — the fund, then the deposit interest index.
    if (resolveDriftSpotBankruptcy(ctx, sub, before, c.debtAsset)) return;
  }
  if (state.policy.lending && scope.kind === 'cross' && before.positions.length === 0) {
    // Aave v3: repay debt for collateral plus a bonus; with no collateral left, the waterfall below.
    if (liquidateLending(ctx, sub, before, liquidator, c.collateralAsset, c.debtToCover, c.debtAsset)) return;
  }
  if (c.collateralAsset !== undefined || c.debtToCover !== undefined || c.debtAsset !== undefined)
    reject(
      'MALFORMED_COMMAND',
      'collateralAsset, debtAsset and debtToCover are for lending or spot liquidations (policy.lending, policy.spotLiquidation) only',
    );
  if (before.netValueQuote >= 0n && before.positions.length === 0) {
    // Only collateral and a debt, still covered at full value: nothing a perp liquidation can close.
    reject('NOT_LIQUIDATABLE', 'no positions to liquidate; the debt is covered by collateral at full value');
  }
  if (state.policy.penalty.kind === 'dydx_fillable' && before.positions.length > 0) {
    // dYdX v4: close at the fillable price; the waterfall only when the fund cannot pay a bankrupt close.
    if (dydxStep(ctx, sub, scope, view, before, liquidator, timeMs, c.fillPrice)) return;
  }
  const share = state.policy.backstopBelowMaintenanceShare;
  if (before.netValueQuote < 0n) bankrupt(ctx, sub, scope, before, liquidator, timeMs);
  else if (share !== undefined && before.equityQuote * PPM < before.maintenanceMarginQuote * share) {
    backstopTakeover(ctx, sub, scope, before, liquidator, timeMs);
  } else partial(ctx, sub, scope, view, before, liquidator, timeMs);
}
