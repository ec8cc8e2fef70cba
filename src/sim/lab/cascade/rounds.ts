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
 * Anti-cascade mechanisms (../mechanisms.ts) act here: the throttle and the breaker choose which
 * due episodes a round sends (`gate`), the breaker also pauses the backstop's unload, and
 * `afterUnload` lets the dynamic penalty look at the book after each round.
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
import { subaccountKey } from '../../../core/model/state.ts';
import { MARKET } from '../../venue.ts';
import type { AntiCascadeMechanism } from '../mechanisms.ts';
import type { BookTrader } from './book-trader.ts';
import type { RunContext } from './context.ts';
import type { Episode, Episodes } from './episodes.ts';
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
    private readonly mechanism?: AntiCascadeMechanism,
    /** Called after each round's unload (the dynamic penalty's look at the book). */
    private readonly afterUnload?: (timeMs: number) => void,
  ) {}

  /** Breaker: liquidations and unload pause until then; it re-arms for scopes found after it. */
  private pausedUntil = Number.NEGATIVE_INFINITY;
  private rearmedFrom = Number.NEGATIVE_INFINITY;
  /** Mechanism facts: breaker trips, steps the throttle held back (per round, counted each time). */
  breakerTrips = 0;
  throttleHeld = 0;

  /** The episodes a round at `at` sends: the queue (due, oldest first) through the breaker and the throttle. */
  private gate(queue: readonly Episode[], at: number): Episode[] {
    const m = this.mechanism;
    const b = m?.breaker;
    if (b) {
      if (at < this.pausedUntil) return [];
      if (queue.some((e) => e.depth > b.maxDepth && e.since >= this.rearmedFrom)) {
        this.pausedUntil = at + b.pauseMs;
        this.rearmedFrom = this.pausedUntil;
        this.breakerTrips++;
        return [];
      }
    }
    const q = queue.slice(0, this.keeper.maxPerRound);
    return m?.throttle ? this.throttle(q, at, m.throttle.slippage) : q;
  }

  /** Depth-aware throttling: positions that fit in the book's room within `slippage` (see ../mechanisms.ts). */
  private throttle(q: readonly Episode[], at: number, slippage: number): Episode[] {
    const { ctx, trader } = this;
    ctx.book.advance(at);
    const inv = Number(trader.inventoryQty()) / 1e9;
    const room = {
      sell: ctx.book.roomTo('sell', slippage) - Math.max(0, inv),
      buy: ctx.book.roomTo('buy', slippage) - Math.max(0, -inv),
    };
    const out: Episode[] = [];
    for (const e of q) {
      const size = ctx.state.subaccounts.get(subaccountKey(e.ref))?.positions.get(MARKET)?.size ?? 0n;
      const need = Math.abs(Number(size) / 1e9);
      // The backstop takes a long over and sells it; a short, it buys back.
      const side = size > 0n ? 'sell' : 'buy';
      // The first queued step goes when the backstop holds nothing: one position larger than the
      // book's room cannot block the queue for ever.
      if (need <= room[side] || (out.length === 0 && inv === 0 && e === q[0])) {
        out.push(e);
        room[side] -= need;
      } else this.throttleHeld++;
    }
    return out;
  }

  /** Whether the breaker pauses the unload at `t`. */
  private unloadPaused(t: number): boolean {
    return t < this.pausedUntil;
  }

  private unload(t: number): boolean {
    const moved = this.unloadPaused(t) ? false : this.trader.unload(t);
    this.afterUnload?.(t);
    return moved;
  }

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
      select: () => this.gate(episodes.queue(), ctx.now(at)),
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
        const moved = this.unload(execAt);
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
    const { ctx, episodes, trader } = this;
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
        this.gate(
          episodes.queue().filter((e) => this.dueAt(e.since) <= at),
          at,
        ),
      beforeStep: (c) => episodes.begin(c),
      afterStep: (_c, res) => {
        if (!res.ok) ctx.bump(res.rejection.code);
        episodes.end(res.ok);
      },
      afterRound: (execAt) => {
        const roundMaxDepth = episodes.roundMaxDepth;
        if (roundMaxDepth > this.inventoryDepth) this.inventoryDepth = roundMaxDepth;
        const soldDepth = this.inventoryDepth;
        const moved = this.unload(execAt);
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
