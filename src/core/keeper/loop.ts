/**
 * The keeper loop: one tick of a venue's liquidation keeper, the same for the demo, the risk
 * lab and a live service — only the finder, the inputs and the hooks differ.
 *
 * A tick at time t:
 * 1. **prices** — each market's raw observations go to the engine's `oracle` command (the
 *    guarded index and mark, the breaker, safe mode); drivers that only have marks send
 *    `prices` commands instead. Collateral assets that follow a market (`assetsFollowMarks`)
 *    are then set to that market's new mark with a `prices` command.
 * 2. **rounds** — the finder lists the exactly liquidatable scopes; those whose markets are
 *    paused or in oracle safe mode are set aside (the engine would refuse them: the loop must
 *    not spin on them); each remaining one gets one `liquidate` step. Rounds repeat until
 *    nothing is liquidatable, a round changes nothing, or the cap (`maxRounds`, `maxSteps`)
 *    stops it.
 *
 * Pure: no I/O, clock or randomness — time arrives with the tick, the engine is a port.
 * Hooks let a driver add what happens between rounds (the lab's backstop selling into its
 * book model), pick and order the steps of a round, and attribute each step.
 */
import { type Scope, viewOf } from '../account/figures.ts';
import type { Rejection } from '../engine/errors.ts';
import type { Sequenced } from '../engine/events.ts';
import { liquidationHold } from '../engine/price-trust.ts';
import type { SubaccountRef } from '../model/engine-config.ts';
import { type ReadonlyEngineState, subaccountKey } from '../model/state.ts';
import { formatDecimal, PRICE_DECIMALS } from '../num/index.ts';
import type { OracleInputRaw } from '../oracle/index.ts';
import { type CandidateFinder, type LiquidationCandidate, liquidateFields } from './finder.ts';

/** The part of the Engine the keeper uses (a port: the engine, or a wrapper around it). */
export type ExecuteResult = { ok: true; events: Sequenced[] } | { ok: false; rejection: Rejection };

export interface KeeperEngine {
  readonly state: ReadonlyEngineState;
  execute(input: unknown): ExecuteResult;
}

/** What arrives at one tick. */
export interface TickInput {
  /** ms since the epoch; commands of the tick carry it (never before the engine's clock). */
  readonly timeMs: number;
  /** Raw oracle observations per market (markets with an oracle configured). */
  readonly observations?: readonly { readonly market: string; readonly inputs: readonly OracleInputRaw[] }[];
  /** `prices` commands for drivers that only have marks (sent in order, after the oracle steps). */
  readonly prices?: readonly {
    readonly marks?: Readonly<Record<string, string>>;
    readonly assets?: Readonly<Record<string, string>>;
  }[];
}

export type StepMode = 'partial' | 'full' | 'bankrupt' | 'backstop';

export interface RoundHooks {
  /**
   * The time of round `round` (0-based); default: the tick's time. Called once per round,
   * in order, so a driver can model keeper delay and per-round processing time.
   */
  roundTime?(round: number): number;
  /** Sees the round's actionable candidates before any step (e.g. to track episodes). */
  onCandidates?(candidates: readonly LiquidationCandidate[], round: number): void;
  /** Work left even with no candidates (e.g. inventory still to sell); default false. */
  pending?(): boolean;
  /** Picks and orders the steps of a round (default: all, in the finder's order). */
  select?(candidates: readonly LiquidationCandidate[]): readonly LiquidationCandidate[];
  /** Around each `liquidate` command (attribution of events to the step). */
  beforeStep?(c: LiquidationCandidate): void;
  afterStep?(c: LiquidationCandidate, result: ExecuteResult): void;
  /** After a round's steps at `timeMs`; returns true when it moved prices (so another round may help). */
  afterRound?(timeMs: number, round: number): boolean;
}

export interface KeeperOptions {
  readonly finder: CandidateFinder;
  /** Bound on rounds per tick. */
  readonly maxRounds: number;
  /** Bound on liquidation steps per tick (default: none). */
  readonly maxSteps?: number;
  /** Liquidator named on each step (default: the engine's backstop). */
  readonly liquidator?: SubaccountRef;
  /** Collateral asset → market whose mark it follows after the oracle steps (e.g. BTC → BTC-PERP). */
  readonly assetsFollowMarks?: Readonly<Record<string, string>>;
}

/** What one tick did. */
export interface TickReport {
  readonly timeMs: number;
  /** Oracle steps and `prices` commands sent. */
  readonly priceCommands: number;
  /** Price commands the engine refused, by code (the tick goes on with the previous prices). */
  readonly priceRejected: Record<string, number>;
  /** Liquidation steps by the engine's `liquidation_completed` mode. */
  readonly steps: Record<StepMode, number>;
  readonly rounds: number;
  /** True when maxRounds or maxSteps stopped the tick (it used all its rounds or steps). */
  readonly capped: boolean;
  /** Refused `liquidate` commands by code. */
  readonly rejected: Record<string, number>;
  /** Liquidatable scopes set aside (last round): a market of theirs is paused or in safe mode, or the move is unconfirmed. */
  readonly held: number;
}

