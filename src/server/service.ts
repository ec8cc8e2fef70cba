/**
 * One running venue service: opens (or creates) the journal, creates the engine from a preset or a
 * configuration on first start or resumes it from the journal, loads (or generates) API keys,
 * builds the sink, context and app, and listens. `plimsoll serve` is a thin shell around it; tests
 * and the replay demo start it in-process.
 */
import { dirname, join, resolve } from 'node:path';
import { Gauge, type Registry } from 'prom-client';
import { getPreset, PRESET_IDS } from '../core/presets/index.ts';
import { isPostgresUrl, openEngine, openStore } from '../store/open-store.ts';
import { AgentDecisionLog } from './agent-decisions.ts';
import {
  type AppOptions,
  createApp,
  createContext,
  type PlimsollApp,
  type RunningServer,
  startServer,
} from './app.ts';
import { FileAuditLog } from './audit.ts';
import { type ApiKey, openKeysFile } from './auth.ts';
import { CommitPipeline, type CommitStats } from './commit-pipeline.ts';
import { attachLive, type Live } from './live.ts';
import { createLogger, type Logger } from './log.ts';
import type { RateLimitOptions } from './rate-limit.ts';

export const DEFAULT_PRESET = 'binance-usdm';
export const DEFAULT_STORE_FILE = 'plimsoll.sqlite';

export interface ServiceOptions {
  /** SQLite journal path or a postgres:// URL. */
  readonly store: string;
  /**
   * Where the keys and audit files live: default the journal's directory (SQLite) or the current
   * directory (PostgreSQL).
   */
  readonly dataDir?: string;
  /** PostgreSQL only: the schema holding the journal's tables (default 'plimsoll'). */
  readonly pgSchema?: string;
  /** Snapshot the engine every this many events (default 10,000; 0: never). */
  readonly snapshotEvery?: number;
  /** Engine configuration for a first start (JSON object); else `preset`. */
  readonly config?: unknown;
  readonly preset?: string;
  /** Keys file; absent: `<store>.keys.json`, generated on first start (mode 0600). */
  readonly keysFile?: string;
  readonly host?: string;
  readonly port?: number;
  readonly logger?: Logger;
  readonly rateLimit?: RateLimitOptions;
  readonly authWindowMs?: number;
  readonly maxBodyBytes?: number;
  readonly extraRoutes?: AppOptions['extraRoutes'];
  /** The risk console's built files (default the package's dist/dashboard; false: not served). */
  readonly dashboardDir?: AppOptions['dashboardDir'];
  readonly now?: () => number;
  /** The keeper inside the service (live.ts): liquidate (default), only publish orders, or off. */
  readonly keeper?: 'execute' | 'orders' | 'off';
  /** Account the keeper's liquidations hand positions to (default: the engine's backstop). */
  readonly liquidator?: string;
  /** false: the keeper stamps liquidations with the engine's time, not the clock (a market-time replay). */
  readonly keeperUsesClock?: boolean;
}

export interface RunningService extends RunningServer {
  readonly app: PlimsollApp;
  readonly sink: CommitPipeline;
  /** true when this start created the journal (first start). */
  readonly created: boolean;
  readonly store: string;
  readonly keysFile: string;
  readonly keysCreated: boolean;
  readonly keys: readonly ApiKey[];
  /** The event stream (WebSocket on /v1/events) and the keeper. */
  readonly live: Live;
}

export class ServiceConfigError extends Error {
  override name = 'ServiceConfigError';
}

/** The journal's file name without its folder ('plimsoll' for a PostgreSQL journal). */
function storeName(store: string): string {
  return isPostgresUrl(store) ? 'plimsoll' : (store.split(/[\\/]/).pop() ?? store);
}

function filesDir(store: string, dataDir: string | undefined): string {
  if (dataDir !== undefined) return resolve(dataDir);
  return isPostgresUrl(store) ? process.cwd() : dirname(store);
}

export function defaultKeysFile(store: string, dataDir?: string): string {
  return join(filesDir(store, dataDir), `${storeName(store)}.keys.json`);
}

