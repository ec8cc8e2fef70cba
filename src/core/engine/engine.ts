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
import { invalidateAllFigures } from '../account/figures-cache.ts';
import { dropBankTotals } from '../collateral/bank-totals.ts';
import { exactLiquidatable } from '../liquidation/exact-scan.ts';
import { type EngineConfig, EngineConfigSchema, type SubaccountRef } from '../model/engine-config.ts';
import type { EngineState, ReadonlyEngineState } from '../model/state.ts';
import { InvariantError } from '../num/index.ts';
import { RESERVED_KEYS } from '../num/schema.ts';
import {
  decodeEvent,
  decodeSnapshot,
  encodeEvent,
  encodeSnapshot,
  stateHash,
  textHash,
  toJson,
} from './codec.ts';
import { type Command, CommandSchema, MAX_PRICE_ENTRIES } from './commands.ts';
import { CommandContext } from './context.ts';
import { RejectedError, type Rejection, type RejectionCode, reject } from './errors.ts';
import type { EngineEvent, Sequenced } from './events.ts';
import { evolve, initialState } from './evolve.ts';
import { parseFillFast } from './fast-commands.ts';
import * as h from './handlers.ts';
import { accrueInterest } from './interest.ts';
import { adlLeg } from './liquidation/adl-leg.ts';
import { settleClearing } from './liquidation/clearing-settle.ts';
import { borrow, setEMode } from './liquidation/lending.ts';
import { liquidate } from './liquidation/liquidate.ts';
import { checkOrder, type OrderCheck, type OrderCheckInput } from './order-check.ts';
import * as orders from './orders.ts';
import { trimReduceOnlyAfterTrades } from './orders.ts';

/** The journal port (implemented by src/store: SQLite, in-memory). */
export interface JournalPort {
  append(events: readonly { seq: number; type: string; json: string }[]): void;
  read(afterSeq?: number): IterableIterator<{ seq: number; type: string; json: string }>;
  lastSeq(): number;
  saveSnapshot(snapshot: { seq: number; json: string }): void;
  latestSnapshot(): { seq: number; json: string } | undefined;
}

/** The venue's clock (ms since epoch): bounds how far ahead of it a command's time may be. */
export interface Clock {
  now(): number;
}

/** The time rule (docs/durability.md): how far ahead a command's `timeMs` may be. */
export interface TimeRule {
  /** With a clock: timeMs ≤ clock.now() + this; default 5,000 ms. */
  readonly maxFutureSkewMs?: number;
  /**
   * Without a clock: timeMs ≤ the engine's time + this (once it has a time). Default: no such
   * bound (labs and replays jump freely; a venue gives a clock), only MAX_COMMAND_TIME_MS.
   */
  readonly maxJumpMs?: number;
}

export interface EngineOptions {
  /** The venue's clock; without one, the jump rule relative to the engine's own time applies. */
  readonly clock?: Clock;
  readonly time?: TimeRule;
}

/** No command time may be later than this (2200-01-01T00:00:00Z), clock or not. */
export const MAX_COMMAND_TIME_MS = Date.UTC(2200, 0, 1);
export const DEFAULT_MAX_FUTURE_SKEW_MS = 5_000;
/** A MALFORMED_COMMAND message lists at most this many problems... */
const MAX_ISSUES = 5;
/** ...and is at most this long. */
const MAX_MESSAGE_CHARS = 2_000;

/**
 * `replayed: true` answers a repeated command id with the outcome of its first execution
 * (nothing was applied again).
 */
export type ExecuteResult =
  | { ok: true; events: Sequenced[]; replayed?: true }
  | { ok: false; rejection: Rejection; replayed?: true };

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

/**
 * The engine's state is always the fold of its journal: a command's events are applied in
 * memory as the handler emits them (later steps see earlier effects), then appended to the
 * journal in one batch, and only then acknowledged (returned, passed to listeners). When the
 * append fails, the state is rebuilt from the journal (snapshot + tail), which by construction
 * is the state before the command; when even that fails the engine halts and refuses every
 * later command with ENGINE_HALTED until it is reopened from the journal (Engine.open).
 */
export class Engine {
  private readonly listeners: Listener[] = [];
  /** Why the engine stopped; undefined while it runs. */
  private haltReason: string | undefined;
  /** Engines without a journal keep the events of commands with ids here, to answer repeats. */
  private readonly replies = new Map<string, Sequenced[]>();

  private constructor(
    private readonly st: EngineState,
    private readonly journal: JournalPort | undefined,
    private readonly options: EngineOptions,
  ) {}

