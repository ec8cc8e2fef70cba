#!/usr/bin/env node
// `plimsoll` command: runs the compiled CLI in dist/ (built by `npm run build`, which
// `npm install` in a clone and `npm pack` run through the `prepare` script). To run the
// TypeScript sources directly while developing: `npm run plimsoll -- <command>`.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('plimsoll: dist/ is missing; run `npm run build` (or `npm install`) first\n');
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = main(process.argv);
