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
