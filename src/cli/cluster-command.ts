/**
 * `plimsoll cluster …`: the partitioned engine on the local NATS JetStream and PostgreSQL
 * (docs/cluster.md).
 *
 *   plimsoll cluster up --workers 3 [--port 8090] [--preset ID | --config FILE] [--name NAME] [--json]
 *                       [--pair-settle-ms MS]
 *   plimsoll cluster check --workers 3 [--name NAME] [--json]     conservation across partitions
 *   plimsoll cluster purge --workers 3 [--name NAME]              delete the streams and schemas
 *   plimsoll serve --cluster NAME --workers 3 [--port 8080]       the gateway alone
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import { purgeCluster } from '../cluster/admin.ts';
import { ClusterClient } from '../cluster/client.ts';
import { type ConservationReport, checkConservation } from '../cluster/conservation.ts';
import { DEFAULT_PAIR_SETTLE_INTERVAL_MS } from '../cluster/coordinator.ts';
import { listenGateway } from '../cluster/gateway.ts';
import { clusterNames } from '../cluster/names.ts';
import { connectBus, DEFAULT_NATS_URL, ensureTopology } from '../cluster/nats.ts';
import { DEFAULT_PG_URL } from '../cluster/process.ts';
import { superviseCluster } from '../cluster/supervisor.ts';
import { getPreset, PRESET_IDS } from '../core/presets/index.ts';
import { loadKeys, openKeysFile } from '../server/auth.ts';
import { DEFAULT_PRESET } from '../server/service.ts';
import { intInRange } from './args.ts';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from './errors.ts';

interface ClusterOptions {
  workers: number;
  name: string;
  pg: string;
  nats: string;
  json?: boolean;
}

const pgDefault = process.env.PLIMSOLL_PG_URL ?? DEFAULT_PG_URL;
const natsDefault = process.env.PLIMSOLL_NATS_URL ?? DEFAULT_NATS_URL;

function common(cmd: Command): Command {
  return cmd
    .option('--workers <n>', 'partitions (one worker process each)', intInRange('--workers', 1, 256), 3)
    .option('--name <name>', 'cluster name (its streams and schemas are named after it)', 'plimsoll')
    .option('--pg <url>', 'PostgreSQL for the journals, snapshots and the coordinator', pgDefault)
    .option('--nats <url>', 'NATS server with JetStream', natsDefault)
    .option('--json', 'print JSON instead of text');
}

function jsonBig(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
}

/**
 * The gateway in front of a running cluster (`serve --cluster` and `cluster up`), with API keys
 * taken as `plimsoll serve` takes them: `keys` (must exist), else `<name>.keys.json` in `dataDir`
 * or the current directory, generated on a first start (mode 0600). A bad keys file is a
 * UsageError, before anything connects.
 */