  /** A new engine; with a journal, the journal must be empty and receives the configuration as event 1. */
  static create(configInput: unknown, opts: { journal?: JournalPort } & EngineOptions = {}): Engine {
    const config = parseEngineConfig(configInput);
    const journal = opts.journal;
    if (journal && journal.lastSeq() > 0)
      throw new ConfigError('journal is not empty: use Engine.open to resume it');
    const engine = new Engine(initialState(config), journal, opts);
    // engine_configured is folded by initialState, so it is only sequenced and journaled;
    // a failed append throws (there is no engine yet to keep consistent).
    const first: EngineEvent = { type: 'engine_configured', config };
    journal?.append([{ seq: 1, type: first.type, json: encodeEvent(first) }]);
    engine.st.seq = 1;
    return engine;
  }

  /** Resumes from a journal: latest snapshot (if any), then every later event. */
  static open(journal: JournalPort, opts: EngineOptions = {}): Engine {
    return new Engine(foldJournal(journal), journal, opts);
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

  /** Why the engine refuses every command (ENGINE_HALTED), or undefined while it runs. */
  get halted(): string | undefined {
    return this.haltReason;
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
    if (this.haltReason !== undefined) return refusal('ENGINE_HALTED', this.haltReason);
    // fills, the most frequent command, skip zod when their plain shape is valid (fast-commands.ts);
    // a fill it accepts is within the bounds by construction (at most 11 keys, two refs of two, no
    // reserved key), so only what it leaves to zod is measured first
    let command = parseFillFast(input);
    if (command === undefined) {
      const bound = boundsProblem(input);
      if (bound !== undefined) return refusal('MALFORMED_COMMAND', bound);
      const parsed = CommandSchema.safeParse(input);
      if (!parsed.success) return refusal('MALFORMED_COMMAND', briefError(parsed.error));
      command = parsed.data;
    }
    const commandId = command.commandId;
    let digest = '';
    if (commandId !== undefined) {
      digest = commandDigest(command);
      const prior = this.st.commandIds.get(commandId);
      if (prior !== undefined) {
        if (prior.digest !== digest) {
          return refusal('COMMAND_ID_CONFLICT', `command id ${commandId} was used for a different command`);
        }
        return prior.ok
          ? { ok: true, events: this.recall(commandId, prior.firstSeq, prior.count), replayed: true }
          : { ok: false, rejection: prior.rejection, replayed: true };
      }
    }
    const ctx = new CommandContext(this.st);
    try {
      this.checkFuture(command);
      dispatch(ctx, command);
      trimReduceOnlyAfterTrades(ctx);
    } catch (e) {
      if (e instanceof RejectedError && ctx.events.length === 0) {
        if (commandId === undefined) return { ok: false, rejection: e.rejection };
        // remembered under its id (and journaled), so a repeat gets the same rejection
        const marker = new CommandContext(this.st);
        marker.emit({ type: 'command_rejected', commandId, digest, rejection: e.rejection });
        const r = this.commit(marker.events);
        return r.ok ? { ok: false, rejection: e.rejection } : r;
      }
      // A fault after the handler emitted: memory is ahead of the journal. Restore or halt.
      if (ctx.events.length > 0) {
        this.restore(e instanceof Error ? e.message : String(e));
        if (e instanceof RejectedError) throw new InvariantError(`rejected after emitting: ${e.message}`);
      }
      throw e;
    }
    if (commandId !== undefined) {
      const count = ctx.events.length;
      ctx.emit({ type: 'command_accepted', commandId, digest, firstSeq: this.st.seq + 1, count });
    }
    const r = this.commit(ctx.events, ctx.texts);
    if (r.ok && commandId !== undefined && !this.journal) this.rememberReply(commandId, r.events);
    return r;
  }

  /**
   * Would `place_order` with these fields be accepted now, and what margin would it reserve?
   * The command's own decision (order-check.ts) plus the engine's time rule; changes nothing.
   */
  checkOrder(input: unknown): OrderCheck {
    if (this.haltReason !== undefined) return refusal('ENGINE_HALTED', this.haltReason) as OrderCheck;
    const bound = boundsProblem(input);
    if (bound !== undefined) return refusal('MALFORMED_COMMAND', bound) as OrderCheck;
    if (typeof input !== 'object' || input === null)
      return refusal('MALFORMED_COMMAND', 'an order is an object') as OrderCheck;
    const t = (input as { timeMs?: unknown }).timeMs;
    if (typeof t === 'number') {
      try {
        this.checkFuture({ timeMs: t } as Command);
      } catch (e) {
        if (e instanceof RejectedError) return { ok: false, rejection: e.rejection };
        throw e;
      }
    }
    return checkOrder(this.st, input as OrderCheckInput);
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
    if (this.haltReason !== undefined) throw new InvariantError(`engine halted: ${this.haltReason}`);
    this.journal.saveSnapshot({ seq: this.st.seq, json: encodeSnapshot(this.st) });
  }

  /**
   * Sequences events already applied to the state, appends them to the journal and only then
   * acknowledges them (advances seq, calls listeners). A failed append restores the state.
   */
  private commit(events: EngineEvent[], texts?: readonly (string | undefined)[]): ExecuteResult {
    const before = this.st.seq;
    // The events are sequenced in place (their objects are the command's own, built by its
    // handler and referenced by nothing else), after the journal's text was encoded without it.
    const out = events as Sequenced[];
    if (this.journal && out.length > 0) {
      // The journal's text is the event without its seq: `events` are exactly that until sequenced
      // (a handler may have written it already: CommandContext.texts).
      const records = new Array<{ seq: number; type: string; json: string }>(events.length);
      for (let i = 0; i < events.length; i++) {
        const e = events[i]!;
        records[i] = { seq: before + 1 + i, type: e.type, json: texts?.[i] ?? encodeEvent(e) };
      }
      try {
        this.journal.append(records);
      } catch (e) {
        const cause = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
        const seq = this.restore(cause);
        // An append that threw yet reached the journal (an ambiguous commit) is a success.
        if (seq !== before + out.length) {
          return this.haltReason !== undefined
            ? refusal('ENGINE_HALTED', this.haltReason)
            : refusal('JOURNAL_WRITE_FAILED', `journal append failed, nothing applied: ${cause}`);
        }
      }
    }
    for (let i = 0; i < out.length; i++) out[i]!.seq = before + 1 + i;
    this.st.seq = before + out.length;
    for (const l of this.listeners) l(out);
    return { ok: true, events: out };
  }

  /**
   * Makes the state the journal's fold again after a fault; returns its seq. Without a journal,
   * or when the journal cannot be read, the engine halts (returns -1).
   */
  private restore(cause: string): number {
    if (!this.journal) {
      this.halt(`fault while applying a command, state cannot be restored without a journal (${cause})`);
      return -1;
    }
    try {
      replaceState(this.st, foldJournal(this.journal));
      return this.st.seq;
    } catch (e) {
      this.halt(
        `${cause}; then the journal could not be read back: ${e instanceof Error ? e.message : String(e)}`,
      );
      return -1;
    }
  }

  private halt(reason: string): void {
    this.haltReason = `engine halted, reopen it from its journal: ${bounded(reason)}`;
  }

  /** The time rule: a command's timeMs may not run ahead of the clock (or the engine's own time). */
  private checkFuture(c: Command): void {
    const t = (c as { timeMs?: number }).timeMs;
    if (t === undefined) return;
    if (t > MAX_COMMAND_TIME_MS)
      reject('FUTURE_TIME', `command time ${t} is after ${MAX_COMMAND_TIME_MS} (2200-01-01)`);
    const rule = this.options.time ?? {};
    if (this.options.clock) {
      const limit = this.options.clock.now() + (rule.maxFutureSkewMs ?? DEFAULT_MAX_FUTURE_SKEW_MS);
      if (t > limit)
        reject('FUTURE_TIME', `command time ${t} is ahead of the clock (latest accepted ${limit})`);
    } else if (rule.maxJumpMs !== undefined && this.st.timeMs > 0) {
      const limit = this.st.timeMs + rule.maxJumpMs;
      if (t > limit) {
        reject(
          'FUTURE_TIME',
          `command time ${t} jumps too far ahead of engine time ${this.st.timeMs} (latest accepted ${limit})`,
        );
      }
    }
  }

  /** The events of an accepted command with an id (its marker included), for a repeat. */
  private recall(commandId: string, firstSeq: number, count: number): Sequenced[] {
    const cached = this.replies.get(commandId);
    if (cached) return cached;
    if (!this.journal) throw new InvariantError(`no events kept for command id ${commandId}`);
    const last = firstSeq + count;
    const out: Sequenced[] = [];
    for (const rec of this.journal.read(firstSeq - 1)) {
      if (rec.seq > last) break;
      out.push({ ...decodeEvent(rec.json), seq: rec.seq });
    }
    return out;
  }

  private rememberReply(commandId: string, events: Sequenced[]): void {
    this.replies.set(commandId, events);
    for (const oldest of this.replies.keys()) {
      if (this.replies.size <= this.st.commandIds.size) break;
      if (!this.st.commandIds.has(oldest)) this.replies.delete(oldest);
      else break;
    }
  }
}

/** The state a journal holds: latest snapshot (if any), then every later event. */
function foldJournal(journal: JournalPort): EngineState {
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
  return state;
}

/** Makes `target` (the object callers hold through `engine.state`) equal to `source`. */
function replaceState(target: EngineState, source: EngineState): void {
  invalidateAllFigures(target);
  dropBankTotals(target);
  const t = target as unknown as Record<string, unknown>;
  for (const k of Object.keys(t)) if (!(k in source)) delete t[k];
  Object.assign(t, source);
}

function refusal(code: RejectionCode, message: string): ExecuteResult {
  return { ok: false, rejection: { code, message: bounded(message) } };
}

function bounded(text: string): string {
  return text.length <= MAX_MESSAGE_CHARS ? text : `${text.slice(0, MAX_MESSAGE_CHARS - 1)}…`;
}

/** The first few problems of a failed parse, one per line, in bounded text. */
function briefError(error: z.ZodError): string {
  const lines = error.issues.slice(0, MAX_ISSUES).map((i) => {
    const path = i.path.length > 0 ? i.path.map(String).join('.') : '(command)';
    return `${bounded(path).slice(0, 200)}: ${i.message.slice(0, 300)}`;
  });
  const more = error.issues.length - lines.length;
  if (more > 0) lines.push(`(and ${more} more problems)`);
  return bounded(lines.join('\n'));
}

/** At most this many values (objects, arrays and scalars, keys included) in one command. */
export const MAX_COMMAND_NODES = 200_000;

/**
 * Limits checked before the schema runs, so a huge command is refused in time proportional to
 * the limit, not to its size: at most MAX_PRICE_ENTRIES keys in each map of a `prices` command,
 * at most MAX_COMMAND_NODES values in all, and no key named __proto__, constructor or prototype
 * anywhere (such keys reach an object's prototype in JavaScript).
 */
function boundsProblem(input: unknown): string | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const c = input as Record<string, unknown>;
  if (c.type === 'prices') {
    for (const field of ['marks', 'assets', 'exchangeRates'] as const) {
      const m = c[field];
      if (typeof m !== 'object' || m === null) continue;
      let n = 0;
      for (const k in m) {
        if (!Object.hasOwn(m, k)) continue;
        if (++n > MAX_PRICE_ENTRIES)
          return `${field}: at most ${MAX_PRICE_ENTRIES} entries per prices command`;
      }
    }
  }
  let budget = MAX_COMMAND_NODES;
  const stack: unknown[] = [input];
  while (stack.length > 0) {
    const v = stack.pop();
    if (--budget < 0) return `command too large: more than ${MAX_COMMAND_NODES} values`;
    if (typeof v !== 'object' || v === null) continue;
    if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
      continue;
    }
    for (const k of Object.keys(v)) {
      if (RESERVED_KEYS.has(k)) return `key ${k} is not allowed`;
      budget -= 1;
      stack.push((v as Record<string, unknown>)[k]);
    }
  }
  return undefined;
}

/** Identifies a validated command (its id left out): a repeat must be the same command. */
function commandDigest(c: Command): string {
  const { commandId: _id, ...rest } = c;
  return textHash(toJson(rest));
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
  place_order: orders.placeOrder,
  amend_order: orders.amendOrder,
  cancel_order: orders.cancelOrder,
  prices: h.prices,
  funding_tick: h.fundingTick,
  settle_expiry: h.settleExpiry,
  settle_funding: h.settleFunding,
  accrue_interest: accrueInterest,
  liquidate,
  adl_leg: adlLeg,
  settle_clearing: settleClearing,
  borrow,
  set_emode: setEMode,
  oracle: h.oracle,
  set_oracle: h.setOracle,
  set_market: h.setMarket,
  set_asset: h.setAsset,
  pause_liquidations: h.pauseLiquidations,
  force_safe_mode: h.forceSafeMode,
  set_policy: h.setPolicy,
};

function dispatch(ctx: CommandContext, c: Command): void {
  (HANDLERS[c.type] as Handler<Command['type']>)(ctx, c);
}
