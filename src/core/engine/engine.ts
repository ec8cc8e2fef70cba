/**
 * The engine: validated commands in, sequenced events out, state = fold(events).
 * Journaling goes through a port (the store adapters implement it), so the core
 * stays free of I/O. A rejected command returns a Rejection and changes nothing.
 *
 * @example
 * const engine = Engine.create(config);                  // in memory
 * engine.execute({ type: 'deposit', to: { account: 'alice' }, asset: 'USDC', amount: '1000' });
 * const r = engine.execute({ type: 'fill', market: 'BTC-PERP', buyer: { account: 'alice' },
 *                            seller: { account: 'bob' }, size: '0.1', price: '60000' });
 * if (!r.ok) console.log(r.rejection.code);
 */
import { z } from 'zod';
import type { Scope } from '../account/figures.ts';
import { exactLiquidatable } from '../liquidation/exact-scan.ts';
import { type EngineConfig, EngineConfigSchema, type SubaccountRef } from '../model/engine-config.ts';
import type { EngineState, ReadonlyEngineState } from '../model/state.ts';
import { InvariantError } from '../num/index.ts';
import { decodeEvent, decodeSnapshot, encodeEvent, encodeSnapshot, stateHash } from './codec.ts';
import { type Command, CommandSchema } from './commands.ts';
import { CommandContext } from './context.ts';
import { RejectedError, type Rejection } from './errors.ts';
import type { EngineEvent, Sequenced } from './events.ts';
import { evolve, initialState } from './evolve.ts';
import * as h from './handlers.ts';
import { borrow } from './liquidation/lending.ts';
import { liquidate } from './liquidation/liquidate.ts';

/** The journal port (implemented by src/store: SQLite, in-memory). */
export interface JournalPort {
  append(events: readonly { seq: number; type: string; json: string }[]): void;
  read(afterSeq?: number): IterableIterator<{ seq: number; type: string; json: string }>;
  lastSeq(): number;
  saveSnapshot(snapshot: { seq: number; json: string }): void;
  latestSnapshot(): { seq: number; json: string } | undefined;
}

export type ExecuteResult = { ok: true; events: Sequenced[] } | { ok: false; rejection: Rejection };

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export class EngineRejectedError extends Error {
  override name = 'EngineRejectedError';
  constructor(readonly rejection: Rejection) {
    super(`${rejection.code}: ${rejection.message}`);
  }
}

export function parseEngineConfig(input: unknown): EngineConfig {
  const r = EngineConfigSchema.safeParse(input);
  if (!r.success) throw new ConfigError(`invalid engine config: ${z.prettifyError(r.error)}`);
  return r.data;
}

type Listener = (events: readonly Sequenced[]) => void;

export class Engine {
  private readonly listeners: Listener[] = [];

  private constructor(
    private readonly st: EngineState,
    private readonly journal: JournalPort | undefined,
  ) {}

  /** A new engine; with a journal, the journal must be empty and receives the configuration as event 1. */
  static create(configInput: unknown, opts: { journal?: JournalPort } = {}): Engine {
    const config = parseEngineConfig(configInput);
    const journal = opts.journal;
    if (journal && journal.lastSeq() > 0)
      throw new ConfigError('journal is not empty: use Engine.open to resume it');
    const engine = new Engine(initialState(config), journal);
    engine.record([{ type: 'engine_configured', config }]);
    return engine;
  }

  /** Resumes from a journal: latest snapshot (if any), then every later event. */
  static open(journal: JournalPort): Engine {
    const snap = journal.latestSnapshot();
    let state: EngineState;
    let after: number;
    if (snap) {
      state = decodeSnapshot(snap.json);
      after = snap.seq;
    } else {
      const it = journal.read(0);
      const first = it.next();
      it.return?.(); // close the cursor: SQLite keeps the statement busy otherwise
      if (first.done) throw new ConfigError('journal is empty: use Engine.create');
      const e = decodeEvent(first.value.json);
      if (e.type !== 'engine_configured')
        throw new InvariantError('journal does not start with engine_configured');
      state = initialState(e.config);
      state.seq = first.value.seq;
      after = first.value.seq;
    }
    for (const rec of journal.read(after)) {
      if (rec.seq !== state.seq + 1) throw new InvariantError(`journal gap at ${rec.seq}`);
      evolve(state, decodeEvent(rec.json));
      state.seq = rec.seq;
    }
    return new Engine(state, journal);
  }