export async function startGateway(o: {
  name: string;
  workers: number;
  nats: string;
  host: string;
  port: number;
  /** PostgreSQL of the partitions' journals (the merged event stream reads them); default PLIMSOLL_PG_URL. */
  pg?: string;
  keys?: string;
  dataDir?: string;
  /** Requests per second per key (burst twice that); default the service's 200. */
  rateLimit?: number;
}): Promise<{
  url: string;
  keysFile: string;
  keysCreated: boolean;
  keyIds: string[];
  close: () => Promise<void>;
}> {
  let opened: ReturnType<typeof openKeysFile>;
  try {
    opened = openKeysFile(o.keys, join(o.dataDir ?? process.cwd(), `${o.name}.keys.json`));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const names = clusterNames(o.name);
  const bus = await connectBus(o.nats, `plimsoll-${o.name}-gateway`);
  await ensureTopology(bus, names, o.workers);
  const gw = await listenGateway(
    new ClusterClient(bus, names, o.workers),
    { host: o.host, port: o.port },
    {
      events: { pgUrl: o.pg ?? pgDefault },
      auth: {
        keys: opened.keys,
        ...(o.rateLimit === undefined
          ? {}
          : { rateLimit: { ratePerSec: o.rateLimit, burst: 2 * o.rateLimit } }),
      },
    },
  );
  return {
    url: gw.url,
    keysFile: opened.file,
    keysCreated: opened.created,
    keyIds: opened.keys.map((k) => k.id),
    close: async () => {
      await gw.close();
      await bus.nc.drain().catch(() => {});
    },
  };
}

/**
 * An async action: main() has returned its exit code by the time it finishes, so it sets
 * process.exitCode itself, and a failure prints one line instead of an unhandled rejection.
 */
function later<A extends unknown[]>(fn: (...args: A) => Promise<number | undefined>): (...args: A) => void {
  return (...args) => {
    fn(...args).then(
      (code) => {
        if (code !== undefined) process.exitCode = code;
      },
      (e: unknown) => {
        process.stderr.write(`plimsoll: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exitCode = e instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE;
      },
    );
  };
}

export function registerClusterCommand(program: Command): void {
  const cluster = program
    .command('cluster')
    .description('The partitioned engine on NATS JetStream and PostgreSQL (docs/cluster.md).');

  common(
    cluster
      .command('up')
      .description(
        'Start the coordinator, one worker per partition (restarted when they exit) and the HTTP gateway.',
      ),
  )
    .addOption(
      new Option('--preset <id>', `venue preset for a first start (default: ${DEFAULT_PRESET})`).choices([
        ...PRESET_IDS,
      ]),
    )
    .option('--config <file>', 'engine configuration JSON for a first start (instead of --preset)')
    .option('--host <host>', 'gateway address', '127.0.0.1')
    .option('--port <n>', 'gateway port (0: any free port)', intInRange('--port', 0, 65535), 8090)
    .option(
      '--keys <file>',
      "the gateway's API keys JSON: [{id, secret, scopes, accounts?}] (default: <name>.keys.json, generated)",
    )
    .option(
      '--snapshot-every <n>',
      'a snapshot after this many commands per partition',
      intInRange('--snapshot-every', 1, 1e9),
      1000,
    )
    .option(
      '--pair-settle-ms <ms>',
      'milliseconds between timed settlements of the ADL pair subaccounts (0: off)',
      intInRange('--pair-settle-ms', 0, 86_400_000),
      DEFAULT_PAIR_SETTLE_INTERVAL_MS,
    )
    .action(
      later(
        async (
          o: ClusterOptions & {
            preset?: string;
            config?: string;
            host: string;
            port: number;
            snapshotEvery: number;
            pairSettleMs: number;
            keys?: string;
          },
        ) => {
          if (o.preset !== undefined && o.config !== undefined)
            throw new UsageError('give --preset or --config, not both');
          if (o.keys !== undefined) {
            try {
              loadKeys(o.keys); // a bad keys file stops us before any process starts
            } catch (e) {
              throw new UsageError((e as Error).message);
            }
          }
          let configFile = o.config;
          if (configFile === undefined) {
            const preset = getPreset(o.preset ?? DEFAULT_PRESET)!;
            configFile = join(mkdtempSync(join(tmpdir(), 'plimsoll-cluster-')), 'venue.json');
            writeFileSync(configFile, JSON.stringify(preset.config()));
          } else {
            readFileSync(configFile); // a clear error now rather than in every worker
          }
          const say = (line: string) => {
            if (o.json !== true) process.stderr.write(`${line}\n`);
          };
          const running = superviseCluster({
            name: o.name,
            workers: o.workers,
            configFile,
            pgUrl: o.pg,
            natsUrl: o.nats,
            snapshotEvery: o.snapshotEvery,
            pairSettleIntervalMs: o.pairSettleMs,
            onLine: (role, line) => say(`[${role}] ${line}`),
          });
          await running.ready;
          const gw = await startGateway({ ...o });
          const info = {
            cluster: o.name,
            workers: o.workers,
            gateway: gw.url,
            pids: running.pids(),
            keysFile: gw.keysFile,
            keysCreated: gw.keysCreated,
            keyIds: gw.keyIds,
          };
          if (o.json === true) process.stdout.write(`${JSON.stringify(info)}\n`);
          else {
            process.stdout.write(
              [
                `plimsoll cluster ${o.name} up: ${o.workers} partitions and the coordinator`,
                `  gateway   ${gw.url} (the single-process API, events at /v1/events; GET /v1/cluster/status)`,
                `  keys      ${gw.keysFile}${gw.keysCreated ? ' (generated now: keep it secret)' : ''} — ${gw.keyIds.join(', ')}`,
                `  journals  ${o.pg.replace(/:[^:@/]*@/, ':***@')} schemas ${clusterNames(o.name).partitionSchema(0)}…`,
                `  stream    ${o.nats} ${clusterNames(o.name).commandStream}`,
                '  stop      Ctrl-C',
                '',
              ].join('\n'),
            );
          }
          let stopping = false;
          const stop = () => {
            if (stopping) return;
            stopping = true;
            void gw
              .close()
              .then(() => running.stop())
              .then(
                () => process.exit(EXIT_OK),
                () => process.exit(EXIT_FAILURE),
              );
          };
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
          return undefined;
        },
      ),
    );

  common(
    cluster
      .command('check')
      .description('Check that money is conserved across the partitions and the coordinator.'),
  ).action(
    later(async (o: ClusterOptions) => {
      const report = await checkConservation(o.pg, clusterNames(o.name), o.workers);
      if (o.json === true) process.stdout.write(`${jsonBig(report)}\n`);
      else process.stdout.write(conservationText(report));
      return report.ok ? EXIT_OK : EXIT_FAILURE;
    }),
  );

  common(
    cluster.command('purge').description("Delete a cluster's JetStream streams and PostgreSQL schemas."),
  ).action(
    later(async (o: ClusterOptions) => {
      await purgeCluster(o.pg, o.nats, clusterNames(o.name), o.workers);
      if (o.json === true) process.stdout.write(`${JSON.stringify({ purged: o.name })}\n`);
      else process.stdout.write(`purged cluster ${o.name}\n`);
      return EXIT_OK;
    }),
  );
}

function conservationText(r: ConservationReport): string {
  const lines = [r.ok ? 'money conserved across the cluster' : 'CONSERVATION FAILED'];
  for (const p of r.partitions) {
    const assets = Object.entries(p.assets)
      .map(([a, s]) => `${a} ${s.ledger}`)
      .join(', ');
    lines.push(
      `  partition ${p.partition}: seq ${p.seq}, ledgers ${assets}; written off ${p.shortfall}, cover ${p.cover}`,
    );
  }
  lines.push(
    `  coordinator fund: balance ${r.fund.balance}, funded ${r.fund.funded}, paid ${r.fund.paid}; in flight ${r.inFlight}`,
  );
  for (const [m, a] of Object.entries(r.adl)) {
    lines.push(
      `  cross-partition ADL ${m}: clearing positions sum ${a.clearing}, legs in flight ${a.inFlight}`,
    );
  }
  for (const p of r.problems) lines.push(`  problem: ${p}`);
  return `${lines.join('\n')}\n`;
}
