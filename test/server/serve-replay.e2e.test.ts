/**
 * `plimsoll serve --replay`: the live crash replay as a user starts it — the CLI in a child
 * process, the population and the day's observations sent through the API, the keeper inside the
 * service liquidating as the 2025-10-10 price falls through 21:20 UTC (the day's low), a line per
 * market minute, and the venue still answering afterwards.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../cli/run-cli.ts';

function entry(): string[] {
  return existsSync(join(REPO, 'dist/cli/serve-replay.js'))
    ? ['bin/plimsoll.js']
    : ['--import', 'tsx', 'src/cli/main.ts'];
}

describe('plimsoll serve --replay (end to end)', () => {
  it('replays the 2025-10-10 crash through the API and the keeper liquidates', async () => {
    const args = ['serve', '--replay', '2025-10-10', '--from', '21:14', '--minutes', '8'];
    const child: ChildProcess = spawn(
      process.execPath,
      [...entry(), ...args, '--speed', '100000', '--accounts', '60', '--port', '0'],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d) => {
          out += String(d);
          if (out.includes('the venue stays up')) resolve();
        });
        let err = '';
        child.stderr!.on('data', (d) => {
          err += String(d);
          if (/^plimsoll: /m.test(err)) reject(new Error(err));
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}${err}`)));
      });
      const minutes = out.split('\n').filter((l) => /^\d\d:\d\d UTC {2}mark /.test(l));
      expect(minutes[0]).toMatch(/^21:14 UTC/);
      expect(minutes.length).toBeGreaterThanOrEqual(8);
      const done = /replay done: (\d+) market minutes, (\d+) oracle steps, (\d+) liquidations/.exec(out);
      expect(done).not.toBeNull();
      expect(Number(done![2])).toBeGreaterThan(50);
      expect(Number(done![3])).toBeGreaterThan(0);
      // traders rested orders with their own keys; liquidations cancel the liquidatees' orders
      const orders = /(\d+) resting orders placed \((\d+) cancelled by liquidations\)/.exec(out);
      expect(Number(orders![1])).toBeGreaterThan(0);
      expect(Number(orders![2])).toBeLessThanOrEqual(Number(orders![1]));
      // still a venue: the public market endpoint answers
      const url = /API {7}(http:\/\/\S+)/.exec(out)![1]!;
      const market = (await (await fetch(`${url}/v1/markets/BTC-PERP`)).json()) as { markPrice: string };
      expect(Number(market.markPrice)).toBeLessThan(111_000);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    }
  }, 240_000);
});
