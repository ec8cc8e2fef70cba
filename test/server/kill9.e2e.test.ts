/**
 * kill -9 in the middle of a load: the real `plimsoll serve` in a child process takes fills with
 * command ids from several concurrent clients, is killed with SIGKILL mid-load and restarted on
 * the same store. Every command whose 2xx answer reached its client must have survived: repeating
 * it returns the original outcome (replayed, same events) and the journal holds its
 * `command_accepted`; and the restarted server's state is exactly the journal's replay (its state
 * hash equals `Engine.open` on the store opened read-only).
 *
 * SQLite always; PostgreSQL when the server accepts a postgres:// store and the database answers
 * (else skipped with the reason; PLIMSOLL_REQUIRE_POSTGRES=1 turns the skip into a failure).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeEvent } from '../../src/core/engine/codec.ts';
import { Engine } from '../../src/core/engine/engine.ts';
import { PlimsollClient } from '../../src/server/client.ts';
import { openStore } from '../../src/store/open-store.ts';
import { REPO } from '../cli/run-cli.ts';

interface Info {
  url: string;
  seq: number;
  stateHash: string;
  keysFile: string;
}

function entry(): string[] {
  return existsSync(join(REPO, 'dist/cli/serve-command.js'))
    ? ['bin/plimsoll.js']
    : ['--import', 'tsx', 'src/cli/main.ts'];
}

function startServe(store: string, dataDir?: string): Promise<{ child: ChildProcess; info: Info }> {
  // No rate limit to speak of: the check re-posts every acknowledged fill (often more than the
  // default burst of 400) to the restarted server, which is about durability, not throttling.
  const args = [
    ...entry(),
    'serve',
    '--port',
    '0',
    '--store',
    store,
    '--json',
    '--keeper',
    'off',
    '--rate-limit',
    '1000000',
  ];
  if (dataDir) args.push('--data-dir', dataDir);
  const child = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (d) => {
      err += String(d);
    });
    child.stdout!.on('data', (d) => {
      out += String(d);
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve({ child, info: JSON.parse(out.slice(0, nl)) });
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${err.slice(0, 2000)}`)));
  });
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });

const dir = mkdtempSync(join(tmpdir(), 'plimsoll-kill9-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ACCOUNTS = Array.from({ length: 8 }, (_, i) => `acct${i}`);
const CLIENTS = 4;
type Reply = { seq: number; replayed?: true; events: { seq: number; type: string }[] };

async function killMidLoad(store: string, dataDir?: string): Promise<void> {
  const first = await startServe(store, dataDir);
  const keys = JSON.parse(readFileSync(first.info.keysFile, 'utf8')) as { id: string; secret: string }[];
  const client = (url: string, id: string) => {
    const k = keys.find((x) => x.id === id)!;
    return new PlimsollClient({ url, keyId: k.id, secret: k.secret });
  };
  const acked = new Map<string, { body: Record<string, unknown>; reply: Reply }>();
  try {
    const op = client(first.info.url, 'operator');
    await client(first.info.url, 'feed').prices({ marks: { BTCUSDT: '60000' } });
    for (const a of ACCOUNTS) await op.deposit({ account: a, asset: 'USDT', amount: '1000000' });
    const venue = client(first.info.url, 'venue');
    const t0 = Date.now();
    let stop = false;
    const loops = Array.from({ length: CLIENTS }, async (_, c) => {
      for (let i = 0; !stop; i++) {
        const body = {
          symbol: 'BTCUSDT',
          buyer: { account: ACCOUNTS[(c * 2 + i) % ACCOUNTS.length]! },
          seller: { account: ACCOUNTS[(c * 2 + i + 1) % ACCOUNTS.length]! },
          amount: '0.001',
          price: String(60000 + (i % 50)),
          timeMs: t0 + i,
          commandId: `kill9-c${c}-${i}`,
        };
        try {
          const reply = (await venue.request('POST', '/v1/fills', body)) as Reply;
          acked.set(body.commandId, { body, reply });
        } catch {
          return; // the server is gone: this command's outcome is unknown to the client
        }
      }
    });
    // let the load build up, then kill -9 while requests are in flight
    await new Promise((r) => setTimeout(r, 1_500));
    const before = acked.size;
    first.child.kill('SIGKILL');
    stop = true;
    await exited(first.child);
    await Promise.all(loops);
    expect(before).toBeGreaterThan(10);
  } catch (e) {
    first.child.kill('SIGKILL');
    throw e;
  }

  const second = await startServe(store, dataDir);
  let served: { seq: number; stateHash: string };
  try {
    const venue = client(second.info.url, 'venue');
    for (const [id, { body, reply }] of acked) {
      const again = (await venue.request('POST', '/v1/fills', body)) as Reply;
      expect(again.replayed, id).toBe(true);
      expect(again.events, id).toEqual(reply.events);
    }
    served = (await client(second.info.url, 'operator').request('GET', '/v1/state')) as typeof served;
    expect(served.stateHash).toBe(second.info.stateHash); // repeats changed nothing
  } finally {
    second.child.kill('SIGTERM');
    await exited(second.child);
  }

  const journal = await openStore(store, { readOnly: true });
  try {
    const ids = new Set<string>();
    for (const e of journal.read(0)) {
      if (e.type !== 'command_accepted') continue;
      const ev = decodeEvent(e.json);
      if (ev.type === 'command_accepted') ids.add(ev.commandId);
    }
    for (const id of acked.keys()) expect(ids.has(id), id).toBe(true);
    const replayed = Engine.open(journal);
    expect(replayed.state.seq).toBe(served.seq);
    expect(replayed.stateHash()).toBe(served.stateHash);
  } finally {
    journal.close();
  }
}

describe('kill -9 under load (end to end)', () => {
  it('SQLite: every acknowledged fill survives and the state is the journal replay', async () => {
    await killMidLoad(join(dir, 'venue.sqlite'));
  }, 180_000);

  it('PostgreSQL: the same', async (ctx) => {
    const admin = process.env.PLIMSOLL_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
    const require = process.env.PLIMSOLL_REQUIRE_POSTGRES === '1';
    // a database of its own, so no other journal (or an earlier run) shares its schema
    const db = `plimsoll_kill9_${process.pid}_${Date.now()}`;
    const probe = new pg.Client({ connectionString: admin, connectionTimeoutMillis: 3_000 });
    try {
      await probe.connect();
      await probe.query(`CREATE DATABASE ${db}`);
    } catch (e) {
      await probe.end().catch(() => {});
      if (require) throw e;
      ctx.skip(`PostgreSQL unreachable: ${(e as Error).message}`);
      return;
    }
    try {
      const url = new URL(admin);
      url.pathname = `/${db}`;
      await killMidLoad(url.toString(), mkdtempSync(join(dir, 'pg-')));
    } finally {
      await probe.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => {});
      await probe.end();
    }
  }, 180_000);
});
