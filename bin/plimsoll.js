#!/usr/bin/env node
// Launcher for `npx plimsoll ...` in this repository: registers tsx's ESM loader so the
// TypeScript sources run as they are (no build step), then hands over to src/cli/main.ts.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = main(process.argv);
