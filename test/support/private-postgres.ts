/**
 * A private PostgreSQL server for fault tests that stop and start the database itself: the
 * machine's server is shared with other tests and users, so a test that restarts PostgreSQL runs
 * its own — `initdb` into a temporary directory, trust authentication, a free port on 127.0.0.1
 * and the socket in the same directory — and removes it afterwards.
 *
 * initdb and the server refuse to run as root; as root (CI's containers) they run as the
 * `postgres` system user (`runuser`), which owns the directory. The binaries are Debian's
 * (/usr/lib/postgresql/<newest>/bin) unless PLIMSOLL_PG_BIN names another directory. When they
 * cannot be found or run, `privatePostgresUnavailable` says why; under PLIMSOLL_REQUIRE_POSTGRES=1
 * (CI) that is a failure, not a skip.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

function binDir(): string | undefined {
  if (process.env.PLIMSOLL_PG_BIN) return process.env.PLIMSOLL_PG_BIN;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length === 0 ? undefined : join(root, versions[0]!, 'bin');
}

/** The `postgres` user's uid and gid when we are root (initdb refuses root), else undefined. */
async function runAsIds(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
  const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
  return { uid, gid };
}

/** undefined when a private server can be started here, else why not. */
async function unavailable(): Promise<string | undefined> {
  const bin = binDir();
  if (bin === undefined || !existsSync(join(bin, 'initdb')) || !existsSync(join(bin, 'pg_ctl'))) {
    return "no initdb/pg_ctl (install Debian's postgresql, or set PLIMSOLL_PG_BIN to their directory)";
  }
  try {
    await runAsIds();
  } catch {
    return 'running as root and there is no `postgres` user to run initdb as (initdb refuses root)';
  }
  return undefined;
}

/**
 * Whether a test needing a private server runs: true when one can be started; false with the
 * reason printed; throws under PLIMSOLL_REQUIRE_POSTGRES=1.
 */
export async function privatePostgresAvailable(what: string): Promise<boolean> {
  const why = await unavailable();
  if (why === undefined) return true;
  if (process.env.PLIMSOLL_REQUIRE_POSTGRES === '1') {
    throw new Error(
      `a private PostgreSQL cannot be started: ${why}; PLIMSOLL_REQUIRE_POSTGRES=1: ${what} must run`,
    );
  }
  console.warn(`skipping ${what}: a private PostgreSQL cannot be started: ${why}`);
  return false;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface PrivatePostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  readonly url: string;
  /**
   * `pg_ctl stop -m immediate`: every server process quits at once, sessions are cut and no
   * shutdown checkpoint is written, as in a crash of the server (fsync is off: the machine
   * itself does not go down, so what was written survives in its page cache).
   */
  crash(): Promise<void>;
  /** Starts it again on the same port and data (crash recovery replays its WAL); waits until it accepts. */
  start(): Promise<void>;
  /** Stops it (if running) and removes its directory. */
  dispose(): Promise<void>;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir()!;
  const ids = await runAsIds();
  const dir = mkdtempSync(join(tmpdir(), 'plimsoll-pg-'));
  if (ids !== undefined) chownSync(dir, ids.uid, ids.gid);
  const data = join(dir, 'data');
  const port = await freePort();
  const as = (cmd: string, args: string[]) =>
    ids === undefined ? run(cmd, args) : run('runuser', ['-u', 'postgres', '--', cmd, ...args]);
  const pgCtl = (...args: string[]) => as(join(bin, 'pg_ctl'), ['-D', data, ...args]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`;
  let running = false;
  // a test process that dies without dispose() must not leave the server running
  const stopAtExit = () => {
    if (!running) return;
    const args = [join(bin, 'pg_ctl'), '-D', data, 'stop', '-m', 'immediate'];
    try {
      if (ids === undefined) execFileSync(args[0]!, args.slice(1), { stdio: 'ignore' });
      else execFileSync('runuser', ['-u', 'postgres', '--', ...args], { stdio: 'ignore' });
    } catch {}
  };
  process.once('exit', stopAtExit);
  const start = async () => {
    await pgCtl('start', '-w', '-t', '30', '-l', join(dir, 'server.log'), '-o', options);
    running = true;
  };
  try {
    await as(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
    await start();
  } catch (err) {
    process.off('exit', stopAtExit);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    crash: async () => {
      await pgCtl('stop', '-m', 'immediate', '-w');
      running = false;
    },
    start,
    dispose: async () => {
      if (running) await pgCtl('stop', '-m', 'immediate', '-w').catch(() => {});
      running = false;
      process.off('exit', stopAtExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
