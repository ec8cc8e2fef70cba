/**
 * What the PostgreSQL journal adds to the journal contracts: an engine restarts from it to the
 * same state, one writer per schema (the lock dies with the writer's session), memory kept
 * bounded while every durable event stays readable, and integers that never become floats.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { commandStream } from '../../test/support/command-stream.ts';
import { venueConfig } from '../../test/support/fixtures.ts';
import {
  PG_URL,
  postgresAvailable,
  runSql,
  type TestDatabase,
  testDatabase,
} from '../../test/support/postgres.ts';
import { Engine } from '../core/engine/engine.ts';
import { DeferredSqliteJournal } from './deferred-sqlite-journal.ts';
import {
  JournalLockedError,
  JournalReadOnlyError,
  JournalRecordError,
  JournalSchemaError,
  type StoredEvent,
} from './journal.ts';
import { engineOpener, openEngine, openStore } from './open-store.ts';
import { JournalRangeError, PostgresJournal } from './postgres-journal.ts';

const POSTGRES = await postgresAvailable('the PostgreSQL journal tests');

function events(from: number, to: number): StoredEvent[] {
  const out: StoredEvent[] = [];
  for (let seq = from; seq <= to; seq++) out.push({ seq, type: 'Deposited', json: `{"n":${seq}}` });
  return out;
}

const dbs: TestDatabase[] = [];
afterEach(async () => {
  for (const db of dbs.splice(0)) await db.dispose();
});
function database(): TestDatabase {
  const db = testDatabase();
  dbs.push(db);
  return db;
}

describe.runIf(POSTGRES)('PostgresJournal', () => {
  it('an_engine_restarted_on_the_journal_has_the_same_state_hash', async () => {
    const db = database();
    const journal = await db.open();
    const engine = await openEngine(journal, { config: venueConfig() });
    engine.executeOrThrow({
      type: 'prices',
      timeMs: 1,
      marks: { 'BTC-PERP': '60000', 'ETH-PERP': '3000' },
      assets: { BTC: '60000', ETH: '3000' },
      exchangeRates: { stETH: '1.1' },
    });
    engine.executeOrThrow({
      type: 'deposit',
      to: { account: 'backstop' },
      asset: 'USDC',
      amount: '10000000',
    });
    for (const [i, c] of commandStream(200, 5).entries()) {
      engine.execute(c);
      if (i % 17 === 0) await journal.flush();
      if (i === 120) engine.snapshot();
    }
    await journal.flush();
    const hash = engine.stateHash();
    const seq = engine.state.seq;
    await db.close(journal);

    const again = await db.open();
    expect(again.durableSeq()).toBe(seq);
    expect(Engine.open(again).stateHash()).toBe(hash);
    await db.close(again);
    const reader = await db.open({ readOnly: true });
    expect(Engine.open(reader).stateHash()).toBe(hash);
  });

  it('one_writer_per_schema_and_the_lock_dies_with_the_writers_session', async () => {
    const db = database();
    const writer = await db.open();
    writer.append(events(1, 2));
    await writer.flush();
    await expect(db.open()).rejects.toThrow(JournalLockedError);
    // another schema in the same database is another journal
    const other = database();
    const otherWriter = await other.open();
    expect(otherWriter.lastSeq()).toBe(0);
    // the writer's connection is killed (a crash, a network cut): the lock is gone with it
    await runSql(
      `SELECT pg_terminate_backend(pid) FROM pg_locks
        WHERE locktype = 'advisory' AND classid = $1 AND objid = (hashtext($2)::bigint & 4294967295) AND granted`,
      [0x504c4d53, db.schema],
    );
    await new Promise((r) => setTimeout(r, 200));
    const next = await db.open();
    expect(next.lastSeq()).toBe(2);
    // the old writer can no longer commit anything
    writer.append(events(3, 3));
    await expect(writer.flush()).rejects.toThrow();
    next.append(events(3, 4));
    await next.flush();
    expect(await next.readRange(0, 10)).toEqual(events(1, 4));
  });

  it('read_only_opens_take_no_lock_and_refuse_writes; a_missing_journal_is_a_schema_error', async () => {
    const db = database();
    await expect(db.open({ readOnly: true })).rejects.toThrow(JournalSchemaError);
    const writer = await db.open();
    writer.append(events(1, 3));
    await writer.flush();
    const reader = await db.open({ readOnly: true });
    expect([...reader.read()]).toEqual(events(1, 3));
    expect(() => reader.append(events(4, 4))).toThrow(JournalReadOnlyError);
    // later commits: not in the reader's synchronous view, but readRange reads them
    writer.append(events(4, 5));
    await writer.flush();
    expect(reader.lastSeq()).toBe(3);
    expect(await reader.readRange(3, 10)).toEqual(events(4, 5));
    expect(() => reader.saveSnapshot({ seq: 1, json: '' })).toThrow(JournalReadOnlyError);
  });

  it('memory_keeps_the_snapshot_tail_and_recent_events_while_read_range_serves_everything', async () => {
    const db = database();
    const journal = await db.open({ retainEvents: 100 });
    for (let from = 1; from <= 5000; from += 500) {
      journal.append(events(from, from + 499));
      await journal.flush();
    }
    journal.saveSnapshot({ seq: 4000, json: 'at 4000' });
    await journal.flush();
    // kept: everything after min(snapshot 4000, last 5000 - 100) = 4000
    expect([...journal.read(4000)].length).toBe(1000);
    expect(() => [...journal.read(100)]).toThrow(JournalRangeError);
    expect(await journal.readRange(100, 3)).toEqual(events(101, 103));
    expect(await journal.readRange(4998, 10)).toEqual(events(4999, 5000));
    await db.close(journal);
    const again = await db.open({ retainEvents: 100 });
    expect(again.latestSnapshot()).toEqual({ seq: 4000, json: 'at 4000' });
    expect([...again.read(4000)]).toEqual(events(4001, 5000));
    expect(() => [...again.read(0)]).toThrow(JournalRangeError);
  });

  it('integers_never_become_floats: a seq beyond the safe range is refused at open', async () => {
    const db = database();
    const journal = await db.open();
    journal.append(events(1, 1));
    await journal.flush();
    await db.close(journal);
    await runSql(`INSERT INTO "${db.schema}".events (seq, type, json) VALUES ($1, 'X', '{}')`, [
      '9007199254740993',
    ]);
    await expect(db.open()).rejects.toThrow(/not a safe integer/);
  });

  it('refuses_bad_schema_names_and_nul_characters_that_postgresql_text_cannot_hold', async () => {
    await expect(PostgresJournal.open(PG_URL, { schema: 'x"; DROP TABLE y; --' })).rejects.toThrow(
      JournalRecordError,
    );
    const db = database();
    const journal = await db.open();
    expect(() => journal.append([{ seq: 1, type: 'X', json: 'a\0b' }])).toThrow(JournalRecordError);
    expect(journal.lastSeq()).toBe(0);
  });

  it('open_store_picks_postgresql_for_postgres_urls', async () => {
    const db = database();
    const journal = await openStore(PG_URL, { schema: db.schema });
    expect(journal).toBeInstanceOf(PostgresJournal);
    await db.close(journal);
  });
});

describe('openStore', () => {
  it('opens_anything_but_a_postgres_url_as_a_sqlite_file', async () => {
    const journal = await openStore(':memory:');
    expect(journal).toBeInstanceOf(DeferredSqliteJournal);
    journal.close();
  });

  it('engine_opener_creates_then_reopens_and_releases_the_lock_when_the_engine_cannot_open', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plimsoll-opener-'));
    try {
      const path = join(dir, 'j.sqlite');
      // an empty journal and no configuration: refused, and the writer lock is released
      await expect(engineOpener(path)()).rejects.toThrow(/configuration/);
      const open = engineOpener(path, { config: venueConfig() });
      const first = await open();
      expect(first.journal.durableSeq()).toBe(1); // the configuration event is durable
      const hash = first.engine.stateHash();
      first.journal.close();
      const again = await open();
      expect(again.engine.stateHash()).toBe(hash);
      again.journal.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
