/**
 * `plimsoll simulate` end to end with the new histories and flags: a synthetic path with
 * chosen policies, hedged traders and responders writes its files; bad flags exit 2 with a
 * message naming the problem.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { cli } from './run-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'plimsoll-simulate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('plimsoll simulate', () => {
  it('runs_a_synthetic_path_with_policies_hedged_traders_and_responders', () => {
    const out = join(dir, 'jump');
    const r = cli([
      'simulate',
      '--path',
      'jump',
      '--minutes',
      '30',
      '--accounts',
      '30',
      '--seed',
      '3',
      '--hedged',
      '0.2',
      '--responders',
      '0.5',
      '--response-delay',
      '0',
      '--policies',
      'static-low,portfolio',
      '--out',
      out,
    ]);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^static-low /m);
    expect(r.stdout).toMatch(/^portfolio /m);
    expect(r.stdout).toContain('partial n / USDC');
    expect(r.stdout).toContain('calls');
    expect(r.stdout).toMatch(/portfolio: engine IM\/OI .* hedged traders/);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as {
      run: { crash: string };
      path: { points: number };
      rows: { policy: string; responses: { responders: number } }[];
    };
    expect(metrics.run.crash).toBe('jump-seed3-30m');
    expect(metrics.path.points).toBe(120);
    expect(metrics.rows.map((x) => x.policy)).toEqual(['static-low', 'portfolio']);
    expect(metrics.rows[0]!.responses.responders).toBeGreaterThan(0);
    expect(existsSync(join(out, 'report.html'))).toBe(true);
  });

  it('bad_flags_exit_2_with_a_message', () => {
    // In-process (the same parser and checks as the binary): a child process per case is slow.
    const cases: [string[], RegExp][] = [
      [['--path', 'brownian'], /Allowed choices are gbm, jump, regime/],
      [['--crash', '2020-03-12', '--path', 'gbm'], /cannot be used with option '--path/],
      [['--minutes', '10'], /--minutes applies to synthetic paths/],
      [['--policies', 'static-low,nope'], /unknown policy "nope"/],
      [['--hedged', '1.5'], /--hedged must be a share in \[0, 1\]/],
      [['--responders', '0.3', '--response-delay', 'soon'], /--response-delay must be minutes/],
      [['--response-deposit', '0.5'], /need --responders/],
      [['--crash', '2021-05-19', '--prices', 'oracle'], /2021-05-19 has one series/],
      [['--path', 'gbm', '--prices', 'oracle'], /gbm has one series/],
      [['--prices', 'tape'], /Allowed choices are oracle, klines/],
      [['--latency', '5'], /--latency applies to --study only/],
      [['--crash', '2021-05-19,2020-03-12'], /several crashes need --study/],
      [['--study', '--crash', '2021-05-19,nope'], /unknown crash "nope"/],
      [['--study', '--latency', '0,x'], /latencies are seconds/],
      [['--study', '--dynamic'], /--dynamic does not apply to --study/],
      [['--study', '--seeds', '1'], /--seeds must be in \[2, /],
      [['--mechanisms', 'throttle'], /--mechanisms applies to --study only/],
      [['--frontier'], /--frontier applies to --study only/],
      [['--study', '--mechanisms', 'nope'], /unknown mechanism "nope"/],
      [['--study', '--mechanisms', 'none'], /`none` is the reference/],
      [['--study', '--frontier', '0.5'], /a frontier needs at least two scales/],
      [['--crash', '2021-05-19-eth', '--prices', 'oracle'], /2021-05-19-eth has one series/],
    ];
    for (const [args, message] of cases) {
      let err = '';
      const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
        err += String(chunk);
        return true;
      });
      try {
        expect(
          main(['node', 'plimsoll', 'simulate', ...args, '--accounts', '5', '--out', join(dir, 'bad')]),
        ).toBe(2);
      } finally {
        spy.mockRestore();
      }
      expect(err).toMatch(message);
    }
  });
});
