/**
 * Group commit vs one commit per command: fills per second ACKNOWLEDGED (durable) through the
 * commit pipeline (src/server/commit-pipeline.ts), on SQLite (`synchronous = FULL`: an fsync
 * per commit, and NORMAL) and on PostgreSQL.
 *
 * Timed: wall time from the first `submit` until the last fill's promise resolved, i.e.
 * engine execution (two margin-checked accounts per fill) + buffering + the flushes that made
 * the fills durable. "per-command": each submit is awaited before the next (one transaction per
 * fill); "group": `IN_FLIGHT` submits outstanding at any time (as concurrent clients of the
 * service), so flushes carry many fills.
 *
 *   npx tsx bench/journal-group-commit.ts            (BENCH_QUICK=1 for a smoke run)
 *   PLIMSOLL_PG_URL=postgres://… to point at another server; PostgreSQL is skipped when unreachable.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { CommitPipeline, type EngineOpener } from '../src/server/commit-pipeline.ts';
import type { DeferredJournal } from '../src/store/deferred-journal.ts';
import { DeferredSqliteJournal } from '../src/store/deferred-sqlite-journal.ts';
import { openEngine } from '../src/store/open-store.ts';
import { PostgresJournal } from '../src/store/postgres-journal.ts';
import { BASE_MARK, benchConfig } from './support.ts';

const QUICK = process.env.BENCH_QUICK === '1';
const GROUP_FILLS = QUICK ? 1_000 : 10_000;
const SINGLE_FILLS = QUICK ? 100 : 1_000;
const IN_FLIGHT = 256;
const PG_URL = process.env.PLIMSOLL_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const log = (s = '') => process.stdout.write(`${s}\n`);

const maker = { account: 'maker' };
const trader = { account: 'trader' };
const SETUP: unknown[] = [
  { type: 'prices', timeMs: 1, marks: { M0: String(BASE_MARK) }, assets: { ETH: '3000' } },
  { type: 'deposit', to: maker, asset: 'USDC', amount: '100000000' },
  { type: 'deposit', to: trader, asset: 'USDC', amount: '100000000' },
];
/** Fills that flip the trader between +0.001 and −0.001 M0: bounded state, both sides checked. */
function fill(i: number): unknown {
  return i % 2 === 0
    ? { type: 'fill', market: 'M0', buyer: maker, seller: trader, size: '0.002', price: '100' }
    : { type: 'fill', market: 'M0', buyer: trader, seller: maker, size: '0.002', price: '100' };
}

async function measure(
  open: () => Promise<DeferredJournal>,
  fills: number,
  inFlight: number,
): Promise<number> {
  const opener: EngineOpener = async () => {
    const journal = await open();
    return { journal, engine: await openEngine(journal, { config: benchConfig(1) }) };
  };
  const pipeline = await CommitPipeline.start(opener);
  for (const c of SETUP) {
    const r = await pipeline.submit(c);
    if (!r.ok) throw new Error(`setup rejected: ${r.rejection.code}`);
  }
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < fills) {
      const r = await pipeline.submit(fill(next++));
      if (!r.ok) throw new Error(`fill rejected: ${r.rejection.code}`);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const groups = pipeline.stats().groups;
  await pipeline.close();
  log(`     ${fills} fills in ${seconds.toFixed(2)} s, ${groups} flushes`);
  return fills / seconds;
}

async function compare(name: string, open: () => Promise<DeferredJournal>, cleanup: () => Promise<void>) {
  log(`== ${name}`);
  const single = await measure(open, SINGLE_FILLS, 1);
  await cleanup();
  const group = await measure(open, GROUP_FILLS, IN_FLIGHT);
  await cleanup();
  log(`   per-command commit: ${Math.round(single).toLocaleString('en-US')} fills/s acknowledged`);
  log(
    `   group commit (${IN_FLIGHT} in flight): ${Math.round(group).toLocaleString('en-US')} fills/s acknowledged (×${(group / single).toFixed(1)})`,
  );
}

async function postgresReachable(): Promise<string | undefined> {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  c.on('error', () => {});
  try {
    await c.connect();
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    await c.end().catch(() => {});
  }
}

const dir = mkdtempSync(join(tmpdir(), 'plimsoll-bench-gc-'));
try {
  for (const durable of [true, false]) {
    let n = 0;
    let path = '';
    await compare(
      `SQLite, synchronous = ${durable ? 'FULL (fsync per commit)' : 'NORMAL'}`,
      async () => {
        path ||= join(dir, `j${durable}-${n++}.sqlite`);
        return DeferredSqliteJournal.open(path, { durable });
      },
      async () => {
        path = '';
      },
    );
  }
  const why = await postgresReachable();
  if (why !== undefined) log(`== PostgreSQL: skipped (${PG_URL} unreachable: ${why})`);
  else {
    const schema = `plimsoll_bench_${process.pid}`;
    const drop = async () => {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await c.end();
    };
    await drop();
    await compare('PostgreSQL', () => PostgresJournal.open(PG_URL, { schema }), drop);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
