/**
 * SQLite-specific behaviour beyond the shared contract: pragmas, schema versioning,
 * seq precision near Number.MAX_SAFE_INTEGER, one writer per file, read-only openers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  JournalLockedError,
  JournalReadOnlyError,
  JournalSchemaError,
  JournalSequenceError,
} from './journal.ts';
import { SQLITE_JOURNAL_SCHEMA_VERSION, SqliteJournal } from './sqlite-journal.ts';

describe('SqliteJournal', () => {
  let dir: string;
  let path: string;
  const toClose: Array<{ close(): void }> = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'plimsoll-sqlite-'));
    path = join(dir, 'journal.sqlite');
  });

  afterEach(() => {
    for (const c of toClose.splice(0)) c.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function openJournal(durable?: boolean): SqliteJournal {
    const j = SqliteJournal.open(path, durable === undefined ? {} : { durable });
    toClose.push(j);
    return j;
  }

  it('default_is_wal_with_synchronous_normal', () => {
    expect(openJournal().info()).toEqual({
      path,
      journalMode: 'wal',
      synchronous: 'NORMAL',
      schemaVersion: SQLITE_JOURNAL_SCHEMA_VERSION,
    });
  });

  it('durable_option_selects_synchronous_full', () => {
    expect(openJournal(true).info().synchronous).toBe('FULL');
  });

  it('schema_version_is_recorded_in_its_table', () => {
    openJournal().close();
    const db = new Database(path, { readonly: true });
    toClose.push(db);
    expect(db.prepare('SELECT id, version FROM schema_version').all()).toEqual([{ id: 1, version: 2 }]);
  });

  it('refuses_a_newer_schema_version', () => {
    openJournal().close();
    const db = new Database(path);
    db.prepare('UPDATE schema_version SET version = ?').run(SQLITE_JOURNAL_SCHEMA_VERSION + 1);
    db.close();
    expect(() => SqliteJournal.open(path)).toThrow(JournalSchemaError);
  });

  it('refuses_a_database_that_is_not_a_journal', () => {
    const db = new Database(path);
    db.exec('CREATE TABLE accounts (id INTEGER PRIMARY KEY)');
    db.close();
    expect(() => SqliteJournal.open(path)).toThrow(/not a Plimsoll journal/);
  });

  it('seq_near_max_safe_integer_keeps_precision_and_stops_at_the_limit', () => {
    const start = Number.MAX_SAFE_INTEGER - 2;
    openJournal().close();
    const db = new Database(path);
    db.prepare('INSERT INTO events (seq, type, json) VALUES (?, ?, ?)').run(BigInt(start), 'Seed', '{}');
    db.close();

    const j = openJournal();
    expect(j.lastSeq()).toBe(start);
    j.append([{ seq: start + 1, type: 'A', json: '{}' }]);
    j.append([{ seq: Number.MAX_SAFE_INTEGER, type: 'B', json: '{}' }]);
    expect(j.lastSeq()).toBe(Number.MAX_SAFE_INTEGER);
    expect([...j.read(start)].map((e) => e.seq)).toEqual([start + 1, Number.MAX_SAFE_INTEGER]);
    expect(() => j.append([{ seq: Number.MAX_SAFE_INTEGER + 1, type: 'C', json: '{}' }])).toThrow(
      JournalSequenceError,
    );
  });

  it('a_stored_seq_beyond_safe_integers_is_an_error_not_a_rounding', () => {
    openJournal().close();
    const db = new Database(path);
    db.prepare('INSERT INTO events (seq, type, json) VALUES (?, ?, ?)').run(2n ** 53n + 1n, 'Huge', '{}');
    db.close();
    const j = openJournal();
    expect(() => j.lastSeq()).toThrow(JournalSchemaError);
  });

  it('second_writer_is_refused_readers_see_the_writer', () => {
    const a = openJournal();
    expect(() => openJournal()).toThrow(JournalLockedError);
    const reader = SqliteJournal.open(path, { readOnly: true });
    toClose.push(reader);
    a.append([{ seq: 1, type: 'A', json: '{}' }]);
    expect(reader.lastSeq()).toBe(1);
    expect(() => reader.append([{ seq: 2, type: 'B', json: '{}' }])).toThrow(JournalReadOnlyError);
    expect(() => reader.saveSnapshot({ seq: 1, json: '{}' })).toThrow(JournalReadOnlyError);
  });

  it('a_row_written_behind_the_writers_back_makes_its_stale_seq_fail', () => {
    const a = openJournal();
    a.append([{ seq: 1, type: 'A', json: '{}' }]);
    const raw = new Database(path); // not a SqliteJournal: takes no writer lock
    raw.prepare("INSERT INTO events (seq, type, json) VALUES (2, 'B', '{}')").run();
    raw.close();
    expect(() => a.append([{ seq: 2, type: 'A', json: '{}' }])).toThrow(JournalSequenceError);
    a.append([{ seq: 3, type: 'A', json: '{}' }]);
    expect([...a.read()].map((e) => e.type)).toEqual(['A', 'B', 'A']);
  });

  it('an_open_read_iterator_blocks_writes_until_closed', () => {
    const j = openJournal();
    j.append([
      { seq: 1, type: 'A', json: '{}' },
      { seq: 2, type: 'A', json: '{}' },
    ]);
    const it = j.read();
    it.next();
    expect(() => j.append([{ seq: 3, type: 'A', json: '{}' }])).toThrow();
    it.return?.();
    j.append([{ seq: 3, type: 'A', json: '{}' }]);
    expect(j.lastSeq()).toBe(3);
  });

  it('a_version_1_journal_is_read_as_before_and_upgraded_on_the_first_write_open', () => {
    // the version-1 layout, as earlier versions wrote it: one row per event
    const db = new Database(path);
    db.exec(`
      CREATE TABLE schema_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL) STRICT;
      CREATE TABLE events (seq INTEGER PRIMARY KEY CHECK (seq >= 1), type TEXT NOT NULL, json TEXT NOT NULL) STRICT;
      CREATE TABLE snapshots (seq INTEGER PRIMARY KEY CHECK (seq >= 0), json TEXT NOT NULL) STRICT;
      INSERT INTO schema_version VALUES (1, 1);
      INSERT INTO events VALUES (1, 'A', '{"a":1}'), (2, 'B', '{"b":2}'), (3, 'A', '{"a":3}');
      INSERT INTO snapshots VALUES (2, '{"snap":2}');
    `);
    db.close();
    const old = [
      { seq: 1, type: 'A', json: '{"a":1}' },
      { seq: 2, type: 'B', json: '{"b":2}' },
      { seq: 3, type: 'A', json: '{"a":3}' },
    ];
    // a reader may not change the file: it reads version 1 as it is
    const reader = SqliteJournal.open(path, { readOnly: true });
    expect(reader.info().schemaVersion).toBe(1);
    expect([...reader.read()]).toEqual(old);
    expect(reader.lastSeq()).toBe(3);
    reader.close();
    // a writer upgrades it; old rows stay, new appends are batches, reads merge both in order
    const j = openJournal();
    expect(j.info().schemaVersion).toBe(2);
    expect([...j.read(1)]).toEqual(old.slice(1));
    expect(() => j.append([{ seq: 3, type: 'C', json: '{}' }])).toThrow(JournalSequenceError);
    j.append([
      { seq: 4, type: 'C', json: '{"c":4}' },
      { seq: 5, type: 'C', json: '{"c":5}' },
    ]);
    expect(j.lastSeq()).toBe(5);
    expect([...j.read()].map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect([...j.read(4)]).toEqual([{ seq: 5, type: 'C', json: '{"c":5}' }]);
    expect(j.latestSnapshot()).toEqual({ seq: 2, json: '{"snap":2}' });
    j.close();
    const raw = new Database(path, { readonly: true });
    toClose.push(raw);
    expect(raw.prepare('SELECT COUNT(*) AS n FROM events').get()).toEqual({ n: 3 });
    expect(raw.prepare('SELECT first_seq, last_seq FROM batches').all()).toEqual([
      { first_seq: 4, last_seq: 5 },
    ]);
  });

  it('one_append_is_one_batch_row_and_a_read_from_inside_a_batch_starts_at_the_right_event', () => {
    const j = openJournal();
    j.append([
      { seq: 1, type: 'A', json: '1' },
      { seq: 2, type: 'A', json: '2' },
      { seq: 3, type: 'A', json: '3' },
    ]);
    j.append([{ seq: 4, type: 'B', json: '4' }]);
    j.appendGroup(
      [
        { seq: 5, type: 'A', json: '5' },
        { seq: 6, type: 'A', json: '6' },
      ],
      [{ seq: 6, json: 's6' }],
    );
    const raw = new Database(path, { readonly: true });
    toClose.push(raw);
    expect(raw.prepare('SELECT first_seq, last_seq FROM batches ORDER BY first_seq').all()).toEqual([
      { first_seq: 1, last_seq: 3 },
      { first_seq: 4, last_seq: 4 },
      { first_seq: 5, last_seq: 6 },
    ]);
    for (let after = 0; after <= 6; after++) {
      expect([...j.read(after)].map((e) => e.json)).toEqual(['1', '2', '3', '4', '5', '6'].slice(after));
    }
    expect(j.latestSnapshot()).toEqual({ seq: 6, json: 's6' });
  });
});
