/**
 * The Chromium the browser tests drive: Debian's `/usr/bin/chromium` (or PLIMSOLL_CHROMIUM), with
 * the flags that keep a headless root run off the closed network (without the background-networking
 * flags Chromium's connections are refused many at a time). A missing binary skips the tests unless
 * PLIMSOLL_REQUIRE_CHROMIUM=1 (CI), where the launch fails instead.
 */
import { existsSync } from 'node:fs';

export const CHROMIUM = process.env.PLIMSOLL_CHROMIUM ?? '/usr/bin/chromium';
export const BROWSER_MISSING = !existsSync(CHROMIUM) && process.env.PLIMSOLL_REQUIRE_CHROMIUM !== '1';
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
