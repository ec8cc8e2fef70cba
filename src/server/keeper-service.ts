/**
 * The keeper inside the service: after every committed command that can make accounts
 * liquidatable (prices, oracle steps, funding, expiry, a policy or market change), one keeper
 * pass runs the liquidation rounds of src/core/keeper/loop.ts — the finder lists the exactly
 * liquidatable scopes, held ones (paused market, oracle safe mode, unconfirmed move) are set
 * aside, each remaining one gets one `liquidate` step — until nothing is liquidatable or a
 * round changes nothing. The waterfall (partial, full, insurance, backstop, ADL) is the
 * engine's own, as in the library.
 *
 * The difference from the library loop is where the steps go: through the command sink, so
 * each step is journaled, group-committed and acknowledged like any client command (the
 * steps of a round are submitted together and share a commit). In `orders` mode the service
 * executes nothing and hands each liquidatable scope to `onOrders` instead (the venue's own
 * liquidator takes it from the event stream).
 *
 * Passes never overlap: triggers that arrive during a pass (a burst of prices) coalesce into
 * one more pass after it. Liquidation latency — from the commit of the triggering price event
 * to the commit of the liquidation — goes into `plimsoll_liquidation_latency_seconds`.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { Engine } from '../core/engine/engine.ts';
import type { EventType, Sequenced } from '../core/engine/events.ts';
import {
  type CandidateFinder,
  isHeld,
  type LiquidationCandidate,
  liquidateFields,
} from '../core/keeper/index.ts';
import type { SubaccountRef } from '../core/model/engine-config.ts';
import { RiskBookFinder } from '../riskbook/index.ts';
import type { CommandSink } from './command-sink.ts';

/** Events after which accounts may have become liquidatable. */
export const TRIGGER_EVENTS: ReadonlySet<EventType> = new Set<EventType>([
  'prices_updated',
  'oracle_stepped',
  'oracle_transition',
  'funding_settled',
  'expiry_settled',
  'loss_socialized',
  'market_configured',
  'asset_configured',
  'policy_set',
  'portfolio_model_set',
  'market_paused',
  'safe_mode_forced',
]);

/** A liquidatable scope handed to the venue's liquidator (`orders` mode). */
export interface LiquidationOrder {
  readonly subaccount: SubaccountRef;
  readonly isolatedMarket?: string;
  /** Engine time at which it was found liquidatable. */
  readonly timeMs: number;
}

export interface KeeperServiceOptions {
  /** 'execute': liquidate through the sink (default); 'orders': only report liquidatable scopes. */
  readonly mode?: 'execute' | 'orders';
  /** Builds the finder for an engine (rebuilt when the sink reopens its engine). Default: the risk book. */
  readonly finder?: (engine: Engine) => CandidateFinder;
  /** Rounds per pass (default 50); a capped pass is followed by another. */
  readonly maxRounds?: number;
  /** Liquidator named on each step (default: the engine's backstop). */
  readonly liquidator?: SubaccountRef;
  /** `orders` mode: receives the liquidatable scopes of each pass. */
  readonly onOrders?: (orders: readonly LiquidationOrder[]) => void;
  /** The server's registry (latency histogram, step counter). */
  readonly registry?: Registry;
  /** Reports a pass that failed (a commit error); the next trigger retries. */
  readonly onError?: (error: unknown) => void;
  /** Monotonic seconds (tests inject it). */
  readonly now?: () => number;
  /**
   * The venue's clock (ms since the epoch): liquidations carry max(engine time, clock), so a
   * move the oracle holds as unconfirmed can be confirmed by time passing. Without it (a replay
   * of market time) they carry the engine's time.
   */
  readonly clock?: () => number;
  /** While scopes are held (unconfirmed move, safe mode), look again after this long (default 500 ms). */
  readonly holdRetryMs?: number;
}

