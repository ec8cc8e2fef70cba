/**
 * `plimsoll serve`: runs the engine as a venue service over HTTP (docs/server.md).
 *
 *   plimsoll serve [--store PATH] [--data-dir DIR] [--preset binance-usdm | --config FILE]
 *                  [--keys FILE] [--host 127.0.0.1] [--port 8080] [--json]
 *
 * First start: creates the journal from the preset or configuration, and (without --keys)
 * generates API keys into `<store>.keys.json` (mode 0600). Later starts resume from the journal;
 * the state hash is printed so two starts can be compared. SIGINT/SIGTERM shut down gracefully.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import { PRESET_IDS } from '../core/presets/index.ts';
import { createLogger, stderrDestination } from '../server/log.ts';
import { DEFAULT_PRESET, DEFAULT_STORE_FILE, type RunningService, startService } from '../server/service.ts';
import { intInRange } from './args.ts';
import { startGateway } from './cluster-command.ts';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from './errors.ts';
import { formatReplayRecord, runServeReplay } from './serve-replay.ts';

export interface ServeOptions {
  store?: string;
  dataDir?: string;
  preset?: string;
  config?: string;
  keys?: string;
  host: string;
  port: number;
  json?: boolean;
  keeper?: 'execute' | 'orders' | 'off';
  liquidator?: string;
  replay?: string;
  speed: number;
  accounts: number;
  seed: number;
  minutes?: number;
  from?: string;
  rateLimit?: number;
  dashboardDir?: string;
  cluster?: string;
  workers?: number;
  nats?: string;
}

/** Where the journal lives: --store, else plimsoll.sqlite in --data-dir or the cwd. */
export function storePath(o: Pick<ServeOptions, 'store' | 'dataDir'>): string {
  if (o.store !== undefined) return o.store;
  return join(o.dataDir ?? process.cwd(), DEFAULT_STORE_FILE);
}

function readConfig(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`cannot read --config ${file}: ${(e as Error).message}`);
  }
}

export function describeStart(s: RunningService, stateHash: string, seq: number): Record<string, unknown> {
  return {
    url: s.url,
    port: s.port,
    store: s.store.replace(/^(postgres(?:ql)?:\/\/[^:/@]*):[^@]*@/i, '$1:***@'),
    created: s.created,
    seq,
    stateHash,
    keysFile: s.keysFile,
    keysCreated: s.keysCreated,
    keyIds: s.keys.map((k) => k.id),
  };
}

export function registerServeCommand(program: Command, io: { setExitCode: (code: number) => void }): void {
  program
    .command('serve')
    .description('Run the engine as a venue service: HTTP API with signed requests (docs/server.md).')
    .option(
      '--store <path|url>',
      `SQLite journal file or postgres://… URL (default: ${DEFAULT_STORE_FILE} in --data-dir or the current directory)`,
    )
    .option('--data-dir <dir>', 'directory for the journal, keys and audit trail')
    .option(
      '--dashboard-dir <dir>',
      "serve the risk console's built files from this directory (default: the package's dist/dashboard)",
    )
    .addOption(
      new Option('--preset <id>', `venue preset for a first start (default: ${DEFAULT_PRESET})`).choices([
        ...PRESET_IDS,
      ]),
    )
    .option('--config <file>', 'engine configuration JSON for a first start (instead of --preset)')
    .option(
      '--keys <file>',
      'API keys JSON: [{id, secret, scopes, accounts?}] (default: generated next to the journal; with --cluster: <name>.keys.json in --data-dir or the current directory)',
    )
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port to listen on (0: any free port)', intInRange('--port', 0, 65535), 8080)
    .option('--json', 'print the startup information as one JSON line (with --replay: one per record)')
    .addOption(
      new Option(
        '--keeper <mode>',
        'the keeper inside the service: execute liquidations, only publish liquidation orders on the event stream, or off',
      )
        .choices(['execute', 'orders', 'off'])
        .default('execute'),
    )
    .option('--liquidator <account>', "account the keeper's liquidations go to (default: the backstop)")
    .option(
      '--rate-limit <n>',
      'requests per second each key may make, in bursts of up to twice that (default: 200)',
      intInRange('--rate-limit', 1, 1_000_000_000),
    )
    .option(
      '--replay <day>',
      "live crash replay: the day's real observations and a seeded population through the API (2025-10-10)",
    )
    .option(
      '--speed <x>',
      'replay: market time per real time (60: a minute per second)',
      intInRange('--speed', 1, 100_000),
      60,
    )
    .option('--accounts <n>', 'replay: traders in the population', intInRange('--accounts', 1, 100_000), 300)
    .option('--seed <n>', 'replay: population seed', intInRange('--seed', 0, 2 ** 31 - 1), 42)
    .option(
      '--from <HH:MM>',
      'replay: start at this minute of the day, UTC (default: 30 minutes before the low, 20:50 on 2025-10-10)',
    )
    .option(
      '--minutes <n>',
      'replay: stop after this many minutes of market time',
      intInRange('--minutes', 1, 100_000),
    )
    .option('--cluster <name>', 'be the gateway of a running cluster (docs/cluster.md) instead of an engine')
    .option('--workers <n>', 'with --cluster: its partition count', intInRange('--workers', 1, 256), 3)
    .option(
      '--nats <url>',
      'with --cluster: the NATS server',
      process.env.PLIMSOLL_NATS_URL ?? 'nats://127.0.0.1:4222',
    )
    .action((o: ServeOptions) => {
      if (o.cluster !== undefined) return serveClusterGateway(o);
      if (o.preset !== undefined && o.config !== undefined)
        throw new UsageError('give --preset or --config, not both');
      const config = o.config === undefined ? undefined : readConfig(o.config);
      io.setExitCode(EXIT_OK);
      if (o.replay !== undefined) return serveReplay(o);
      startService({
        store: storePath(o),
        ...(o.dataDir === undefined ? {} : { dataDir: o.dataDir }),
        ...(config === undefined ? {} : { config }),
        ...(o.preset === undefined ? {} : { preset: o.preset }),
        ...(o.keys === undefined ? {} : { keysFile: o.keys }),
        host: o.host,
        port: o.port,
        ...(o.keeper === undefined ? {} : { keeper: o.keeper }),
        ...(o.liquidator === undefined ? {} : { liquidator: o.liquidator }),
        ...(o.rateLimit === undefined
          ? {}
          : { rateLimit: { ratePerSec: o.rateLimit, burst: 2 * o.rateLimit } }),
        ...(o.dashboardDir === undefined ? {} : { dashboardDir: o.dashboardDir }),
        logger: createLogger({ destination: stderrDestination() }),
      }).then(
        (s) => {
          const engine = s.sink.engine;
          const info = describeStart(s, engine.stateHash(), engine.state.seq);
          if (o.json === true) process.stdout.write(`${JSON.stringify(info)}\n`);
          else {
            process.stdout.write(
              [
                `plimsoll serve listening on ${s.url}`,
                `  journal   ${s.store} (${s.created ? 'created' : 'resumed'} at seq ${info.seq})`,
                `  state     ${info.stateHash}`,
                `  keys      ${s.keysFile}${s.keysCreated ? ' (generated now: keep it secret)' : ''} — ${s.keys.map((k) => k.id).join(', ')}`,
                `  events    ${s.url.replace(/^http/, 'ws')}/v1/events?since=0 (signed handshake)`,
                '  docs      GET /openapi.json, docs/server.md',
                '',
              ].join('\n'),
            );
          }
          let stopping = false;
          const stop = () => {
            if (stopping) return;
            stopping = true;
            s.close().then(
              () => process.exit(EXIT_OK),
              (e: unknown) => {
                process.stderr.write(`plimsoll: shutdown failed: ${(e as Error).message}\n`);
                process.exit(EXIT_FAILURE);
              },
            );
          };
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        },
        (e: unknown) => {
          const usage = e instanceof Error && (e.name === 'ServiceConfigError' || e.name === 'ConfigError');
          process.stderr.write(`plimsoll: ${e instanceof Error ? e.message : String(e)}\n`);
          process.exitCode = usage ? EXIT_USAGE : EXIT_FAILURE;
        },
      );
    });
}

