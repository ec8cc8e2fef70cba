/**
 * Per price update: the liquidation rounds of the cascade simulator — the keeper loop
 * (core/keeper) with the risk book as finder and the lab's hooks. Round r after an update at t
 * runs at t + `delayMs` + (r − 1) × `roundMs` (never before the engine's clock); it queues the
 * open episodes oldest first (at most `maxPerRound` steps), attributes each step to its episode,
 * then lets the backstop unload into the book. A sale that moves the mark may make more scopes
 * liquidatable: the next round, one cascade level deeper.
 *
 * Latency model (`keeper.latencyMs`, optionally `keeper.blockMs`): each open episode is *due* at
 * the time it was found + the latency (rounded up to the next block boundary on a block
 * schedule). A round runs at the earliest due time and takes only the due episodes; episodes due
 * at or after the next exogenous point (`horizonMs`) wait for it, so they are liquidated at the
 * prices of the moment they are due (to the path's resolution: kline paths have four points a
 * minute, so latencies under 15 s change when a step lands and how far the book has recovered,
 * not the exogenous price it sees), and not at all if the scope is healthy again by then.
 *
 * With the oracle feed (`tick`), the observations go through the keeper tick's `oracle` step
 * first; a sale moves the engine's mark only when the next observations arrive, so the scopes
 * found then are one level deeper than the deepest liquidation sold since (carried depth).
 */
import {
  type CandidateFinder,
  keeperTick,
  type KeeperOptions as LoopOptions,
  liquidationRounds,
  type RoundHooks,
  type TickInput,
  type TickReport,
} from '../../../core/keeper/index.ts';
import type { BookTrader } from './book-trader.ts';
import type { RunContext } from './context.ts';
import type { Episodes } from './episodes.ts';
import type { KeeperOptions } from './types.ts';

export class CascadeRounds {
  /** Deepest liquidation whose take-over is still (partly) in the backstop's inventory. */
  private inventoryDepth = 0;
  /** Most rounds after one price update. */
  maxRoundsPerPoint = 0;
  /** Latency model: the time of the next exogenous point (rounds never run at or past it). */
  horizonMs = Number.POSITIVE_INFINITY;

  constructor(
    private readonly ctx: RunContext,
    private readonly finder: CandidateFinder,
    private readonly episodes: Episodes,
    private readonly trader: BookTrader,
    private readonly keeper: KeeperOptions,
    private readonly maxRounds: number,
    /** The oracle feed sets the mark: sales reach it at the next oracle tick (carried depth). */
    private readonly carry = false,
  ) {}

  /** Depth of the deepest liquidation sold since the last oracle tick + 1 (oracle feed only). */
  private carriedDepth = 0;

  /** Liquidation rounds after a price update at `updateMs` (exogenous or funding: depth 1). */
  run(updateMs: number): void {
    const r = liquidationRounds(this.ctx.engine, updateMs, this.options(), this.hooks(updateMs, 1));
    this.tally(r);
  }

  /**
   * A keeper tick with oracle observations (the engine's `oracle` command, the BTC collateral
   * following the guarded mark), then the rounds. Episodes found are one level deeper than the
   * sales that displaced the observations.
   */
  tick(input: TickInput, assetsFollowMarks: Record<string, string>): TickReport {
    const depth = Math.max(1, this.carriedDepth);
    this.carriedDepth = 0;
    const r = keeperTick(
      this.ctx.engine,
      input,
      { ...this.options(), assetsFollowMarks },
      this.hooks(input.timeMs, depth),
    );
    this.tally(r);
    return r;
  }

  private options(): LoopOptions {
    return { finder: this.finder, maxRounds: this.maxRounds };
  }

  /** When an episode found at `since` may be liquidated (latency model). */
  private dueAt(since: number): number {
    const l = this.keeper.latencyMs ?? 0;
    const b = this.keeper.blockMs;
    return b !== undefined && b > 0 ? (Math.floor((since + l) / b) + 1) * b : since + l;
  }

  private hooks(updateMs: number, firstDepth: number): RoundHooks {
    if (this.keeper.latencyMs !== undefined) return this.latencyHooks(updateMs, firstDepth);
    const { ctx, episodes, trader, keeper } = this;
    let depthOfNew = firstDepth;
    let sinceMs = updateMs;
    let at = updateMs + keeper.delayMs;
    return {
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
        const fillsBefore = trader.unloadFills;
        const moved = trader.unload(execAt);
        if (this.carry && trader.unloadFills > fillsBefore)
          this.carriedDepth = Math.max(this.carriedDepth, soldDepth + 1);
        if (!trader.holdsInventory()) this.inventoryDepth = 0;
        // New scopes were pushed over by this round's steps or by the sale of what earlier steps took.
        depthOfNew = Math.max(roundMaxDepth, moved ? soldDepth : 0) + 1;
        sinceMs = execAt;
        at = execAt + keeper.roundMs;
        return moved;
      },
    };
  }

  /** Rounds under the latency model: at the earliest due time, due episodes only, before the horizon. */
  private latencyHooks(updateMs: number, firstDepth: number): RoundHooks {
    const { ctx, episodes, trader, keeper } = this;
    let depthOfNew = firstDepth;
    let sinceMs = updateMs;
    let at = updateMs;
    return {
      onCandidates: (found) => episodes.track(found, sinceMs, depthOfNew),
      pending: () => trader.holdsInventory(),
      roundTime: () => {
        episodes.roundMaxDepth = 0;
        let due = Number.POSITIVE_INFINITY;
        for (const e of episodes.queue()) due = Math.min(due, this.dueAt(e.since));
        // Nothing due before the next point: the round only lets the backstop unload (at `at`).
        at = ctx.now(due < this.horizonMs ? Math.max(due, at) : at);
        return at;
      },
      select: () =>
        episodes
          .queue()
          .filter((e) => this.dueAt(e.since) <= at)
          .slice(0, keeper.maxPerRound),
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
        depthOfNew = Math.max(roundMaxDepth, moved ? soldDepth : 0) + 1;
        sinceMs = execAt;
        return moved;
      },
    };
  }

  private tally(r: { capped: boolean; rounds: number }): void {
    const { ctx } = this;
    if (r.capped) ctx.bump('ROUND_LIMIT');
    if (r.rounds > this.maxRoundsPerPoint) this.maxRoundsPerPoint = r.rounds;
  }
}
