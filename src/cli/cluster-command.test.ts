/**
 * `plimsoll cluster up` as a user starts it: the real CLI in a child process starts the
 * coordinator, two workers and the gateway against the local NATS and PostgreSQL; the gateway
 * takes the keys file (an unsigned deposit refused, a signed one applied in the depositor's
 * partition; a missing keys file is a usage error), `cluster check` finds the money
 * conserved, and SIGTERM stops every process. Skipped (with the reason) without NATS/PostgreSQL.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { venueConfig } from '../../test/support/fixtures.ts';
import { freshClusterName, NATS_URL, natsAvailable } from '../../test/support/nats.ts';
import { PG_URL, postgresAvailable } from '../../test/support/postgres.ts';
import { purgeCluster } from '../cluster/admin.ts';
import { clusterNames } from '../cluster/names.ts';
import { partitionOf } from '../cluster/partition.ts';
import { signedHeaders } from '../server/auth.ts';

const READY =
  (await postgresAvailable('the cluster CLI test')) && (await natsAvailable('the cluster CLI test'));
const REPO = new URL('../..', import.meta.url).pathname;

describe.runIf(READY)('plimsoll cluster', () => {
  it('up starts workers, coordinator and gateway; check reports conservation; SIGTERM stops them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plimsoll-cluster-cli-'));
    const config = join(dir, 'venue.json');
    writeFileSync(config, JSON.stringify(venueConfig()));
    const keysFile = join(dir, 'keys.json');
    const op = { id: 'op', secret: 'k'.repeat(64), scopes: ['operator'] as const };
    writeFileSync(keysFile, JSON.stringify([op]));
    const name = freshClusterName();
    const common = ['--workers', '2', '--name', name, '--pg', PG_URL, '--nats', NATS_URL];
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'cluster',
        'up',
        ...common,
        '--config',
        config,
        '--port',
        '0',
        '--keys',
        keysFile,
        '--json',
      ],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      const info = await new Promise<{ gateway: string; pids: Record<string, number>; keyIds: string[] }>(
        (resolve, reject) => {
          let out = '';
          let err = '';
          child.stderr!.on('data', (d) => {
            err += String(d);
          });
          child.stdout!.on('data', (d) => {
            out += String(d);
            const nl = out.indexOf('\n');
            if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)));
          });
          child.once('exit', (code) => reject(new Error(`cluster up exited ${code}: ${err.slice(0, 2000)}`)));
        },
      );
      expect(Object.keys(info.pids).sort()).toEqual(['coordinator', 'worker 0', 'worker 1']);
      expect(info.keyIds).toEqual(['op']);
      const body = JSON.stringify({ account: 'alice', asset: 'USDC', amount: '42', commandId: 'cli1' });
      // the gateway takes the keys file: unsigned is refused, signed by the operator applied
      const unsigned = await fetch(`${info.gateway}/v1/deposits`, { method: 'POST', body });
      expect([unsigned.status, ((await unsigned.json()) as { code: string }).code]).toEqual([
        401,
        'UNAUTHENTICATED',
      ]);
      const res = await fetch(`${info.gateway}/v1/deposits`, {
        method: 'POST',
        body,
        headers: signedHeaders(op, 'POST', '/v1/deposits', body),
      });
      expect(res.status).toBe(200);
      const accountPath = '/v1/cluster/accounts/alice';
      const read = await fetch(`${info.gateway}${accountPath}`, {
        headers: signedHeaders(op, 'GET', accountPath, ''),
      });
      const acct = (await read.json()) as {
        partition: number;
        subaccounts: { balances: Record<string, string> }[];
      };
      expect(acct.partition).toBe(partitionOf('alice', 2));
      expect(acct.subaccounts[0]?.balances.USDC).toBe('42000000');
      const check = spawnSync(
        process.execPath,
        ['--import', 'tsx', 'src/cli/main.ts', 'cluster', 'check', ...common, '--json'],
        { cwd: REPO, encoding: 'utf8' },
      );
      expect(check.status).toBe(0);
      expect(JSON.parse(check.stdout)).toMatchObject({ ok: true, problems: [], total: { USDC: '42000000' } });
      const exited = new Promise((res) => child.once('exit', res));
      child.kill('SIGTERM');
      await exited;
      for (const pid of Object.values(info.pids)) {
        expect(() => process.kill(pid, 0)).toThrow(); // gone
      }
      // a keys file that cannot be read: the single process's error, a usage failure, nothing started
      const bad = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          'src/cli/main.ts',
          'serve',
          '--cluster',
          name,
          '--keys',
          join(dir, 'missing.json'),
        ],
        { cwd: REPO, encoding: 'utf8' },
      );
      expect(bad.status).toBe(2);
      expect(bad.stderr).toContain(`cannot read keys file ${join(dir, 'missing.json')}`);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await purgeCluster(PG_URL, NATS_URL, clusterNames(name), 2);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
