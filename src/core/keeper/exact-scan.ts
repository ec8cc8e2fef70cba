/**
 * The exact scan: the reference CandidateFinder. It evaluates every scope of every
 * subaccount with the engine's exact figures — slow (O(accounts) per call) but obviously
 * right, so the fast finders are tested against it. `Engine.liquidatable()` delegates here.
 *
 * Order: subaccounts in state order; within one, isolated scopes in position order, then the
 * cross scope. Lending (policy.lending): a position-less scope with a debt and equity < 0.
 */
import { crossView, evaluate, isLiquidatable, isolatedView } from '../account/figures.ts';
import type { EngineState } from '../engine/state.ts';
import { isLendingLiquidatable } from '../liquidation/lending.ts';
import type { CandidateFinder, LiquidationCandidate } from './finder.ts';

/** Every scope whose exact figures say equity < MM, in subaccount order. */
export function exactLiquidatable(state: Readonly<EngineState>): LiquidationCandidate[] {
  const st = state as EngineState;
  const out: LiquidationCandidate[] = [];
  for (const s of st.subaccounts.values()) {
    if (s.positions.size === 0) {
      if (isLendingLiquidatable(st, s)) out.push({ ref: s.ref, scope: { kind: 'cross' } });
      continue;
    }
    for (const p of s.positions.values()) {
      if (p.isolated && isLiquidatable(evaluate(st, isolatedView(st, s, p.market)))) {
        out.push({ ref: s.ref, scope: { kind: 'isolated', market: p.market } });
      }
    }
    const cross = crossView(s);
    if (cross.positions.length > 0 && isLiquidatable(evaluate(st, cross)))
      out.push({ ref: s.ref, scope: { kind: 'cross' } });
  }
  return out;
}

/** The exact scan as a CandidateFinder (stateless). */
export const exactScan: CandidateFinder = {
  name: 'exact-scan',
  liquidatable: exactLiquidatable,
};
