/**
 * The group-commit half of the journal contract (deferred-journal.ts), for every deferred
 * journal: appends are validated at once but durable only after `flush()`, one group per
 * transaction; a failed flush keeps nothing of its group; `readRange` serves only durable
 * events. (The synchronous half is journal.contract.test.ts.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { postgresAvailable, runSql, testDatabase } from '../../test/support/postgres.ts';
import type { DeferredJournal } from './deferred-journal.ts';
import { DeferredSqliteJournal } from './deferred-sqlite-journal.ts';
import {
  JournalLockedError,
  JournalReadOnlyError,
  JournalSequenceError,
  type StoredEvent,
} from './journal.ts';

interface DeferredHarness {
  open(opts?: { readOnly?: boolean }): Promise<DeferredJournal>;
  close(journal: DeferredJournal): Promise<void>;
  /** Makes the next write transaction of `journal`'s store fail (after validation). */
  breakNextWrite(journal: DeferredJournal): Promise<void>;
  dispose(): Promise<void>;
}

interface DeferredCase {
  readonly name: string;
  harness(): DeferredHarness;
}

const POSTGRES = await postgresAvailable('the deferred journal contract');

const CASES: DeferredCase[] = [
  {
    name: 'DeferredSqliteJournal',
    harness: () => {
      const dir = mkdtempSync(join(tmpdir(), 'plimsoll-deferred-'));
      const path = join(dir, 'journal.sqlite');
      return {
        open: async (opts) => DeferredSqliteJournal.open(path, opts),
        close: (j) => (j as DeferredSqliteJournal).closeAsync(),
        // a trigger that aborts inserts: the group's transaction must roll back entirely
        breakNextWrite: async () => {
          const Database = (await import('better-sqlite3')).default;
          const db = new Database(path);
          db.exec(
            "CREATE TRIGGER IF NOT EXISTS fail_insert BEFORE INSERT ON batches BEGIN SELECT RAISE(ABORT, 'disk full'); END;",
          );
          db.close();
        },
        dispose: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  ...(POSTGRES
    ? [
        {
          name: 'PostgresJournal',
          harness: (): DeferredHarness => {
            const db = testDatabase();
            const q = `"${db.schema}"`;
            return {
              open: (opts) => db.open(opts),
              close: (j) => db.close(j),
              // a trigger that raises on insert: the group's transaction must roll back entirely
              breakNextWrite: async () => {
                await runSql(`CREATE FUNCTION ${q}.fail_insert() RETURNS trigger LANGUAGE plpgsql AS
                  $$ BEGIN RAISE EXCEPTION 'disk full'; END $$`);
                await runSql(
                  `CREATE TRIGGER fail_insert BEFORE INSERT ON ${q}.events FOR EACH ROW EXECUTE FUNCTION ${q}.fail_insert()`,
                );
              },
              dispose: () => db.dispose(),
            };
          },
        },
      ]
    : []),
];

function events(from: number, to: number): StoredEvent[] {
  const out: StoredEvent[] = [];
  for (let seq = from; seq <= to; seq++) out.push({ seq, type: 'Deposited', json: `{"n":${seq}}` });
  return out;
}

describe.each(CASES)('Deferred journal contract: $name', (c) => {
  let h: DeferredHarness;
  let journal: DeferredJournal;
  const opened: DeferredJournal[] = [];

  beforeEach(async () => {
    h = c.harness();
    journal = await h.open();
    opened.push(journal);
  });
  afterEach(async () => {
    for (const j of opened.splice(0)) await h.close(j);
    await h.dispose();
  });

  it('buffered_records_read_back_are_frozen_and_independent_of_the_caller_objects', async () => {
    const batch = events(1, 2).map((e) => ({ ...e }));
    journal.append(batch);
    (batch[0] as { json: string }).json = 'mutated';
    const buffered = [...journal.read()];
    expect(buffered).toEqual(events(1, 2));
    for (const e of buffered) expect(Object.isFrozen(e)).toBe(true);
    await journal.flush();
    journal.append(events(3, 3));
    const all = [...journal.read()];
    expect(all).toEqual(events(1, 3));
    expect(Object.isFrozen(all[2])).toBe(true); // still buffered
  });

  it('appends_are_pending_until_flush_then_durable', async () => {
    journal.append(events(1, 3));
    journal.saveSnapshot({ seq: 2, json: 'snap' });
    expect(journal.lastSeq()).toBe(3);
    expect(journal.durableSeq()).toBe(0);
    expect(journal.pendingCount()).toBe(3);
    expect([...journal.read()]).toEqual(events(1, 3));
    expect(await journal.readRange(0, 100)).toEqual([]);
    await journal.flush();
    expect(journal.durableSeq()).toBe(3);
    expect(journal.pendingCount()).toBe(0);
    expect(await journal.readRange(0, 100)).toEqual(events(1, 3));
    expect(await journal.readRange(1, 1)).toEqual(events(2, 2));
    expect(await journal.readRange(3, 10)).toEqual([]);
    await journal.flush(); // nothing buffered: a no-op
    expect(journal.durableSeq()).toBe(3);
  });

  it('validation_errors_are_thrown_by_append_at_once_against_the_buffered_seq', async () => {
    journal.append(events(1, 2));
    expect(() => journal.append(events(2, 2))).toThrow(JournalSequenceError);
    expect(() => journal.saveSnapshot({ seq: 3, json: '' })).toThrow(JournalSequenceError);
    journal.append(events(3, 3));
    await journal.flush();
    expect(journal.durableSeq()).toBe(3);
  });

  it('only_flushed_groups_survive_a_close_and_reopen', async () => {
    journal.append(events(1, 2));
    journal.saveSnapshot({ seq: 2, json: 'at 2' });
    await journal.flush();
    journal.append(events(3, 5)); // never flushed
    journal.saveSnapshot({ seq: 5, json: 'at 5' });
    await h.close(journal);
    const again = await h.open();
    opened.push(again);
    expect(again.lastSeq()).toBe(2);
    expect(again.durableSeq()).toBe(2);
    expect([...again.read()]).toEqual(events(1, 2));
    expect(again.latestSnapshot()).toEqual({ seq: 2, json: 'at 2' });
  });

  it('appends_during_a_flush_form_the_next_group', async () => {
    journal.append(events(1, 2));
    const first = journal.flush();
    journal.append(events(3, 4));
    expect(journal.lastSeq()).toBe(4);
    await first;
    expect(journal.durableSeq()).toBeGreaterThanOrEqual(2);
    await journal.flush();
    expect(journal.durableSeq()).toBe(4);
    expect(await journal.readRange(0, 10)).toEqual(events(1, 4));
  });

  it('a_failed_flush_keeps_nothing_of_its_group_and_discard_pending_returns_to_the_durable_journal', async () => {
    journal.append(events(1, 2));
    await journal.flush();
    await h.breakNextWrite(journal);
    journal.append(events(3, 5));
    journal.saveSnapshot({ seq: 4, json: 'lost' });
    await expect(journal.flush()).rejects.toThrow();
    // a second flush is refused until the failed group is discarded
    await expect(journal.flush()).rejects.toThrow(/earlier flush failed/);
    journal.discardPending();
    expect(journal.lastSeq()).toBe(2);
    expect(journal.durableSeq()).toBe(2);
    expect(journal.latestSnapshot()).toBeUndefined();
    expect([...journal.read()]).toEqual(events(1, 2));
    await h.close(journal);
    const again = await h.open({ readOnly: true });
    opened.push(again);
    expect([...again.read()]).toEqual(events(1, 2));
    expect(again.latestSnapshot()).toBeUndefined();
  });

  it('one_writer_and_read_only_openers', async () => {
    journal.append(events(1, 1));
    await journal.flush();
    await expect(h.open()).rejects.toThrow(JournalLockedError);
    const reader = await h.open({ readOnly: true });
    opened.push(reader);
    expect([...reader.read()]).toEqual(events(1, 1));
    expect(() => reader.append(events(2, 2))).toThrow(JournalReadOnlyError);
    journal.append(events(2, 3));
    await journal.flush();
    expect(await reader.readRange(1, 10)).toEqual(events(2, 3)); // later commits, read from the store
    await h.close(journal);
    const next = await h.open();
    opened.push(next);
    expect(next.lastSeq()).toBe(3);
  });
});
