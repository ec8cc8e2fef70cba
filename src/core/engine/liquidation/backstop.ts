/**
 * Backstop takeover (Hyperliquid's backstop liquidation, policy backstopBelowMaintenanceShare):
 * when equity falls below that share of the maintenance margin, the liquidator takes every
 * position of the scope at the mark and all of the scope's collateral with it — the
 * maintenance margin left is its buffer for taking the positions on. The scope ends with nothing.
 */
import { evaluate, type Scope, type ScopeFigures, scopeName, viewOf } from '../../account/figures.ts';
import { applyTrade } from '../../account/position.ts';
import { buySign, notionalValue } from '../../margin/contract-value.ts';
import type { Subaccount } from '../../model/state.ts';
import type { CommandContext } from '../context.ts';
import { emitTrade, scopeLedger } from './step.ts';

export function backstopTakeover(
  ctx: CommandContext,
  sub: Subaccount,
  scope: Scope,
  before: ScopeFigures,
  liquidator: Subaccount,
  timeMs: number,
): void {
  const state = ctx.state;
  const qd = state.settlement.decimals;
  const name = scopeName(scope);
  ctx.emit({
    type: 'liquidation_started',
    sub: sub.key,
    scope: name,
    mode: 'backstop',
    equityQuote: before.equityQuote,
    maintenanceQuote: before.maintenanceMarginQuote,
  });
  const ledger = scopeLedger(sub, scope);
  const positions = before.positions.map((p) => ({
    market: state.markets.get(p.market)!,
    size: p.size,
    mark: p.markPx8,
  }));
  // Collateral first (while an isolated position still holds its margin), then the positions at the mark.
  const settlement = state.settlement.id;
  const atMark = positions.map((p) => notionalValue(p.market.config, p.size, p.mark, qd, 'halfEven'));
  let cash = evaluate(state, { ...viewOf(state, sub, scope), positions: [] }).netValueQuote;
  positions.forEach((p, i) => {
    const pos = sub.positions.get(p.market.config.id)!;
    const ks = buySign(p.market.config) * (p.size > 0n ? 1n : -1n);
    cash += applyTrade(pos.size, pos.entryValue, -p.size, -ks * atMark[i]!).realized;
  });
  if (scope.kind === 'cross') {
    for (const [asset, bal] of [...sub.balances]) {
      if (asset !== settlement && bal > 0n) {
        ctx.emit({
          type: 'moved',
          from: ledger,
          to: { kind: 'balance', sub: liquidator.key },
          asset,
          amount: bal,
          reason: 'backstop_takeover',
        });
      }
    }
  }
  if (cash > 0n) {
    ctx.emit({
      type: 'moved',
      from: ledger,
      to: { kind: 'balance', sub: liquidator.key },
      asset: settlement,
      amount: cash,
      reason: 'backstop_takeover',
    });
  }
  positions.forEach((p, i) => {
    emitTrade(
      ctx,
      p.market,
      sub.key,
      liquidator.key,
      p.size > 0n ? 1n : -1n,
      p.size < 0n ? -p.size : p.size,
      atMark[i]!,
      'backstop',
    );
  });
  const after = evaluate(state, viewOf(state, sub, scope));
  for (const p of positions) {
    ctx.emit({
      type: 'liquidation_completed',
      sub: sub.key,
      scope: name,
      market: p.market.config.id,
      mode: 'backstop',
      timeMs,
      closedQty9: p.size < 0n ? -p.size : p.size,
      closedNotionalQuote: notionalValue(p.market.config, p.size, p.mark, qd, 'ceil'),
      liquidatorRewardQuote: 0n,
      insuranceFeeQuote: 0n,
      healthBeforeQuote: before.healthQuote,
      healthAfterQuote: after.healthQuote,
    });
  }
}
