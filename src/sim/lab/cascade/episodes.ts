/**
 * Cascade depth and latency, per liquidation episode.
 *
 * An episode runs from the check that first finds a scope liquidatable until a check finds it
 * healthy or a step restores it. A scope found at an exogenous price point (or a funding tick)
 * is at depth 1; one found after round r's sales moved the mark is at depth 1 + the deepest
 * liquidation executed in round r. Every step carries its episode's depth; its latency is the
 * `liquidation_completed` time minus the time of the price update after which the episode
 * was first found. Both are read from the engine's events while the step executes.
 */
import type { Scope } from '../../../core/account/figures.ts';
import type { Sequenced } from '../../../core/engine/events.ts';
import { type LiquidationCandidate, scopeId } from '../../../core/keeper/index.ts';
import type { SubaccountRef } from '../../../core/model/engine-config.ts';
import { subaccountKey } from '../../../core/model/state.ts';
import type { MinuteTimeline } from './timeline.ts';
import type { LiquidationMode, LiquidationRecord } from './types.ts';

export interface Episode {
  readonly id: string;
  readonly ref: SubaccountRef;
  readonly scope: Scope;
  /** Time of the price update after which it was first found, ms. */
  readonly since: number;
  readonly depth: number;
  /** Order of discovery (ties on `since`). */
  readonly order: number;
}

export class Episodes {
  private readonly open = new Map<string, Episode>();
  private order = 0;
  /** The episode whose liquidate command is executing (attributes depth and latency). */
  current: Episode | undefined;
  /** Mode and outcome of the last completed step of `current`. */
  lastCompleted: { mode: LiquidationMode; healthy: boolean } | undefined;
  /** Deepest step of the current round. */
  roundMaxDepth = 0;
  /** Steps by depth (index 0: depth 1), latencies of every step, and (optionally) every step. */
  readonly stepsByDepth: number[] = [];
  readonly latencies: number[] = [];
  readonly records: LiquidationRecord[] = [];

  constructor(
    private readonly record: boolean,
    private readonly timeline: MinuteTimeline,
    private readonly usd: (v: bigint) => string,
    private readonly markPx: () => string,
  ) {}

  /** Engine listener: attributes each `liquidation_completed` to the current episode. */
  onEvents(events: readonly Sequenced[]): void {
    for (const e of events) {
      if (e.type !== 'liquidation_completed') continue;
      const cur = this.current;
      const depth = cur?.depth ?? 1;
      const latency = cur ? e.timeMs - cur.since : 0;
      this.stepsByDepth[depth - 1] = (this.stepsByDepth[depth - 1] ?? 0) + 1;
      this.latencies.push(latency);
      this.timeline.noteLiquidation(depth, e.closedNotionalQuote);
      if (depth > this.roundMaxDepth) this.roundMaxDepth = depth;
      this.lastCompleted = { mode: e.mode, healthy: e.healthAfterQuote >= 0n };
      if (this.record)
        this.records.push({
          timeMs: e.timeMs,
          sub: e.sub,
          scope: e.scope,
          mode: e.mode,
          depth,
          latencyMs: latency,
          notional: this.usd(e.closedNotionalQuote),
          markPx: this.markPx(),
        });
    }
  }

  /** New episodes start at `sinceMs` with `depth`; scopes no longer found end theirs. */
  track(found: readonly LiquidationCandidate[], sinceMs: number, depth: number): void {
    const ids = new Set<string>();
    for (const c of found) {
      const id = scopeId(subaccountKey(c.ref), c.scope);
      ids.add(id);
      if (!this.open.has(id))
        this.open.set(id, { id, ref: c.ref, scope: c.scope, since: sinceMs, depth, order: this.order++ });
    }
    for (const id of [...this.open.keys()]) if (!ids.has(id)) this.open.delete(id);
  }

  /** The open episodes, oldest first (by `since`, then discovery order). */
  queue(): Episode[] {
    return [...this.open.values()].sort((a, b) => a.since - b.since || a.order - b.order);
  }

  /** Before a step of `c`. */
  begin(c: LiquidationCandidate): void {
    this.current = this.open.get(scopeId(subaccountKey(c.ref), c.scope));
    this.lastCompleted = undefined;
  }

  /** After a step: a full/bankrupt/backstop close, or a partial one that restored health, ends the episode. */
  end(ok: boolean): void {
    const ep = this.current;
    this.current = undefined;
    if (!ok) return;
    const done = this.lastCompleted;
    if (ep && done && (done.mode !== 'partial' || done.healthy)) this.open.delete(ep.id);
  }
}
