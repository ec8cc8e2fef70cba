/**
 * One running venue service: opens (or creates) the journal, creates the engine from a preset or a
 * configuration on first start or resumes it from the journal, loads (or generates) API keys,
 * builds the sink, context and app, and listens. `plimsoll serve` is a thin shell around it; tests
 * and the replay demo start it in-process.
 */
import { dirname, join, resolve } from 'node:path';
import { Engine } from '../core/engine/engine.ts';
import { getPreset, PRESET_IDS } from '../core/presets/index.ts';
import { SqliteJournal } from '../store/sqlite-journal.ts';
import {
  type AppOptions,
  createApp,
  createContext,
  type PlimsollApp,
  type RunningServer,
  startServer,
} from './app.ts';
import { FileAuditLog } from './audit.ts';
import { type ApiKey, ensureKeysFile, loadKeys } from './auth.ts';
import type { CommandSink } from './command-sink.ts';
import { DirectSink } from './direct-sink.ts';
import { attachLive, type Live, readRangeOf } from './live.ts';
import { createLogger, type Logger } from './log.ts';
import type { RateLimitOptions } from './rate-limit.ts';

export const DEFAULT_PRESET = 'binance-usdm';
export const DEFAULT_STORE_FILE = 'plimsoll.sqlite';

export interface ServiceOptions {
  /** SQLite journal path. */
  readonly store: string;
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
  readonly sink: CommandSink;
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

export function defaultKeysFile(store: string): string {
  return `${store}.keys.json`;
}

export async function startService(opts: ServiceOptions): Promise<RunningService> {
  const store = resolve(opts.store);
  const keysFile = resolve(opts.keysFile ?? defaultKeysFile(store));
  let keys: ApiKey[];
  let keysCreated = false;
  try {
    if (opts.keysFile !== undefined) keys = loadKeys(keysFile);
    else ({ keys, created: keysCreated } = ensureKeysFile(keysFile));
  } catch (e) {
    throw new ServiceConfigError((e as Error).message);
  }
  if (keys.length === 0) throw new ServiceConfigError(`no API keys in ${keysFile}`);
  const now = opts.now ?? Date.now;
  const journal = SqliteJournal.open(store, { durable: true });
  let engine: Engine;
  let created = false;
  try {
    if (journal.lastSeq() === 0) {
      const config = opts.config ?? presetConfig(opts.preset ?? DEFAULT_PRESET);
      engine = Engine.create(config, { journal, clock: { now } });
      created = true;
    } else {
      engine = Engine.open(journal, { clock: { now } });
    }
  } catch (e) {
    journal.close();
    throw e instanceof ServiceConfigError ? e : new ServiceConfigError((e as Error).message);
  }
  const sink = new DirectSink(engine);
  const logger = opts.logger ?? createLogger();
  const ctx = createContext({
    sink,
    logger,
    now,
    audit: new FileAuditLog(join(dirname(store), `${baseName(store)}.audit.jsonl`)),
  });
  const app = createApp(ctx, {
    keys,
    ...(opts.rateLimit ? { rateLimit: opts.rateLimit } : {}),
    ...(opts.authWindowMs === undefined ? {} : { authWindowMs: opts.authWindowMs }),
    ...(opts.maxBodyBytes === undefined ? {} : { maxBodyBytes: opts.maxBodyBytes }),
    ...(opts.extraRoutes ? { extraRoutes: opts.extraRoutes } : {}),
  });
  let running: RunningServer;
  try {
    running = await startServer({
      app,
      ...(opts.host === undefined ? {} : { host: opts.host }),
      ...(opts.port === undefined ? {} : { port: opts.port }),
      onClose: () => journal.close(),
    });
  } catch (e) {
    journal.close();
    throw e;
  }
  const live = attachLive({
    server: running.server,
    sink,
    keys,
    readRange: readRangeOf(journal),
    registry: ctx.metrics.registry,
    ...(opts.authWindowMs === undefined ? {} : { authWindowMs: opts.authWindowMs }),
    now,
    keeper: opts.keeper ?? 'execute',
    ...(opts.liquidator === undefined ? {} : { liquidator: { account: opts.liquidator, sub: '0' } }),
    ...(opts.keeperUsesClock === false ? {} : { clock: now }),
    onKeeperError: (e) => logger.error({ err: e }, 'keeper pass failed'),
  });
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= live.close().then(() => running.close());
    return closing;
  };
  return { ...running, close, app, sink, created, store, keysFile, keysCreated, keys, live };
}

function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

function presetConfig(id: string): unknown {
  const preset = getPreset(id);
  if (!preset) throw new ServiceConfigError(`unknown preset ${id} (one of ${PRESET_IDS.join(', ')})`);
  return preset.config();
}
