/**
 * The operator audit trail: who changed the venue's configuration, when, with which command, and
 * the configuration before and after. The engine journals the change itself (its `*_configured`,
 * `market_paused`, `safe_mode_forced`, `policy_set` events); this trail adds what the engine does not know: the API key
 * and the wall-clock time. It is an append-only JSON-lines file next to the journal (one record per
 * accepted change, written after the change is durable), readable at GET /v1/audit.
 * Configuration values are written in the engine's form: bigint fields as integer strings in their
 * own units (ppm ratios, px8 prices, qty9 sizes).
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import type { ReadonlyEngineState } from '../core/model/state.ts';
import { plainForLog } from './log.ts';

export interface AuditRecord {
  readonly keyId: string;
  readonly timeMs: number;
  /** The engine command type (set_market, set_asset, set_policy, set_oracle, pause_liquidations, force_safe_mode). */
  readonly command: string;
  /** What was changed: a market, asset or oracle id, or 'policy'. */
  readonly target: string;
  readonly before: unknown;
  readonly after: unknown;
  /** Journal seq of the command's last event (its durable position). */
  readonly seq: number;
  readonly commandId?: string;
}

export interface AuditLog {
  record(r: AuditRecord): void;
  /** The newest `limit` records, oldest first. */
  list(limit: number): AuditRecord[];
}

/** In memory only (tests, in-memory engines). */
export class MemoryAuditLog implements AuditLog {
  protected readonly records: AuditRecord[] = [];

  record(r: AuditRecord): void {
    this.records.push(plainForLog(r) as AuditRecord);
  }

  list(limit: number): AuditRecord[] {
    return this.records.slice(Math.max(0, this.records.length - limit));
  }
}

/** JSON lines appended to `path` (and kept in memory for reading). */
export class FileAuditLog extends MemoryAuditLog {
  constructor(private readonly path: string) {
    super();
    if (existsSync(path)) {
      for (const line of readFileSync(path, 'utf8').split('\n')) {
        if (line.trim() !== '') this.records.push(JSON.parse(line) as AuditRecord);
      }
    }
  }

  override record(r: AuditRecord): void {
    const plain = plainForLog(r) as AuditRecord;
    appendFileSync(this.path, `${JSON.stringify(plain)}\n`, { mode: 0o600 });
    this.records.push(plain);
  }
}

/** The engine commands an operator route records (each with its target and snapshot below). */
export const AUDITED_COMMANDS: ReadonlySet<string> = new Set([
  'set_market',
  'set_asset',
  'set_oracle',
  'set_policy',
  'pause_liquidations',
  'force_safe_mode',
]);

/** What an audited command changes: its market, asset or oracle id, or 'policy'. */
export function auditTarget(command: Record<string, unknown> & { type: string }): string {
  const config = (command.config ?? {}) as Record<string, unknown>;
  switch (command.type) {
    case 'set_market':
    case 'set_asset':
      return String(config.id);
    case 'set_oracle':
      return String(config.market);
    case 'set_policy':
      return 'policy';
    default:
      return String(command.market);
  }
}

/**
 * The configuration an audited command changes, read from `state` (the record's before and
 * after; undefined when the target does not exist yet). One definition for the single process
 * and the cluster gateway, so their trails cannot drift apart.
 */
export function auditSnapshot(state: ReadonlyEngineState, command: string, target: string): unknown {
  switch (command) {
    case 'set_market':
      return state.markets.get(target)?.config;
    case 'set_asset':
      return state.assets.get(target);
    case 'set_oracle':
      return state.markets.get(target)?.oracle?.config;
    case 'set_policy':
      return { liquidation: state.policy, guards: state.guards, portfolio: state.portfolio ?? null };
    case 'pause_liquidations': {
      const m = state.markets.get(target);
      return m ? { liquidationsPaused: m.liquidationsPaused } : undefined;
    }
    case 'force_safe_mode': {
      const m = state.markets.get(target);
      return m
        ? {
            safeModeForced: m.safeModeForced,
            safeMode: m.safeModeForced || m.oracle?.state.safeMode.active === true,
          }
        : undefined;
    }
    default:
      return undefined;
  }
}
