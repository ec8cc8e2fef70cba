/**
 * PostgreSQL for tests: the server at PLIMSOLL_PG_URL (default postgres://postgres@127.0.0.1:5432/test),
 * one fresh schema per test (dropped afterwards). When the server cannot be reached the
 * PostgreSQL tests are skipped with the reason printed — unless PLIMSOLL_REQUIRE_POSTGRES=1
 * (CI), where that is a failure.
 */
import pg from 'pg';
import type { DeferredJournal } from '../../src/store/deferred-journal.ts';
import { PostgresJournal, type PostgresJournalOptions } from '../../src/store/postgres-journal.ts';

export const PG_URL = process.env.PLIMSOLL_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let probe: Promise<string | undefined> | undefined;

/** undefined when PostgreSQL answers, else why not. */
function unreachable(): Promise<string | undefined> {
  probe ??= (async () => {
    const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 5000 });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('SELECT 1');
      return undefined;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return probe;
}

/**
 * Whether the PostgreSQL variant of `what` runs: true when the server answers; false (with a
 * printed reason) when it does not; throws when it does not and PLIMSOLL_REQUIRE_POSTGRES=1.
 */
export async function postgresAvailable(what: string): Promise<boolean> {
  const why = await unreachable();
  if (why === undefined) return true;
  const message = `PostgreSQL at ${PG_URL} is unreachable (${why})`;
  if (process.env.PLIMSOLL_REQUIRE_POSTGRES === '1') {
    throw new Error(`${message}, and PLIMSOLL_REQUIRE_POSTGRES=1: ${what} must run`);
  }
  console.warn(
    `skipping ${what} on PostgreSQL: ${message} (set PLIMSOLL_PG_URL, or PLIMSOLL_REQUIRE_POSTGRES=1 to fail)`,
  );
  return false;
}

let counter = 0;

/** A schema name no other test (or test process) uses. */
export function freshSchema(): string {
  counter += 1;
  return `plimsoll_test_${process.pid}_${counter}_${Math.floor(Math.random() * 1e9)}`;
}

/** A fresh schema: open journals on it, close them, drop it. */
export interface TestDatabase {
  readonly schema: string;
  open(options?: PostgresJournalOptions): Promise<PostgresJournal>;
  close(journal: DeferredJournal): Promise<void>;
  dispose(): Promise<void>;
}

export function testDatabase(): TestDatabase {
  const schema = freshSchema();
  const opened = new Set<PostgresJournal>();
  return {
    schema,
    open: async (options = {}) => {
      const j = await PostgresJournal.open(PG_URL, { schema, ...options });
      opened.add(j);
      return j;
    },
    close: async (journal) => {
      await (journal as PostgresJournal).closeAsync();
      opened.delete(journal as PostgresJournal);
    },
    dispose: async () => {
      for (const j of opened) await j.closeAsync();
      opened.clear();
      await runSql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    },
  };
}

/** Runs one statement on a short-lived connection (for setup and fault injection). */
export async function runSql(sql: string, params: unknown[] = []): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 5000 });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query(sql, params);
  } finally {
    await client.end().catch(() => {});
  }
}
