/**
 * scripts/ensure-chromium.js (run by `npm test` before vitest): silent when the browser is
 * there; as root on Debian it installs the `chromium` package (checked in dry-run mode with
 * a path that does not exist, so nothing is installed); as another user it explains and
 * leaves the browser test to skip.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../cli/run-cli.ts';

const SCRIPT = join(REPO, 'scripts', 'ensure-chromium.js');
const MISSING = '/nonexistent/plimsoll-test/chromium';
const isRoot = process.getuid?.() === 0;

function ensure(env: Record<string, string>, asUser?: string) {
  const [cmd, args] =
    asUser === undefined
      ? [process.execPath, [SCRIPT]]
      : ['runuser', ['-u', asUser, '--', process.execPath, SCRIPT]];
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.error) throw r.error;
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('ensure-chromium', () => {
  it('does nothing when the browser is there', () => {
    const r = ensure({ PLIMSOLL_CHROMIUM: process.execPath, PLIMSOLL_CHROMIUM_DRY_RUN: '1' });
    expect(r).toEqual({ status: 0, out: '' });
  });

  it.runIf(isRoot && existsSync('/usr/bin/apt-get'))("installs Debian's chromium as root (dry run)", () => {
    const r = ensure({ PLIMSOLL_CHROMIUM: MISSING, PLIMSOLL_CHROMIUM_DRY_RUN: '1' });
    expect(r.status).toBe(0);
    expect(r.out).toContain(`${MISSING} is missing: installing`);
    expect(r.out).toContain('dry run: apt-get update');
    expect(r.out).toContain('dry run: apt-get install -y -q --no-install-recommends chromium');
  });

  it.runIf(isRoot && existsSync('/usr/sbin/runuser'))('explains and installs nothing when not root', () => {
    const r = ensure({ PLIMSOLL_CHROMIUM: MISSING, PLIMSOLL_CHROMIUM_DRY_RUN: '1' }, 'nobody');
    expect(r.status).toBe(0);
    expect(r.out).toContain('not running as root');
    expect(r.out).toContain('will be skipped');
    expect(r.out).not.toContain('apt-get update');
  });
});
