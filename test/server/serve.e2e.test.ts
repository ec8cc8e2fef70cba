/**
 * `plimsoll serve` as a user runs it: the real CLI in a child process on a free port, generated
 * keys, signed requests through the client, a graceful stop (SIGTERM) and a restart that resumes
 * the same state from the journal.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PlimsollApiError, PlimsollClient } from '../../src/server/client.ts';
import { REPO } from '../cli/run-cli.ts';

interface Started {
  child: ChildProcess;
  info: {
    url: string;
    port: number;
    seq: number;
    stateHash: string;
    created: boolean;
    keysFile: string;
    keysCreated: boolean;
  };
}

/**
 * The bin (compiled CLI) when dist is built from the current server sources; else the TypeScript
 * sources through the same CLI entry (a stale dist would test old code).
 */
function entry(): string[] {
  const built = join(REPO, 'dist/server/service.js');
  const sources = [
    join(REPO, 'src/cli/serve-command.ts'),
    ...readdirSync(join(REPO, 'src/server'), { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => join(REPO, 'src/server', f)),
  ];
  const fresh = existsSync(built) && sources.every((f) => statSync(f).mtimeMs <= statSync(built).mtimeMs);
  return fresh ? ['bin/plimsoll.js'] : ['--import', 'tsx', 'src/cli/main.ts'];
}

function startServe(store: string): Promise<Started> {
  const child = spawn(process.execPath, [...entry(), 'serve', '--port', '0', '--store', store, '--json'], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

const dir = mkdtempSync(join(tmpdir(), 'plimsoll-serve-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('plimsoll serve (end to end)', () => {
  it('serves signed requests, stops gracefully and resumes the same state after a restart', async () => {
    const store = join(dir, 'venue.sqlite');
    const first = await startServe(store);
    let state: { seq: number; stateHash: string };
    try {
      expect(first.info.created).toBe(true);
      expect(first.info.keysCreated).toBe(true);
      expect(statSync(first.info.keysFile).mode & 0o777).toBe(0o600);
      const keys = JSON.parse(readFileSync(first.info.keysFile, 'utf8')) as { id: string; secret: string }[];
      const client = (id: string) => {
        const k = keys.find((x) => x.id === id)!;
        return new PlimsollClient({ url: first.info.url, keyId: k.id, secret: k.secret });
      };
      const op = client('operator');
      await op.deposit({ account: 'alice', asset: 'USDT', amount: '5000' });
      await op.deposit({ account: 'bob', asset: 'USDT', amount: '5000' });
      await client('feed').prices({ marks: { BTCUSDT: '60000' } });
      await client('venue').fill({
        symbol: 'BTCUSDT',
        buyer: { account: 'alice' },
        seller: { account: 'bob' },
        amount: '0.1',
        price: '60000',
      });
      const alice = client('alice');
      await alice.withdraw({ account: 'alice', asset: 'USDT', amount: '100' });
      await expect(alice.account('bob')).rejects.toMatchObject({ status: 403, code: 'FORBIDDEN' });
      await expect(
        new PlimsollClient({ url: first.info.url }).request('POST', '/v1/deposits', {}),
      ).rejects.toBeInstanceOf(PlimsollApiError);
      const metrics = await (await fetch(`${first.info.url}/metrics`)).text();
      expect(metrics).toMatch(/plimsoll_commit_groups [1-9]/);
      expect(metrics).toMatch(/plimsoll_pretrade_check_seconds_count\{kind="fill"\} 1/);
      state = await op.state();
      expect(state.seq).toBeGreaterThan(first.info.seq);
    } finally {
      expect(await stop(first.child)).toBe(0);
    }

    const second = await startServe(store);
    try {
      expect(second.info.created).toBe(false);
      expect(second.info.keysCreated).toBe(false);
      expect(second.info.seq).toBe(state.seq);
      expect(second.info.stateHash).toBe(state.stateHash);
      const keys = JSON.parse(readFileSync(second.info.keysFile, 'utf8')) as { id: string; secret: string }[];
      const alice = keys.find((k) => k.id === 'alice')!;
      const c = new PlimsollClient({ url: second.info.url, keyId: alice.id, secret: alice.secret });
      const acct = (await c.subaccount('alice')) as {
        balances: Record<string, string>;
        cross: { positions: { contracts: string }[] };
      };
      // 5,000 − 100 withdrawn − 0.05% taker fee on 6,000 notional (3)
      expect(acct.balances.USDT).toBe('4897');
      expect(acct.cross.positions[0]!.contracts).toBe('0.1');
    } finally {
      expect(await stop(second.child)).toBe(0);
    }
  });
});
