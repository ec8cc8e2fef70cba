/**
 * Prints how many of the Drift peer fixture's values (test/vectors/drift/peer_fixture.json, Drift
 * SDK 2.145.0) the engine reproduces to the unit, per category: `npx tsx scripts/drift-peer-match.ts`.
 * The test (src/core/presets/drift-v2-peer.test.ts) asserts all of them.
 */
import { readFileSync } from 'node:fs';
import { compareFixture, type DriftFixture, formatComparison } from '../test/support/drift-peer.ts';

const fx = JSON.parse(
  readFileSync(new URL('../test/vectors/drift/peer_fixture.json', import.meta.url), 'utf8'),
) as DriftFixture;
const c = compareFixture(fx);
console.log(formatComparison(c));
for (const m of c.mismatches.slice(0, Number(process.argv[2] ?? 20))) console.log(`  ${m}`);
for (const a of c.approximations) console.log(`  approximation: ${a}`);
process.exitCode = c.mismatches.length === 0 ? 0 : 1;
