/**
 * The demo's guarded prices: a crash day's real multi-source observations (feeds/crash-replay.ts:
 * Binance COIN-M mark 1m, Binance USDⓈ-M 5m, Gemini spot trades, Binance book depth) as keeper
 * ticks, and the facts of what the engine's oracle made of them — the guarded mark's low, the
 * breaker, safe mode (liquidations held), the index dropping out — read from the engine's events.
 *
 * Only days with several sources have a feed (ORACLE_REPLAY_DAYS); other crash windows are a
 * single kline series and the demo sets their marks with `prices` commands.
 */
import type { CommandInput } from '../core/engine/commands.ts';
import type { Sequenced } from '../core/engine/events.ts';
import type { TickReport } from '../core/keeper/index.ts';
import type { ReadonlyEngineState } from '../core/model/state.ts';
import { formatDecimal } from '../core/num/index.ts';
import {
  crashOracleConfig,
  loadCrashObservations,
  ORACLE_REPLAY_DAYS,
  type OracleReplayDay,
  REPLAY_SOURCES,
  type ReplayStep,
  replaySteps,
} from './feeds/crash-replay.ts';

export interface SafeModePeriod {
  readonly from: string;
  /** null: still in safe mode at the end of the window. */
  readonly to: string | null;
  readonly seconds: number | null;
}

export interface OracleFacts {
  readonly sources: readonly string[];
  /** Observations fed (prices, trades, book snapshots) and oracle steps (ticks) they made. */
  readonly inputs: number;
  readonly steps: number;
  /** Oracle commands the engine refused (by code). */
  readonly refused: Record<string, number>;
  /** The lowest guarded mark and when. */
  readonly markLow: string;
  readonly markLowAt: string;
  readonly safeMode: { readonly entered: number; readonly periods: readonly SafeModePeriod[] };
  readonly breaker: { readonly trips: number; readonly releases: number };
  /** Times the index became unreliable (too few sources agreeing). */
  readonly indexUnreliable: number;
  /** Ticks at which liquidatable scopes waited for safe mode to end, and the most at once. */
  readonly held: { readonly ticks: number; readonly maxScopes: number };
}

export function hasOracleFeed(crash: string): crash is OracleReplayDay {
  return (ORACLE_REPLAY_DAYS as readonly string[]).includes(crash);
}

const isoSecond = (ms: number) => `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;

/** The `set_oracle` command that gives `market` the crash replay's oracle (median mark). */
export function setOracleCommand(market: string): CommandInput {
  return { type: 'set_oracle', config: crashOracleConfig('median', market) } as CommandInput;
}

export class OracleFeed {
  readonly steps: readonly ReplayStep[];
  private inputs = 0;
  private readonly refused: Record<string, number> = {};
  private markLow: bigint | undefined;
  private markLowAt = 0;
  private readonly periods: { from: number; to: number | null }[] = [];
  private trips = 0;
  private releases = 0;
  private unreliable = 0;
  private heldTicks = 0;
  private maxHeld = 0;

  /**
   * Ticks for [fromMs, toMs]: one per distinct observation time plus one at every whole minute.
   * Subscribes to `engine` events for the oracle's transitions.
   */
  constructor(
    day: OracleReplayDay,
    fromMs: number,
    toMs: number,
    private readonly market: string,
    private readonly engine: {
      readonly state: ReadonlyEngineState;
      onEvents(l: (events: readonly Sequenced[]) => void): () => void;
    },
  ) {
    this.steps = replaySteps(loadCrashObservations(day), 60_000, { fromMs, toMs }).filter(
      (s) => s.nowMs >= fromMs,
    );
    engine.onEvents((events) => {
      for (const e of events) {
        if (e.type !== 'oracle_transition' || e.market !== market) continue;
        const t = e.transition;
        if (t.type === 'safe_mode_entered') this.periods.push({ from: t.timeMs, to: null });
        else if (t.type === 'safe_mode_exited') {
          const open = this.periods[this.periods.length - 1];
          if (open && open.to === null) open.to = t.timeMs;
        } else if (t.type === 'breaker_tripped') this.trips++;
        else if (t.type === 'breaker_released') this.releases++;
        else if (t.type === 'index_unreliable') this.unreliable++;
      }
    });
  }

  /** Call once the oracle is configured: a new oracle starts in safe mode until its index is healthy. */
  start(timeMs: number): void {
    if (this.engine.state.markets.get(this.market)?.oracle?.state.safeMode.active)
      this.periods.push({ from: timeMs, to: null });
  }

  /** Records one tick's outcome (after keeperTick). */
  observe(nowMs: number, inputs: number, tick: TickReport): void {
    this.inputs += inputs;
    for (const [code, n] of Object.entries(tick.priceRejected))
      this.refused[code] = (this.refused[code] ?? 0) + n;
    if (tick.held > 0) {
      this.heldTicks++;
      if (tick.held > this.maxHeld) this.maxHeld = tick.held;
    }
    const mark = this.engine.state.markets.get(this.market)?.markPx8;
    if (mark !== undefined && (this.markLow === undefined || mark < this.markLow)) {
      this.markLow = mark;
      this.markLowAt = nowMs;
    }
  }

  facts(): OracleFacts {
    return {
      sources: [...REPLAY_SOURCES, 'binance-usdm-book'],
      inputs: this.inputs,
      steps: this.steps.length,
      refused: { ...this.refused },
      markLow: this.markLow === undefined ? '' : formatDecimal(this.markLow, 8),
      markLowAt: isoSecond(this.markLowAt),
      safeMode: {
        entered: this.periods.length,
        periods: this.periods.map((p) => ({
          from: isoSecond(p.from),
          to: p.to === null ? null : isoSecond(p.to),
          seconds: p.to === null ? null : (p.to - p.from) / 1000,
        })),
      },
      breaker: { trips: this.trips, releases: this.releases },
      indexUnreliable: this.unreliable,
      held: { ticks: this.heldTicks, maxScopes: this.maxHeld },
    };
  }
}
