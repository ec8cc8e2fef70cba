/**
 * What every route handler works with: the command sink (and through it the engine), the audit
 * trail, metrics, logger and clock; `execute` submits one command on behalf of a key, records its
 * metrics and turns a rejection into an ApiError with the rejection's code.
 */
import type { Engine } from '../core/engine/engine.ts';
import type { Sequenced } from '../core/engine/events.ts';
import type { LossLedger } from '../core/engine/loss-ledger.ts';
import type { AuditLog } from './audit.ts';
import type { CommandSink } from './command-sink.ts';
import type { DashboardHistory } from './dashboard/history.ts';
import type { ReadRange } from './dashboard/journal-history.ts';
import type { RiskSnapshots } from './dashboard/risk-snapshot.ts';
import { ApiError } from './errors.ts';
import type { Logger } from './log.ts';
import type { ServerMetrics } from './metrics.ts';

export interface AppContext {
  readonly sink: CommandSink;
  readonly audit: AuditLog;
  readonly metrics: ServerMetrics;
  readonly logger: Logger;
  readonly now: () => number;
  /** Extra readiness check (journal writable); undefined = ready. Returns the reason when not. */
  readonly notReady?: () => string | undefined;
  /**
   * The socialized-loss ledger and insurance-fund flows, folded from the events committed since
   * the service started (on top of the positions at start).
   */
  readonly lossLedger: () => LossLedger;
  /** The risk console's views (docs/dashboard.md): risk snapshots and history since start. */
  readonly dashboard?: {
    readonly snapshots: RiskSnapshots;
    readonly history: DashboardHistory;
    /** Durable events from the journal (account event history); absent: only since start. */
    readonly readRange?: ReadRange;
  };
  /** Set while shutting down: mutating requests are refused with 503 SHUTTING_DOWN. */
  shuttingDown: boolean;
}

/** What a command endpoint answers. */
export interface CommandReply {
  /** Journal sequence number of the command's last event (the state it produced). */
  readonly seq: number;
  /** true when a repeated commandId returned the first outcome (nothing was applied again). */
  readonly replayed?: true;
  readonly events: readonly { seq: number; type: string }[];
}

/**
 * The time the server stamps on a command that has none: its clock, never behind the engine's
 * time (a command time before it is STALE_TIME).
 */
export function commandTime(ctx: AppContext): number {
  return Math.max(ctx.now(), ctx.sink.engine.state.timeMs);
}

/**
 * The `timeMs` of a command: the client's when given; else the server's clock, except under a
 * commandId (a repeat must be the same command, so the server may not stamp a new time on it): an
 * optional time is then left out, and a required one must come from the client.
 */
/** A command's `commandId` field when the request gave one (spread into the command). */
export const commandIdOf = (id: string | undefined): { commandId?: string } =>
  id === undefined ? {} : { commandId: id };

export function stampTime(
  ctx: AppContext,
  body: { timeMs?: number | undefined; commandId?: string | undefined },
  required: boolean,
): { timeMs?: number } {
  if (body.timeMs !== undefined) return { timeMs: body.timeMs };
  if (body.commandId === undefined) return { timeMs: commandTime(ctx) };
  if (required)
    throw new ApiError(
      'INVALID_REQUEST',
      'timeMs: required with a commandId (a repeat must carry the same time)',
    );
  return {};
}

export function engineOf(ctx: AppContext): Engine {
  return ctx.sink.engine;
}

/**
 * Submits `command` and waits until it is durable. `kind` labels the pre-trade latency histogram
 * (fills and order checks). Throws ApiError for a rejection.
 */
export async function execute(
  ctx: AppContext,
  command: Record<string, unknown> & { type: string },
  kind?: string,
): Promise<{ reply: CommandReply; events: readonly Sequenced[] }> {
  if (ctx.shuttingDown)
    throw new ApiError('SHUTTING_DOWN', 'the server is shutting down; retry against the next instance');
  const started = performance.now();
  const result = await ctx.sink.submit(command);
  const seconds = (performance.now() - started) / 1000;
  ctx.metrics.commitLatency.observe({ type: command.type }, seconds);
  if (kind !== undefined) ctx.metrics.pretradeCheck.observe({ kind }, seconds);
  ctx.metrics.commands.inc({ type: command.type, outcome: result.ok ? 'ok' : result.rejection.code });
  if (!result.ok) throw ApiError.fromRejection(result.rejection);
  const last = result.events.at(-1)?.seq ?? ctx.sink.engine.state.seq;
  return {
    reply: {
      seq: last,
      ...(result.replayed ? { replayed: true as const } : {}),
      events: result.events.map((e) => ({ seq: e.seq, type: e.type })),
    },
    events: result.events,
  };
}