  /** Replays events (already decoded) onto a fresh state: used to check journals and snapshots. */
  static replay(events: Iterable<EngineEvent>): EngineState {
    let state: EngineState | undefined;
    for (const e of events) {
      if (!state) {
        if (e.type !== 'engine_configured')
          throw new InvariantError('replay must start with engine_configured');
        state = initialState(e.config);
        state.seq = 1;
        continue;
      }
      evolve(state, e);
      state.seq += 1;
    }
    if (!state) throw new InvariantError('nothing to replay');
    return state;
  }

  /** The current state, read-only: change it with commands. */
  get state(): ReadonlyEngineState {
    return this.st;
  }

  /** Calls `listener` with every accepted command's sequenced events; returns an unsubscribe function. */
  onEvents(listener: Listener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  execute(input: unknown): ExecuteResult {
    const parsed = CommandSchema.safeParse(input);
    if (!parsed.success) {
      return { ok: false, rejection: { code: 'MALFORMED_COMMAND', message: z.prettifyError(parsed.error) } };
    }
    const ctx = new CommandContext(this.st);
    try {
      dispatch(ctx, parsed.data);
    } catch (e) {
      if (e instanceof RejectedError) {
        if (ctx.events.length > 0) throw new InvariantError(`rejected after emitting: ${e.message}`);
        return { ok: false, rejection: e.rejection };
      }
      throw e;
    }
    return { ok: true, events: this.sequence(ctx.events) };
  }

  /** Like execute, but throws EngineRejectedError on rejection. */
  executeOrThrow(input: unknown): Sequenced[] {
    const r = this.execute(input);
    if (!r.ok) throw new EngineRejectedError(r.rejection);
    return r.events;
  }

  /** Scopes whose exact figures say equity < MM, in subaccount order (the keeper's exact scan). */
  liquidatable(): { ref: SubaccountRef; scope: Scope }[] {
    return exactLiquidatable(this.st);
  }

  stateHash(): string {
    return stateHash(this.st);
  }

  /** Writes a snapshot of the current state to the journal. */
  snapshot(): void {
    if (!this.journal) throw new InvariantError('no journal to snapshot to');
    this.journal.saveSnapshot({ seq: this.st.seq, json: encodeSnapshot(this.st) });
  }

  private record(events: EngineEvent[]): void {
    // engine_configured is folded by initialState, so it is only sequenced and journaled.
    this.sequence(events);
  }

  private sequence(events: EngineEvent[]): Sequenced[] {
    const out: Sequenced[] = events.map((e, i) => ({ ...e, seq: this.st.seq + 1 + i }));
    this.st.seq += events.length;
    if (this.journal && out.length > 0) {
      this.journal.append(out.map((e) => ({ seq: e.seq, type: e.type, json: encodeEvent(strip(e)) })));
    }
    for (const l of this.listeners) l(out);
    return out;
  }
}

function strip(e: Sequenced): EngineEvent {
  const { seq: _seq, ...rest } = e;
  return rest as EngineEvent;
}

type Handler<T extends Command['type']> = (ctx: CommandContext, c: Extract<Command, { type: T }>) => void;

/** One handler per command type; the mapped type makes a missing one a compile error. */
const HANDLERS: { [T in Command['type']]: Handler<T> } = {
  deposit: h.deposit,
  withdraw: h.withdraw,
  transfer: h.transfer,
  fund_insurance: h.fundInsurance,
  set_margin_mode: h.setMarginMode,
  set_leverage: h.setLeverage,
  set_portfolio_margin: h.setPortfolioMargin,
  adjust_isolated_margin: h.adjustIsolatedMargin,
  fill: h.fill,
  prices: h.prices,
  funding_tick: h.fundingTick,
  settle_expiry: h.settleExpiry,
  liquidate,
  borrow,
  oracle: h.oracle,
  set_oracle: h.setOracle,
  set_market: h.setMarket,
  set_asset: h.setAsset,
  pause_liquidations: h.pauseLiquidations,
  set_policy: h.setPolicy,
};

function dispatch(ctx: CommandContext, c: Command): void {
  (HANDLERS[c.type] as Handler<Command['type']>)(ctx, c);
}
