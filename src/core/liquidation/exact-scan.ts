/**
 * The exact scan: which margin scopes the engine's exact figures say are liquidatable
 * (equity < MM) right now. It evaluates every scope of every subaccount — O(accounts) per
 * call, but obviously right — so it is the reference every fast finder (the liquidation-price
 * index, the float risk book) is tested against, and what `Engine.liquidatable()` answers.
 * It only reads the state, so it sits below the engine; the keeper wraps it as a finder.
 *
 * Order: subaccounts in state order; within one, isolated scopes in position order, then the
 * cross scope. Lending (policy.lending) or Drift spot liquidation (policy.spotLiquidation): a
 * position-less scope with a debt and equity < MM.
 */
import {
  crossView,
  evaluate,
  isLiquidatable,
  isolatedView,
  maintenanceView,
  type Scope,
} from '../account/figures.ts';
import type { SubaccountRef } from '../model/engine-config.ts';
import type { ReadonlyEngineState, ReadonlySubaccount } from '../model/state.ts';

/** A scope the exact figures say is liquidatable. */
export interface LiquidationCandidate {
  readonly ref: SubaccountRef;
  readonly scope: Scope;
}

/** A position-less cross scope with a debt that the lending or spot policy liquidates (equity < MM). */
export function isLendingLiquidatable(state: ReadonlyEngineState, sub: ReadonlySubaccount): boolean {
  if ((!state.policy.lending && !state.policy.spotLiquidation) || sub.positions.size > 0) return false;
  let owes = false;
  for (const b of sub.balances.values()) if (b < 0n) owes = true;
  if (!owes) return false;
  return isLiquidatable(evaluate(state, maintenanceView(crossView(sub))));
}

/** Every scope whose exact figures say equity < MM, in subaccount order. */
export function exactLiquidatable(state: ReadonlyEngineState): LiquidationCandidate[] {
  const out: LiquidationCandidate[] = [];
  for (const s of state.subaccounts.values()) {
    if (s.positions.size === 0) {
      if (isLendingLiquidatable(state, s)) out.push({ ref: s.ref, scope: { kind: 'cross' } });
      continue;
    }
    for (const p of s.positions.values()) {
      if (p.isolated && isLiquidatable(evaluate(state, isolatedView(state, s, p.market)))) {
        out.push({ ref: s.ref, scope: { kind: 'isolated', market: p.market } });
      }
    }
    const cross = crossView(s);
    if (cross.positions.length > 0 && isLiquidatable(evaluate(state, maintenanceView(cross))))
      out.push({ ref: s.ref, scope: { kind: 'cross' } });
  }
  return out;
}
