/**
 * The population of bench block h (bench/million.ts): `accounts` subaccounts with four
 * positions each on the 4-market bench venue, built once through the engine (real deposits and
 * fills, bench/support.ts populate) and cached as an engine snapshot in the OS temp directory,
 * so later runs open it in seconds instead of rebuilding (~2 min per million accounts on an
 * idle 2-core machine). The file name carries the population parameters and a format tag, so a
 * change to either builds a new cache. `PLIMSOLL_BENCH_REBUILD=1` ignores the cache.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSnapshot } from '../src/core/engine/codec.ts';
import { benchVenue, type PopulationOptions, populate } from './support.ts';

/** Bump when the population recipe or the snapshot format changes. */
const RECIPE = 'h3';

export function populationOptions(accounts: number): PopulationOptions {
  return {
    accounts,
    markets: 4,
    positionsPerAccount: 4,
    seed: 7,
    ethShare: 0.1,
    isolatedShare: 0.2,
    minLeverage: 1,
    maxLeverage: 10,
  };
}

export interface CachedPopulation {
  /** Path of the snapshot file. */
  path: string;
  /** Snapshot text (engine snapshot, format 3). */
  json: string;
  /** Seconds spent building through the engine in this run (0 when the cache was used). */
  buildSeconds: number;
  /** Seconds spent reading the file. */
  readSeconds: number;
  fromCache: boolean;
}

export function cachePath(accounts: number): string {
  return join(tmpdir(), 'plimsoll-bench', `population-${RECIPE}-${accounts}.snapshot.json`);
}

/** The snapshot of the block-h population of this size: from the cache, or built and cached. */
export function cachedPopulation(accounts: number, log: (s: string) => void): CachedPopulation {
  const path = cachePath(accounts);
  if (existsSync(path) && process.env.PLIMSOLL_BENCH_REBUILD !== '1') {
    const t0 = performance.now();
    const json = readFileSync(path, 'utf8');
    return { path, json, buildSeconds: 0, readSeconds: (performance.now() - t0) / 1000, fromCache: true };
  }
  log(`   building ${accounts.toLocaleString('en-US')} accounts through the engine (cached at ${path})`);
  const t0 = performance.now();
  const engine = benchVenue(4);
  const pop = populate(engine, populationOptions(accounts));
  const buildSeconds = (performance.now() - t0) / 1000;
  log(`   ${pop.commands} commands (${pop.rejected} rejected) in ${buildSeconds.toFixed(1)} s`);
  const json = encodeSnapshot(engine.state);
  mkdirSync(join(tmpdir(), 'plimsoll-bench'), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, json);
  renameSync(tmp, path);
  return { path, json, buildSeconds, readSeconds: 0, fromCache: false };
}
