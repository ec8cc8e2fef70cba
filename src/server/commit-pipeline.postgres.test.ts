/**
 * The commit pipeline on PostgreSQL when the writer's connection is killed (a crash of the
 * database session, a network cut): the failed flush is answered JOURNAL_WRITE_FAILED, the
 * pipeline reopens (taking the writer lock again) and goes on, and no acknowledged command is
 * missing from the journal.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { commandStream } from '../../test/support/command-stream.ts';
import { venueConfig } from '../../test/support/fixtures.ts';
import { postgresAvailable, runSql, type TestDatabase, testDatabase } from '../../test/support/postgres.ts';
import { Engine, type ExecuteResult } from '../core/engine/engine.ts';
import { openEngine } from '../store/open-store.ts';
import { CommitPipeline } from './commit-pipeline.ts';

const POSTGRES = await postgresAvailable('the commit pipeline with a killed connection');

const SETUP: unknown[] = [
  {
    type: 'prices',
    timeMs: 1,
    marks: { 'BTC-PERP': '60000', 'ETH-PERP': '3000' },
    assets: { BTC: '60000', ETH: '3000' },
    exchangeRates: { stETH: '1.1' },
  },
  { type: 'deposit', to: { account: 'backstop' }, asset: 'USDC', amount: '10000000' },
];

const dbs: TestDatabase[] = [];
afterEach(async () => {
  for (const db of dbs.splice(0)) await db.dispose();
});

describe.runIf(POSTGRES)('CommitPipeline on PostgreSQL', () => {
  it('a_pipeline_whose_writer_connection_is_killed_reopens_and_loses_no_acknowledged_command', async () => {
    const db = testDatabase();
    dbs.push(db);
    const faults: string[] = [];
    const pipeline = await CommitPipeline.start(
      async () => {
        const journal = await db.open();
        return { journal, engine: await openEngine(journal, { config: venueConfig() }) };
      },
      { onFault: (f) => faults.push(f.outcome) },
    );
    for (const c of SETUP) expect((await pipeline.submit(c)).ok).toBe(true);
    const stream = commandStream(120, 9);
    const results: ExecuteResult[] = [];
    for (const [i, c] of stream.entries()) {
      if (i === 60) {
        await runSql(
          `SELECT pg_terminate_backend(pid) FROM pg_locks
            WHERE locktype = 'advisory' AND classid = $1 AND objid = (hashtext($2)::bigint & 4294967295) AND granted`,
          [0x504c4d53, db.schema],
        );
      }
      results.push(await pipeline.submit(c));
    }
    await pipeline.drain();
    expect(faults).toEqual(['reopened']);
    expect(results.some((r) => !r.ok && r.rejection.code === 'JOURNAL_WRITE_FAILED')).toBe(true);
    const hash = pipeline.engine.stateHash();
    await pipeline.close();
    const reader = await db.open({ readOnly: true });
    expect(Engine.open(reader).stateHash()).toBe(hash);
    const stored = new Map((await reader.readRange(0, 10_000)).map((e) => [e.seq, e.type]));
    for (const r of results) if (r.ok) for (const e of r.events) expect(stored.get(e.seq)).toBe(e.type);
  });
});
