/**
 * InlineMap against Map (not part of `npm run bench`): CPU time per map of four entries for a
 * `for…of` over entries, over values, a `get` and a `forEach`, over 4,000 maps, best of seven
 * rounds of 300 passes. One kind per process, so each loop sees one map class (as the engine's
 * loops do): `npx tsx bench/inline-map.ts Map`, then `npx tsx bench/inline-map.ts InlineMap`.
 */
import { InlineMap } from '../src/core/model/inline-map.ts';

type P = { size: bigint };
const kind = process.argv[2] === 'Map' ? 'Map' : 'InlineMap';
const N = 4000;
const maps: ReadonlyMap<string, P>[] = [];
for (let i = 0; i < N; i++) {
  const m = kind === 'Map' ? new Map<string, P>() : new InlineMap<string, P>();
  for (const k of ['BTC-PERP', 'ETH-PERP', 'SOL-PERP', 'XRP-PERP']) m.set(k, { size: 3n });
  maps.push(m);
}
function entries(ms: readonly ReadonlyMap<string, P>[]): number {
  let s = 0;
  for (const m of ms) for (const [k, p] of m) if (p.size > 0n) s += k.length;
  return s;
}
function values(ms: readonly ReadonlyMap<string, P>[]): number {
  let s = 0;
  for (const m of ms) for (const p of m.values()) if (p.size > 0n) s++;
  return s;
}
function get(ms: readonly ReadonlyMap<string, P>[]): number {
  let s = 0;
  for (const m of ms) if (m.get('SOL-PERP') !== undefined) s++;
  return s;
}
function forEach(ms: readonly ReadonlyMap<string, P>[]): number {
  let s = 0;
  for (const m of ms)
    m.forEach((p) => {
      if (p.size > 0n) s++;
    });
  return s;
}
for (const [name, f] of [
  ['for…of entries', entries],
  ['for…of values()', values],
  ['get', get],
  ['forEach', forEach],
] as const) {
  for (let w = 0; w < 200; w++) f(maps);
  let ns = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 7; round++) {
    const c = process.cpuUsage();
    for (let r = 0; r < 300; r++) f(maps);
    const u = process.cpuUsage(c);
    ns = Math.min(ns, ((u.user + u.system) * 1000) / (300 * N));
  }
  console.log(`${kind} ${name}: ${ns.toFixed(1)} ns CPU per 4-entry map`);
}