/** `serve --cluster NAME`: the cluster's gateway (cli/cluster-command.ts) until SIGINT/SIGTERM. */
function serveClusterGateway(o: ServeOptions): void {
  startGateway({
    name: o.cluster!,
    workers: o.workers ?? 3,
    nats: o.nats!,
    host: o.host,
    port: o.port,
    ...(o.keys === undefined ? {} : { keys: o.keys }),
    ...(o.dataDir === undefined ? {} : { dataDir: o.dataDir }),
    ...(o.rateLimit === undefined ? {} : { rateLimit: o.rateLimit }),
  }).then(
    (gw) => {
      const info = {
        gateway: gw.url,
        cluster: o.cluster,
        workers: o.workers,
        keysFile: gw.keysFile,
        keysCreated: gw.keysCreated,
        keyIds: gw.keyIds,
      };
      process.stdout.write(
        o.json === true
          ? `${JSON.stringify(info)}\n`
          : [
              `plimsoll serve --cluster ${o.cluster}: gateway on ${gw.url}`,
              `  keys      ${gw.keysFile}${gw.keysCreated ? ' (generated now: keep it secret)' : ''} — ${gw.keyIds.join(', ')}`,
              '',
            ].join('\n'),
      );
      const stop = () => void gw.close().then(() => process.exit(EXIT_OK));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (e: unknown) => {
      process.stderr.write(`plimsoll: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = e instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE;
    },
  );
}

/** `serve --replay DAY`: the live crash replay (serve-replay.ts); the service stays up afterwards until SIGINT/SIGTERM. */
function serveReplay(o: ServeOptions): void {
  const write = (line: string) => process.stdout.write(`${line}\n`);
  const json = o.json === true;
  runServeReplay({
    day: o.replay!,
    speed: o.speed,
    accounts: o.accounts,
    seed: o.seed,
    host: o.host,
    port: o.port,
    ...(o.store === undefined ? {} : { store: o.store }),
    ...(o.minutes === undefined ? {} : { minutes: o.minutes }),
    ...(o.from === undefined ? {} : { from: o.from }),
    ...(o.dashboardDir === undefined ? {} : { dashboardDir: o.dashboardDir }),
    report: (r) => write(json ? JSON.stringify(r) : formatReplayRecord(r)),
  }).then(
    ({ service, summary }) => {
      if (json) write(JSON.stringify({ kind: 'done', ...summary }));
      else
        write(
          `replay done: ${summary.minutes} market minutes, ${summary.oracleSteps} oracle steps, ${summary.liquidations} liquidations, ${summary.ordersPlaced} resting orders placed (${summary.ordersCancelled} cancelled by liquidations); journal seq ${summary.seq}, state ${summary.stateHash}`,
        );
      if (!json) write(`the venue stays up at ${service.url} — Ctrl-C to stop`);
      const stop = () => {
        service.close().then(
          () => process.exit(EXIT_OK),
          () => process.exit(EXIT_FAILURE),
        );
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (e: unknown) => {
      process.stderr.write(`plimsoll: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = EXIT_FAILURE;
    },
  );
}
