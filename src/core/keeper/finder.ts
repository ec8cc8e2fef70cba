/**
 * CandidateFinder: how the keeper learns which margin scopes to liquidate.
 *
 * Every finder answers the same question — "which scopes do the engine's exact figures say
 * are liquidatable (equity < MM) right now?" — and differs only in how it avoids work: the
 * exact scan evaluates every scope (exact-scan.ts, here in core); the liquidation-price index
 * and the float risk book (src/riskbook) screen first and confirm exactly. A finder's answer
 * is always confirmed: a float screen may over-select, never report a healthy scope, and
 * never miss one (property-tested against the exact scan).
 *
 * Finders that keep an index learn about changes from the engine's events (they subscribe
 * when built); `liquidatable` itself only reads the state.
 */
import type { Scope } from '../account/figures.ts';
import type { Sequenced } from '../engine/events.ts';
import type { LiquidationCandidate } from '../liquidation/exact-scan.ts';
import type { SubaccountRef } from '../model/engine-config.ts';
import type { ReadonlyEngineState } from '../model/state.ts';

export type { LiquidationCandidate };

export interface CandidateFinder {
  /** A short name for reports ("exact-scan", "liquidation-price-index", "risk-book"). */
  readonly name: string;
  /** Liquidatable scopes at the current state, confirmed exactly, in a deterministic order. */
  liquidatable(state: ReadonlyEngineState): LiquidationCandidate[];
}

/** The `liquidate` command fields naming a candidate's scope. */
export function liquidateFields(c: LiquidationCandidate): {
  subaccount: SubaccountRef;
  isolatedMarket?: string;
} {
  return c.scope.kind === 'isolated'
    ? { subaccount: c.ref, isolatedMarket: c.scope.market }
    : { subaccount: c.ref };
}

/** A stable id of a scope: `account/sub|cross` or `account/sub|isolated:MARKET`. */
export function scopeId(subKey: string, scope: Scope): string {
  return scope.kind === 'cross' ? `${subKey}|cross` : `${subKey}|isolated:${scope.market}`;
}

/** What an indexing finder needs of the engine: its state and its event stream (Engine fits). */
export interface EventSource {
  readonly state: ReadonlyEngineState;
  onEvents(listener: (events: readonly Sequenced[]) => void): () => void;
}