/** What the keeper did so far (tests, the replay driver's log). */
export interface KeeperStats {
  passes: number;
  steps: number;
  rejected: Record<string, number>;
  orders: number;
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function metric<T>(registry: Registry | undefined, name: string, make: () => T): T | undefined {
  if (!registry) return undefined;
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

export class KeeperService {
  readonly stats: KeeperStats = { passes: 0, steps: 0, rejected: {}, orders: 0 };
  private running: Promise<void> | undefined;
  private dirty = false;
  /** Commit time (s) of the earliest trigger not yet covered by a finished pass. */
  private triggeredAt: number | undefined;
  private finder: CandidateFinder | undefined;
  private finderEngine: Engine | undefined;
  private readonly unsubscribe: () => void;
  private stopped = false;
  private readonly latency: Histogram | undefined;
  private readonly stepsCounter: Counter | undefined;
  private readonly now: () => number;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly sink: CommandSink,
    private readonly opts: KeeperServiceOptions = {},
  ) {
    this.now = opts.now ?? (() => performance.now() / 1000);
    this.latency = metric(
      opts.registry,
      'plimsoll_liquidation_latency_seconds',
      () =>
        new Histogram({
          name: 'plimsoll_liquidation_latency_seconds',
          help: 'From the commit of a price (oracle, funding) event to the commit of a liquidation it caused',
          buckets: LATENCY_BUCKETS,
          registers: opts.registry ? [opts.registry] : [],
        }),
    );
    this.stepsCounter = metric(
      opts.registry,
      'plimsoll_liquidation_steps_total',
      () =>
        new Counter({
          name: 'plimsoll_liquidation_steps_total',
          help: 'Liquidation steps committed by the keeper, by mode',
          labelNames: ['mode'],
          registers: opts.registry ? [opts.registry] : [],
        }),
    );
    this.unsubscribe = sink.onCommitted((events) => this.onCommitted(events));
  }

  /** Runs a pass now (startup: accounts may already be liquidatable). */
  trigger(): void {
    this.triggeredAt ??= this.now();
    this.dirty = true;
    this.schedule();
  }

  /** Resolves when no pass is running or pending. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Stops reacting to commits and waits for the running pass. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.idle();
  }

  private onCommitted(events: readonly Sequenced[]): void {
    if (this.stopped) return;
    for (const e of events) {
      if (TRIGGER_EVENTS.has(e.type)) {
        this.trigger();
        return;
      }
    }
  }

  private schedule(): void {
    if (this.running || this.stopped) return;
    this.running = (async () => {
      try {
        // Not inside the commit's listeners: the finder (an event-fed index) syncs first, and a
        // burst of commits in the same turn coalesces into one pass.
        await new Promise((r) => setImmediate(r));
        while (this.dirty && !this.stopped) {
          this.dirty = false;
          const since = this.triggeredAt;
          this.triggeredAt = undefined;
          try {
            await this.pass(since);
          } catch (e) {
            this.opts.onError?.(e);
          }
        }
      } finally {
        this.running = undefined;
      }
    })();
  }

  private currentFinder(): CandidateFinder {
    const engine = this.sink.engine;
    if (!this.finder || this.finderEngine !== engine) {
      this.finder = (this.opts.finder ?? ((e: Engine) => new RiskBookFinder(e)))(engine);
      this.finderEngine = engine;
    }
    return this.finder;
  }

  /** One pass: liquidation rounds until nothing is liquidatable, nothing changes, or the cap. */
  private async pass(triggeredAt: number | undefined): Promise<void> {
    this.stats.passes++;
    const maxRounds = this.opts.maxRounds ?? 50;
    for (let round = 0; round < maxRounds; round++) {
      const state = this.sink.engine.state;
      const timeMs = Math.max(state.timeMs, this.opts.clock?.() ?? 0);
      const found = this.currentFinder().liquidatable(state);
      const ready = found.filter((c) => !isHeld(state, c, timeMs));
      if (ready.length < found.length) this.retryLater(triggeredAt);
      if (ready.length === 0) return;
      if (this.opts.mode === 'orders') {
        this.stats.orders += ready.length;
        this.opts.onOrders?.(ready.map((c) => orderOf(c, timeMs)));
        return;
      }
      // The steps of a round go to the sink together: they share a group commit.
      const results = await Promise.all(
        ready.map((c) =>
          this.sink.submit({
            type: 'liquidate',
            ...liquidateFields(c),
            ...(this.opts.liquidator ? { liquidator: this.opts.liquidator } : {}),
            timeMs,
          }),
        ),
      );
      const committedAt = this.now();
      let progressed = false;
      for (const r of results) {
        if (!r.ok) {
          this.stats.rejected[r.rejection.code] = (this.stats.rejected[r.rejection.code] ?? 0) + 1;
          continue;
        }
        progressed = true;
        this.stats.steps++;
        for (const e of r.events) {
          if (e.type !== 'liquidation_completed') continue;
          this.stepsCounter?.inc({ mode: e.mode });
          if (triggeredAt !== undefined) this.latency?.observe(Math.max(0, committedAt - triggeredAt));
        }
      }
      if (!progressed) return;
    }
    // capped: another pass picks up what is left
    this.dirty = true;
    this.triggeredAt ??= triggeredAt;
  }

  /** Held scopes: another pass later (the latency still counts from the original trigger). */
  private retryLater(triggeredAt: number | undefined): void {
    if (this.retryTimer || this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (triggeredAt !== undefined)
        this.triggeredAt = Math.min(this.triggeredAt ?? triggeredAt, triggeredAt);
      this.trigger();
    }, this.opts.holdRetryMs ?? 500);
    this.retryTimer.unref?.();
  }
}

function orderOf(c: LiquidationCandidate, timeMs: number): LiquidationOrder {
  const f = liquidateFields(c);
  return {
    subaccount: f.subaccount,
    ...(f.isolatedMarket === undefined ? {} : { isolatedMarket: f.isolatedMarket }),
    timeMs,
  };
}
