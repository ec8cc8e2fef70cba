/**
 * Opens the service's journal from one `--store` string, and an engine on it.
 *
 * `postgres://…` or `postgresql://…` is a PostgreSQL journal (postgres-journal.ts); anything
 * else is a file path for the SQLite journal with group commit (deferred-sqlite-journal.ts).
 * Both are deferred journals: the engine's appends are buffered and made durable by `flush()`.
 */
import { Engine, type EngineOptions } from '../core/engine/engine.ts';
import type { DeferredJournal } from './deferred-journal.ts';
import { DeferredSqliteJournal } from './deferred-sqlite-journal.ts';
import type { SqliteJournalOptions } from './sqlite-journal.ts';

export interface OpenStoreOptions {
  /** Open for reading only (no writer lock; appends throw). */
  readonly readOnly?: boolean;
  /** SQLite only: fsync every commit (`synchronous = FULL`). */
  readonly durable?: boolean;
  /** PostgreSQL only: the schema holding the journal's tables; default 'plimsoll'. */
  readonly schema?: string;
}

/** True when `spec` names a PostgreSQL database rather than a file. */
export function isPostgresUrl(spec: string): boolean {
  return /^postgres(ql)?:\/\//i.test(spec);
}

/**
 * @example
 * const journal = await openStore('postgres://postgres@127.0.0.1:5432/venue');
 * const journal2 = await openStore('./plimsoll.sqlite', { durable: true });
 */
export async function openStore(spec: string, options: OpenStoreOptions = {}): Promise<DeferredJournal> {
  if (isPostgresUrl(spec)) {
    const { PostgresJournal } = await import('./postgres-journal.ts');
    return PostgresJournal.open(spec, {
      ...(options.readOnly !== undefined ? { readOnly: options.readOnly } : {}),
      ...(options.schema !== undefined ? { schema: options.schema } : {}),
    });
  }
  const sqlite: SqliteJournalOptions = {
    ...(options.readOnly !== undefined ? { readOnly: options.readOnly } : {}),
    ...(options.durable !== undefined ? { durable: options.durable } : {}),
  };
  return DeferredSqliteJournal.open(spec, sqlite);
}

/**
 * The engine on a deferred journal: `Engine.open` when the journal has events, else
 * `Engine.create(config)` (its first event flushed before this resolves, so the configuration
 * is durable). Throws when the journal is empty and no `config` is given.
 */
export async function openEngine(
  journal: DeferredJournal,
  options: { readonly config?: unknown } & EngineOptions = {},
): Promise<Engine> {
  const { config, ...engineOptions } = options;
  if (journal.lastSeq() > 0) return Engine.open(journal, engineOptions);
  if (config === undefined)
    throw new Error('the journal is empty: a configuration is needed to create the engine');
  const engine = Engine.create(config, { journal, ...engineOptions });
  await journal.flush();
  return engine;
}

/**
 * An opener for the commit pipeline (src/server/commit-pipeline.ts): each call opens the store
 * named by `spec` and the engine on it (creating it from `config` when the journal is empty).
 * When the engine cannot be opened, the journal is closed again (its writer lock released).
 *
 * @example
 * const sink = await CommitPipeline.start(engineOpener(flags.store, { config, clock }), { snapshotEvery: 10_000 });
 */
export function engineOpener(
  spec: string,
  options: OpenStoreOptions & { readonly config?: unknown } & EngineOptions = {},
): () => Promise<{ engine: Engine; journal: DeferredJournal }> {
  const { readOnly, durable, schema, ...engineOptions } = options;
  const storeOptions: OpenStoreOptions = {
    ...(readOnly !== undefined ? { readOnly } : {}),
    ...(durable !== undefined ? { durable } : {}),
    ...(schema !== undefined ? { schema } : {}),
  };
  return async () => {
    const journal = await openStore(spec, storeOptions);
    try {
      return { journal, engine: await openEngine(journal, engineOptions) };
    } catch (err) {
      const closable = journal as DeferredJournal & { closeAsync?: () => Promise<void> };
      if (typeof closable.closeAsync === 'function') await closable.closeAsync();
      else journal.close();
      throw err;
    }
  };
}
