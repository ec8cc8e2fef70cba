/**
 * Per price update: the liquidation rounds of the cascade simulator — the keeper loop
 * (core/keeper) with the risk book as finder and the lab's hooks. Round r after an update at t
 * runs at t + `delayMs` + (r − 1) × `roundMs` (never before the engine's clock); it queues the
 * open episodes oldest first (at most `maxPerRound` steps), attributes each step to its episode,
 * then lets the backstop unload into the book. A sale that moves the mark may make more scopes
 * liquidatable: the next round, one cascade level deeper.
 */
import { type CandidateFinder, liquidationRounds } from '../../../core/keeper/index.ts';
import type { BookTrader } from './book-trader.ts';
import type { RunContext } from './context.ts';
import type { Episodes } from './episodes.ts';
import type { KeeperOptions } from './types.ts';

export class CascadeRounds {
  /** Deepest liquidation whose take-over is still (partly) in the backstop's inventory. */
  private inventoryDepth = 0;
  /** Most rounds after one price update. */
  maxRoundsPerPoint = 0;

  constructor(
    private readonly ctx: RunContext,
    private readonly finder: CandidateFinder,
    private readonly episodes: Episodes,
    private readonly trader: BookTrader,
    private readonly keeper: KeeperOptions,
    private readonly maxRounds: number,
  ) {}

  /** Liquidation rounds after a price update at `updateMs` (exogenous or funding: depth 1). */
  run(updateMs: number): void {
    const { ctx, episodes, trader, keeper } = this;
    let depthOfNew = 1;
    let sinceMs = updateMs;
    let at = updateMs + keeper.delayMs;
    const r = liquidationRounds(
      ctx.engine,
      updateMs,
      { finder: this.finder, maxRounds: this.maxRounds },
      {
        onCandidates: (found) => episodes.track(found, sinceMs, depthOfNew),
        pending: () => trader.holdsInventory(),
        roundTime: () => {
          episodes.roundMaxDepth = 0;
          return ctx.now(at);
        },
        select: () => episodes.queue().slice(0, keeper.maxPerRound),
        beforeStep: (c) => episodes.begin(c),
        afterStep: (_c, res) => {
          if (!res.ok) ctx.bump(res.rejection.code);
          episodes.end(res.ok);
        },
        afterRound: (execAt) => {
          const roundMaxDepth = episodes.roundMaxDepth;
          if (roundMaxDepth > this.inventoryDepth) this.inventoryDepth = roundMaxDepth;
          const soldDepth = this.inventoryDepth;
          const moved = trader.unload(execAt);
          if (!trader.holdsInventory()) this.inventoryDepth = 0;
          // New scopes were pushed over by this round's steps or by the sale of what earlier steps took.
          depthOfNew = Math.max(roundMaxDepth, moved ? soldDepth : 0) + 1;
          sinceMs = execAt;
          at = execAt + keeper.roundMs;
          return moved;
        },
      },
    );
    if (r.capped) ctx.bump('ROUND_LIMIT');
    if (r.rounds > this.maxRoundsPerPoint) this.maxRoundsPerPoint = r.rounds;
  }
}