const bump = (m: Record<string, number>, code: string) => {
  m[code] = (m[code] ?? 0) + 1;
};

/**
 * True when the engine would refuse to liquidate this scope at `nowMs`: a market of its is paused
 * or in oracle safe mode, or (with `nowMs`) the oracle holds the move that made it liquidatable
 * until the move is confirmed (the engine's own `liquidationHold`, so the keeper and the engine
 * cannot disagree). Held scopes are set aside for the tick instead of being retried every round.
 */
export function isHeld(
  state: ReadonlyEngineState,
  c: { ref: SubaccountRef; scope: Scope },
  nowMs?: number,
): boolean {
  const sub = state.subaccounts.get(subaccountKey(c.ref));
  if (!sub) return false;
  const view = viewOf(state, sub, c.scope);
  for (const p of view.positions) {
    const m = state.markets.get(p.market);
    if (m && (m.liquidationsPaused || m.safeModeForced || m.oracle?.state.safeMode.active === true))
      return true;
  }
  return nowMs !== undefined && liquidationHold(state, view, Math.max(nowMs, state.timeMs)) !== null;
}

/**
 * One tick: prices (oracle steps / `prices` commands), then liquidation rounds.
 *
 * @example
 * const report = keeperTick(engine, { timeMs, observations: [{ market: 'BTC-PERP', inputs }] },
 *                           { finder: exactScan, maxRounds: 50, assetsFollowMarks: { BTC: 'BTC-PERP' } });
 * report.steps.partial; // liquidation steps this tick
 */
export function keeperTick(
  engine: KeeperEngine,
  input: TickInput,
  opts: KeeperOptions,
  hooks: RoundHooks = {},
): TickReport {
  const timeMs = Math.max(input.timeMs, engine.state.timeMs);
  const priceRejected: Record<string, number> = {};
  let priceCommands = 0;
  const send = (c: Record<string, unknown>) => {
    priceCommands++;
    const r = engine.execute(c);
    if (!r.ok) bump(priceRejected, r.rejection.code);
  };
  for (const o of input.observations ?? []) {
    send({ type: 'oracle', market: o.market, timeMs, inputs: o.inputs });
  }
  if (input.observations?.length && opts.assetsFollowMarks) {
    const assets: Record<string, string> = {};
    const st = engine.state;
    for (const [asset, market] of Object.entries(opts.assetsFollowMarks)) {
      const mark = st.markets.get(market)?.markPx8;
      if (mark !== undefined && st.assetPricesPx8.get(asset) !== mark)
        assets[asset] = formatDecimal(mark, PRICE_DECIMALS);
    }
    if (Object.keys(assets).length > 0) send({ type: 'prices', timeMs, assets });
  }
  for (const p of input.prices ?? []) send({ type: 'prices', timeMs, ...p });
  const r = liquidationRounds(engine, timeMs, opts, hooks);
  return { timeMs, priceCommands, priceRejected, ...r };
}

/**
 * Liquidation rounds at `timeMs` (the second half of a tick; a driver that moved prices itself,
 * or a funding tick, calls this alone).
 */
export function liquidationRounds(
  engine: KeeperEngine,
  timeMs: number,
  opts: KeeperOptions,
  hooks: RoundHooks = {},
): Omit<TickReport, 'timeMs' | 'priceCommands' | 'priceRejected'> {
  const steps: Record<StepMode, number> = { partial: 0, full: 0, bankrupt: 0, backstop: 0 };
  const rejected: Record<string, number> = {};
  const maxSteps = opts.maxSteps ?? Number.POSITIVE_INFINITY;
  let total = 0;
  let held = 0;
  let capped = false;
  let rounds = 0;
  for (; ; rounds++) {
    if (rounds >= opts.maxRounds || total >= maxSteps) {
      capped = true;
      break;
    }
    const found = opts.finder.liquidatable(engine.state);
    // Held is judged at the tick's time; a scope the engine still refuses at the round's time is
    // counted in `rejected`.
    const ready = found.filter((c) => !isHeld(engine.state, c, timeMs));
    held = found.length - ready.length;
    hooks.onCandidates?.(ready, rounds);
    if (ready.length === 0 && !(hooks.pending?.() ?? false)) break;
    const at = Math.max(hooks.roundTime?.(rounds) ?? timeMs, engine.state.timeMs);
    let batch = hooks.select ? hooks.select(ready) : ready;
    if (total + batch.length > maxSteps) batch = batch.slice(0, maxSteps - total);
    let progressed = false;
    for (const c of batch) {
      hooks.beforeStep?.(c);
      const r = engine.execute({
        type: 'liquidate',
        ...liquidateFields(c),
        ...(opts.liquidator ? { liquidator: opts.liquidator } : {}),
        timeMs: at,
      });
      if (r.ok) {
        progressed = true;
        total++;
        for (const e of r.events) if (e.type === 'liquidation_completed') steps[e.mode]++;
      } else bump(rejected, r.rejection.code);
      hooks.afterStep?.(c, r);
    }
    const moved = hooks.afterRound?.(at, rounds) ?? false;
    if (!progressed && !moved) break;
  }
  return { steps, rounds, capped, rejected, held };
}
