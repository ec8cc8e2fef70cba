/**
 * Operator checks that keep inverse (coin-margined) markets consistent (margin/contract-value.ts):
 * an inverse market settles in its base coin, so the engine's settlement asset must be that coin;
 * a market keeps its contract type and contract value, since every open position's entry value
 * was measured with them; and the dYdX fillable-price penalty, written for linear markets, is not
 * offered with inverse ones.
 */
import type { MarketConfig } from '../model/config.ts';
import type { LiquidationPolicy } from '../model/engine-config.ts';
import type { ReadonlyEngineState } from '../model/state.ts';

/** What is wrong with configuring `next` (replacing `existing`, if any), or undefined. */
export function inverseMarketIssue(
  state: ReadonlyEngineState,
  next: MarketConfig,
  existing: MarketConfig | undefined,
): string | undefined {
  if (existing && (existing.contractType ?? 'linear') !== (next.contractType ?? 'linear'))
    return 'a market keeps its contract type';
  if (existing && existing.contractValue !== next.contractValue) return 'a market keeps its contract value';
  if ((existing?.option?.settlement ?? 'linear') !== (next.option?.settlement ?? 'linear') && existing)
    return 'an option keeps its settlement';
  if (next.option?.settlement === 'inverse' && next.base !== state.settlement.id)
    return `coin-settled option ${next.id} settles in ${next.base}, but the settlement asset is ${state.settlement.id}`;
  if (next.contractType === 'inverse') {
    if (next.base !== state.settlement.id)
      return `inverse market ${next.id} settles in ${next.base}, but the settlement asset is ${state.settlement.id}`;
    if (state.policy.penalty.kind === 'dydx_fillable')
      return `inverse market ${next.id}: the dydx_fillable penalty is linear only`;
  }
  return undefined;
}

/** A policy the engine's inverse markets cannot run, or undefined. */
export function inversePolicyIssue(
  state: ReadonlyEngineState,
  policy: LiquidationPolicy,
): string | undefined {
  if (policy.penalty.kind !== 'dydx_fillable') return undefined;
  for (const m of state.markets.values())
    if (m.config.contractType === 'inverse')
      return `inverse market ${m.config.id}: the dydx_fillable penalty is linear only`;
  return undefined;
}
