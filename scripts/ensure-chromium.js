#!/usr/bin/env node
// Runs before `npm test`: makes sure the browser test has its browser.
//
// The simulate report's browser test drives Debian's Chromium (/usr/bin/chromium) through
// playwright-core (`npx playwright install` cannot download browsers here). When it is
// missing and we run as root with apt-get available (a fresh CI machine or container), this
// installs Debian's `chromium` package. Otherwise it prints why, and the browser test is
// skipped with that reason instead of failing (set PLIMSOLL_REQUIRE_CHROMIUM=1 to make it fail,
// as CI does, so a broken install cannot pass unnoticed).
//
// Environment: PLIMSOLL_CHROMIUM — the browser's path (default /usr/bin/chromium);
// PLIMSOLL_CHROMIUM_DRY_RUN=1 — print the install commands instead of running them.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';

const chromium = process.env.PLIMSOLL_CHROMIUM ?? '/usr/bin/chromium';
const dryRun = process.env.PLIMSOLL_CHROMIUM_DRY_RUN === '1';
const say = (text) => process.stderr.write(`ensure-chromium: ${text}\n`);

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const commands = [
  ['apt-get', ['update', '-q']],
  ['apt-get', ['install', '-y', '-q', '--no-install-recommends', 'chromium']],
];

if (isExecutable(chromium)) {
  process.exit(0);
}
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = existsSync('/usr/bin/apt-get');
if (!isRoot || !hasApt) {
  say(
    `${chromium} is missing and this is not ${isRoot ? 'a Debian system with apt-get' : 'running as root'}: ` +
      "the browser test of the simulate report will be skipped. Install Debian's package " +
      '(`sudo apt-get install chromium`) or set PLIMSOLL_CHROMIUM to a Chromium binary to run it.',
  );
  process.exit(0);
}
say(`${chromium} is missing: installing Debian's chromium package for the browser test`);
for (const [cmd, args] of commands) {
  if (dryRun) {
    say(`dry run: ${cmd} ${args.join(' ')}`);
    continue;
  }
  const r = spawnSync(cmd, args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.status !== 0) {
    say(
      `\`${cmd} ${args.join(' ')}\` failed (exit ${r.status ?? r.signal}); the browser test will be skipped`,
    );
    process.exit(0);
  }
}
if (!dryRun && !isExecutable(chromium)) {
  say(`installed the chromium package but ${chromium} is still missing; the browser test will be skipped`);
}
