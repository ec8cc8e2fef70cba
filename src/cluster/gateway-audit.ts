/**
 * The cluster gateway's operator audit trail: the same records as the single process's
 * (src/server/audit.ts: key id, wall-clock time, command, target, configuration before and after,
 * journal seq, command id), for the operator changes the gateway broadcasts, served at GET /v1/audit
 * with the single process's `limit` and order (the newest `limit`, oldest first).
 *
 * A configuration command is broadcast to every partition, and partition 0 answers reads of
 * configuration; so before and after are partition 0's snapshots (auditSnapshot, the single
 * process's own reading), taken before the broadcast and after every partition shows the change.
 * A record is written only after the change is acknowledged (partition 0's outcome, applied): a
 * refused, replayed or unanswered (202) command leaves no record. `seq` is partition 0's journal
 * position (each partition journals the change; the single process has one journal).
 *
 * Records live in the cluster's PostgreSQL (table `audit` in the coordinator's schema, created if
 * missing, removed with the cluster), so they survive gateway restarts and several gateways share
 * one trail. A gateway without a PostgreSQL URL (tests) keeps them in memory.
 *
 * Gaps, as in the single process: a gateway that dies after the acknowledgement and before the
 * insert leaves the change applied (every partition's journal has its `*_configured` event, see
 * GET /v1/events) with no audit record; a failed insert answers 500 although the change is applied.
 * A change made by another gateway between this one's before-read and its broadcast shows in
 * `before`; one made right after, in `after`.
 */
import pg from 'pg';
import { parseRouteInput } from '../server/app.ts';
import { AUDITED_COMMANDS, type AuditRecord, auditTarget, MemoryAuditLog } from '../server/audit.ts';
import { ApiError } from '../server/errors.ts';
import { plainForLog } from '../server/log.ts';
import type { RouteDef } from '../server/route.ts';
import type { SubmitResult } from './client.ts';
import type { ClusterNames } from './names.ts';
import { type ApiAnswer, type ApiRequest, AUDIT_SNAPSHOT } from './partition-api.ts';

/** Where the gateway keeps its records. */
export interface AuditStore {
  record(r: AuditRecord): Promise<void>;
  /** The newest `limit` records, oldest first. */
  list(limit: number): Promise<AuditRecord[]>;
  close(): Promise<void>;
}

/** Records in the single process's in-memory log (a gateway without PostgreSQL). */
export function memoryAuditStore(): AuditStore {
  const log = new MemoryAuditLog();
  return {
    record: async (r) => log.record(r),
    list: async (limit) => log.list(limit),
    close: async () => {},
  };
}

/**
 * Records in `<coordinator schema>.audit`: one row each, in insertion order (`id`). The record is
 * kept as JSON text (not jsonb), so its fields come back in the order they were written.
 */
export function postgresAuditStore(pgUrl: string, names: ClusterNames): AuditStore {
  const schema = `"${names.coordinatorSchema}"`;
  // idle sessions close and never hold the process open (the gateway has no close hook for them)
  const pool = new pg.Pool({
    connectionString: pgUrl,
    max: 2,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 1000,
    allowExitOnIdle: true,
  });
  pool.on('error', () => {});
  let ready: Promise<void> | undefined;
  const migrate = async () => {
    const db = await pool.connect();
    try {
      await db.query('BEGIN');
      // the coordinator creates the same schema: concurrent starts serialize on its advisory lock
      await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [schema]);
      await db.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await db.query(
        `CREATE TABLE IF NOT EXISTS ${schema}.audit (id BIGSERIAL PRIMARY KEY, record TEXT NOT NULL)`,
      );
      await db.query('COMMIT');
    } catch (err) {
      await db.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      db.release();
    }
  };
  const table = async () => {
    ready ??= migrate().catch((err: unknown) => {
      ready = undefined;
      throw err;
    });
    await ready;
  };
  return {
    record: async (r) => {
      await table();
      await pool.query(`INSERT INTO ${schema}.audit (record) VALUES ($1)`, [JSON.stringify(plainForLog(r))]);
    },
    list: async (limit) => {
      await table();
      const rows = await pool.query<{ record: string }>(
        `SELECT record FROM ${schema}.audit ORDER BY id DESC LIMIT $1`,
        [limit],
      );
      return rows.rows.map((x) => JSON.parse(x.record) as AuditRecord).reverse();
    },
    close: () => pool.end(),
  };
}

/** A change on its way: what it is and partition 0's configuration before it. */
export interface PendingChange {
  readonly command: Record<string, unknown> & { type: string };
  readonly target: string;
  readonly before: unknown;
}

export interface GatewayAuditOptions {
  readonly store: AuditStore;
  /** Asks partition `p` (the gateway's API request, retried while the partition starts). */
  readonly ask: (p: number, req: ApiRequest) => Promise<ApiAnswer>;
  readonly partitions: number;
  /** How long to wait for every partition to show an acknowledged change (default 10,000 ms). */
  readonly settleMs?: number;
  readonly now?: () => number;
}

export class GatewayAudit {
  private readonly now: () => number;

  constructor(private readonly o: GatewayAuditOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Partition 0's configuration before `command`; undefined when the command is not audited. */
  async before(command: Record<string, unknown> & { type: string }): Promise<PendingChange | undefined> {
    if (!AUDITED_COMMANDS.has(command.type)) return undefined;
    const target = auditTarget(command);
    return { command, target, before: await this.snapshot(0, command.type, target) };
  }

  /**
   * Records `change` once `result` says it was applied (not replayed): after partition 0's
   * configuration, read once every partition shows the same (the broadcast applied everywhere,
   * or `settleMs` spent: the change is durable in the broadcast stream and will be).
   */
  async after(change: PendingChange | undefined, keyId: string, result: SubmitResult): Promise<void> {
    if (!change || result.ok !== true || result.replayed) return;
    const { command, target } = change;
    const after = await this.snapshot(0, command.type, target);
    const want = JSON.stringify(after);
    const until = Date.now() + (this.o.settleMs ?? 10_000);
    for (let p = 1; p < this.o.partitions; p++) {
      while (JSON.stringify(await this.snapshot(p, command.type, target)) !== want && Date.now() < until)
        await new Promise((r) => setTimeout(r, 20));
    }
    const commandId = command.commandId as string | undefined;
    await this.o.store.record({
      keyId,
      timeMs: this.now(),
      command: command.type,
      target,
      before: change.before ?? null,
      after: after ?? null,
      seq: result.seq,
      ...(commandId === undefined ? {} : { commandId }),
    });
  }

  /** GET /v1/audit: the route's own query validation, then the newest records. */
  async list(route: RouteDef, rawQuery: Record<string, string>): Promise<ApiAnswer> {
    try {
      const { query } = parseRouteInput(route, '', rawQuery) as { query: { limit?: string } };
      return {
        kind: 'reply',
        status: 200,
        body: { records: await this.o.store.list(Number(query.limit ?? '100')) },
      };
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      return {
        kind: 'error',
        code: e.code,
        message: e.message,
        ...(e.details ? { details: e.details } : {}),
      };
    }
  }

  private async snapshot(p: number, command: string, target: string): Promise<unknown> {
    const a = await this.o.ask(p, { method: AUDIT_SNAPSHOT, path: command, params: { target }, query: {} });
    if (a.kind !== 'reply')
      throw new Error(`partition ${p} did not read the configuration: ${JSON.stringify(a)}`);
    return a.body;
  }
}