export async function startService(opts: ServiceOptions): Promise<RunningService> {
  const store = isPostgresUrl(opts.store) ? opts.store : resolve(opts.store);
  let opened: ReturnType<typeof openKeysFile>;
  try {
    opened = openKeysFile(opts.keysFile, defaultKeysFile(store, opts.dataDir));
  } catch (e) {
    throw new ServiceConfigError((e as Error).message);
  }
  const { keys, file: keysFile, created: keysCreated } = opened;
  const now = opts.now ?? Date.now;
  const logger = opts.logger ?? createLogger();
  const config = opts.config ?? presetConfig(opts.preset ?? DEFAULT_PRESET);
  let created = false;
  let sink: CommitPipeline;
  try {
    sink = await CommitPipeline.start(
      async () => {
        const journal = await openStore(store, {
          durable: true,
          ...(opts.pgSchema === undefined ? {} : { schema: opts.pgSchema }),
        });
        try {
          if (journal.lastSeq() === 0) created = true;
          return { journal, engine: await openEngine(journal, { config, clock: { now } }) };
        } catch (e) {
          await journal.close();
          throw e;
        }
      },
      {
        snapshotEvery: opts.snapshotEvery ?? 10_000,
        onFault: (f) =>
          logger.error(
            { err: f.error, failedCommands: f.failedCommands, outcome: f.outcome },
            'journal flush failed',
          ),
      },
    );
  } catch (e) {
    if (e instanceof Error && e.name === 'ConfigError') throw new ServiceConfigError(e.message);
    throw e;
  }
  const ctx = createContext({
    sink,
    logger,
    now,
    notReady: () => sink.halted,
    readRange: (afterSeq, limit) => sink.journal.readRange(afterSeq, limit),
    audit: new FileAuditLog(join(filesDir(store, opts.dataDir), `${storeName(store)}.audit.jsonl`)),
    agentDecisions: new AgentDecisionLog({
      file: join(filesDir(store, opts.dataDir), `${storeName(store)}.agent-decisions.jsonl`),
    }),
  });
  registerPipelineMetrics(ctx.metrics.registry, sink);
  const app = createApp(ctx, {
    keys,
    ...(opts.rateLimit ? { rateLimit: opts.rateLimit } : {}),
    ...(opts.authWindowMs === undefined ? {} : { authWindowMs: opts.authWindowMs }),
    ...(opts.maxBodyBytes === undefined ? {} : { maxBodyBytes: opts.maxBodyBytes }),
    ...(opts.extraRoutes ? { extraRoutes: opts.extraRoutes } : {}),
    ...(opts.dashboardDir === undefined ? {} : { dashboardDir: opts.dashboardDir }),
  });
  let running: RunningServer;
  try {
    running = await startServer({
      app,
      ...(opts.host === undefined ? {} : { host: opts.host }),
      ...(opts.port === undefined ? {} : { port: opts.port }),
      onClose: () => sink.close(),
    });
  } catch (e) {
    await sink.close();
    throw e;
  }
  const live = attachLive({
    server: running.server,
    sink,
    keys,
    // the pipeline's current journal (it reopens it after a failed flush)
    readRange: (afterSeq, limit) => sink.journal.readRange(afterSeq, limit),
    registry: ctx.metrics.registry,
    ...(opts.authWindowMs === undefined ? {} : { authWindowMs: opts.authWindowMs }),
    now,
    keeper: opts.keeper ?? 'execute',
    ...(opts.liquidator === undefined ? {} : { liquidator: { account: opts.liquidator, sub: '0' } }),
    ...(opts.keeperUsesClock === false ? {} : { clock: now }),
    onKeeperError: (e) => logger.error({ err: e }, 'keeper pass failed'),
  });
  // an agent's decision reaches the account's viewers on the stream as it is stored
  const stopDecisions = ctx.agentDecisions.onRecord((decision) =>
    live.hub.accountNotice(decision.account, { op: 'agent_decision', decision }),
  );
  let closing: Promise<void> | undefined;
  const close = () => {
    stopDecisions();
    closing ??= live.close().then(() => running.close());
    return closing;
  };
  return { ...running, close, app, sink, created, store, keysFile, keysCreated, keys, live };
}

/** The group-commit pipeline's counters, read at scrape time. */
function registerPipelineMetrics(registry: Registry, sink: CommitPipeline): void {
  const stat = (name: string, help: string, read: (s: CommitStats) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read(sink.stats()));
      },
    });
  stat('plimsoll_commit_groups', 'Journal flushes that committed at least one event', (s) => s.groups);
  stat('plimsoll_committed_commands', 'Commands acknowledged after a flush', (s) => s.committedCommands);
  stat('plimsoll_committed_events', 'Events made durable', (s) => s.committedEvents);
  stat(
    'plimsoll_failed_flushes',
    'Journal flushes that failed (their commands got JOURNAL_WRITE_FAILED)',
    (s) => s.failedFlushes,
  );
  stat('plimsoll_commands_queued', 'Commands waiting to execute (group full or reopening)', (s) => s.queued);
}

function presetConfig(id: string): unknown {
  const preset = getPreset(id);
  if (!preset) throw new ServiceConfigError(`unknown preset ${id} (one of ${PRESET_IDS.join(', ')})`);
  return preset.config();
}
