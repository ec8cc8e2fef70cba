/**
 * Starts a cluster on one machine as child processes — the coordinator and one worker per
 * partition (process.ts) — and starts each again when it exits (a crash, a kill -9), after a
 * short pause; its state comes back from its PostgreSQL journal and its JetStream consumers.
 * Hand-written (node:child_process) because it is a few dozen lines; a real deployment runs the
 * same process.ts under systemd or an orchestrator instead.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface SupervisorOptions {
  readonly name: string;
  readonly workers: number;
  readonly configFile: string;
  readonly pgUrl: string;
  readonly natsUrl: string;
  readonly snapshotEvery?: number;
  /** The coordinator's milliseconds between timed pair settlement rounds (0 off); default its own. */
  readonly pairSettleIntervalMs?: number;
  /** Called with each child's lines (its ready line, its errors). */
  readonly onLine?: (role: string, line: string) => void;
  /** Milliseconds before a child that exited is started again; default 500. */
  readonly restartDelayMs?: number;
}

export interface RunningCluster {
  /** Resolves when every process has printed its ready line once. */
  readonly ready: Promise<void>;
  /** Process ids by role ('coordinator', 'worker 0', …), current. */
  pids(): Record<string, number | undefined>;
  /** Restarts seen per role. */
  restarts(): Record<string, number>;
  stop(): Promise<void>;
}

/** The process.ts beside this module, with the way this Node was started (tsx in development). */
function entry(): string[] {
  const here = fileURLToPath(import.meta.url);
  const script = fileURLToPath(new URL(`./process${extname(here)}`, import.meta.url));
  return [...process.execArgv, script];
}

export function superviseCluster(opts: SupervisorOptions): RunningCluster {
  const children = new Map<string, ChildProcess>();
  const restarts: Record<string, number> = {};
  let stopping = false;
  const readyWaits: Promise<void>[] = [];

  const common = [
    '--name',
    opts.name,
    '--partitions',
    String(opts.workers),
    '--config',
    opts.configFile,
    '--pg',
    opts.pgUrl,
    '--nats',
    opts.natsUrl,
    '--snapshot-every',
    String(opts.snapshotEvery ?? 1000),
  ];
  const start = (role: string, args: string[], onReady?: () => void): void => {
    const child = spawn(process.execPath, [...entry(), ...args, ...common], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.set(role, child);
    let readyOnce = onReady;
    const lines = (chunk: Buffer) => {
      for (const line of String(chunk).split('\n')) {
        if (line.trim() === '') continue;
        opts.onLine?.(role, line);
        if (readyOnce && line.includes('"ready":true')) {
          readyOnce();
          readyOnce = undefined;
        }
      }
    };
    child.stdout!.on('data', lines);
    child.stderr!.on('data', lines);
    child.once('exit', () => {
      if (stopping) return;
      restarts[role] = (restarts[role] ?? 0) + 1;
      setTimeout(() => {
        if (!stopping) start(role, args, readyOnce);
      }, opts.restartDelayMs ?? 500);
    });
  };

  const coordinatorArgs =
    opts.pairSettleIntervalMs === undefined
      ? ['coordinator']
      : ['coordinator', '--pair-settle-ms', String(opts.pairSettleIntervalMs)];
  readyWaits.push(new Promise((resolve) => start('coordinator', coordinatorArgs, resolve)));
  for (let p = 0; p < opts.workers; p++) {
    readyWaits.push(
      new Promise((resolve) => start(`worker ${p}`, ['worker', '--partition', String(p)], resolve)),
    );
  }

  return {
    ready: Promise.all(readyWaits).then(() => undefined),
    pids: () => Object.fromEntries([...children].map(([role, c]) => [role, c.pid])),
    restarts: () => ({ ...restarts }),
    stop: async () => {
      stopping = true;
      await Promise.all(
        [...children.values()].map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.exitCode !== null || c.signalCode !== null) return resolve();
              const force = setTimeout(() => c.kill('SIGKILL'), 10_000);
              c.once('exit', () => {
                clearTimeout(force);
                resolve();
              });
              c.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}
