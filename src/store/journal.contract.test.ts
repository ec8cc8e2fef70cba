/**
 * One contract suite for every Journal adapter: the in-memory journal, SQLite in memory
 * and SQLite on a file (which also gets the close-and-reopen cases), and the deferred
 * (group-commit) journals, which must keep the same contract while buffering: their `read`
 * serves what was appended, flushed or not; their harness flushes (`settle`) before a
 * close-and-reopen. The deferred-only behaviour (flush, discardPending, readRange) is in
 * deferred-journal.contract.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { postgresAvailable, testDatabase } from '../../test/support/postgres.ts';
import type { DeferredJournal } from './deferred-journal.ts';
import { DeferredSqliteJournal } from './deferred-sqlite-journal.ts';
import {
  type Journal,
  JournalClosedError,
  JournalRecordError,
  JournalSequenceError,
  type StoredEvent,
} from './journal.ts';
import { InMemoryJournal } from './memory-journal.ts';
import { SqliteJournal } from './sqlite-journal.ts';

const POSTGRES = await postgresAvailable('the journal contract');

interface Harness {
  /** Opens the journal under test (a fresh, empty one per test). */
  open(): Journal | Promise<Journal>;
  /** Opens the same storage again (only for persistent adapters). */
  reopen?(): Journal | Promise<Journal>;
  /** Makes what was appended durable (deferred journals flush); before a close-and-reopen. */
  settle?(journal: Journal): Promise<void>;
  /** Closes a journal (waiting for its connections and lock to be released). */
  close?(journal: Journal): Promise<void>;
  dispose(): void | Promise<void>;
}

interface AdapterCase {
  readonly name: string;
  readonly persistent: boolean;
  harness(): Harness;
}

const ADAPTERS: readonly AdapterCase[] = [
  {
    name: 'InMemoryJournal',
    persistent: false,
    harness: () => ({ open: () => new InMemoryJournal(), dispose: () => {} }),
  },
  {
    name: 'SqliteJournal(:memory:)',
    persistent: false,
    harness: () => ({ open: () => SqliteJournal.open(':memory:'), dispose: () => {} }),
  },
  {
    name: 'SqliteJournal(file)',
    persistent: true,
    harness: () => {
      const dir = mkdtempSync(join(tmpdir(), 'plimsoll-journal-'));
      const path = join(dir, 'journal.sqlite');
      return {
        open: () => SqliteJournal.open(path),
        reopen: () => SqliteJournal.open(path),
        dispose: () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'DeferredSqliteJournal(file)',
    persistent: true,
    harness: () => {
      const dir = mkdtempSync(join(tmpdir(), 'plimsoll-journal-'));
      const path = join(dir, 'journal.sqlite');
      return {
        open: () => DeferredSqliteJournal.open(path),
        reopen: () => DeferredSqliteJournal.open(path),
        settle: (j) => (j as DeferredSqliteJournal).flush(),
        dispose: () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  ...(POSTGRES
    ? [
        {
          name: 'PostgresJournal',
          persistent: true,
          harness: (): Harness => {
            const db = testDatabase();
            return {
              open: () => db.open(),
              reopen: () => db.open(),
              settle: (j) => (j as DeferredJournal).flush(),
              close: (j) => db.close(j as DeferredJournal),
              dispose: () => db.dispose(),
            };
          },
        },
      ]
    : []),
];

/** Events seq from..to inclusive, with distinguishable type and json. */
function events(from: number, to: number): StoredEvent[] {
  const out: StoredEvent[] = [];
  for (let seq = from; seq <= to; seq++) {
    out.push({
      seq,
      type: seq % 2 === 0 ? 'Deposited' : 'TradeFilled',
      json: `{"n":${seq},"usd6":"${seq}000000"}`,
    });
  }
  return out;
}

describe.each(ADAPTERS)('Journal contract: $name', (adapter) => {
  let harness: Harness;
  let journal: Journal;
  const open: Journal[] = [];

  beforeEach(async () => {
    harness = adapter.harness();
    journal = await harness.open();
    open.push(journal);
  });

  afterEach(async () => {
    for (const j of open.splice(0)) {
      if (harness.close) await harness.close(j);
      else j.close();
    }
    await harness.dispose();
  });

  describe('empty journal', () => {
    it('empty_journal_has_last_seq_zero_no_events_no_snapshot', () => {
      expect(journal.lastSeq()).toBe(0);
      expect([...journal.read()]).toEqual([]);
      expect(journal.latestSnapshot()).toBeUndefined();
    });

    it('empty_batch_is_a_no_op', () => {
      journal.append([]);
      expect(journal.lastSeq()).toBe(0);
      journal.append(events(1, 2));
      journal.append([]);
      expect(journal.lastSeq()).toBe(2);
    });
  });

  describe('append and read', () => {
    it('reads_back_batches_in_seq_order', () => {
      journal.append(events(1, 3));
      journal.append(events(4, 4));
      journal.append(events(5, 7));
      expect(journal.lastSeq()).toBe(7);
      expect([...journal.read()]).toEqual(events(1, 7));
    });

    it.each([
      { name: 'read_after_zero_is_everything', after: 0, from: 1 },
      { name: 'read_after_negative_is_everything', after: -5, from: 1 },
      { name: 'read_after_middle', after: 3, from: 4 },
      { name: 'read_after_last_is_empty', after: 7, from: 8 },
      { name: 'read_after_beyond_last_is_empty', after: 100, from: 8 },
    ])('$name', ({ after, from }) => {
      journal.append(events(1, 7));
      expect([...journal.read(after)]).toEqual(from <= 7 ? events(from, 7) : []);
    });

    it('rejects_non_integer_after_seq', () => {
      expect(() => journal.read(1.5)).toThrow(JournalRecordError);
    });

    it('preserves_type_and_json_strings_exactly', () => {
      const tricky: StoredEvent[] = [
        { seq: 1, type: 'Deposited', json: '{"usd6":"123456789012345678901234567890"}' },
        { seq: 2, type: 'Note', json: '"quotes \\" and \\\\ backslashes", newline\n, tab\t, €, 😀' },
        { seq: 3, type: 'Empty', json: '' },
        {
          seq: 4,
          type: 'Large',
          json: JSON.stringify({ xs: Array.from({ length: 5000 }, (_, i) => `${i}`) }),
        },
      ];
      journal.append(tricky);
      expect([...journal.read()]).toEqual(tricky);
    });

    it('stored_records_are_independent_of_caller_objects', () => {
      const batch = events(1, 2).map((e) => ({ ...e }));
      journal.append(batch);
      (batch[0] as { json: string }).json = 'mutated';
      expect([...journal.read()]).toEqual(events(1, 2));
    });

    it('read_is_lazy_and_breaking_out_releases_the_journal', () => {
      journal.append(events(1, 50));
      const it = journal.read();
      expect(it.next().value).toEqual(events(1, 1)[0]);
      expect(it.next().value).toEqual(events(2, 2)[0]);
      it.return?.();
      for (const e of journal.read(10)) {
        if (e.seq === 12) break;
      }
      journal.append(events(51, 52));
      expect(journal.lastSeq()).toBe(52);
      expect([...journal.read(49)].map((e) => e.seq)).toEqual([50, 51, 52]);
    });
  });

  describe('atomic batches', () => {
    it.each([
      { name: 'first_seq_on_empty_must_be_1', before: 0, batch: events(2, 3) },
      { name: 'first_seq_zero_rejected', before: 0, batch: events(0, 1) },
      { name: 'gap_at_batch_start', before: 3, batch: events(5, 6) },
      { name: 'gap_inside_batch', before: 3, batch: [...events(4, 5), ...events(7, 8)] },
      { name: 'duplicate_of_journaled_seq', before: 3, batch: events(3, 4) },
      { name: 'duplicate_inside_batch', before: 3, batch: [...events(4, 5), ...events(5, 6)] },
      { name: 'out_of_order_inside_batch', before: 3, batch: [...events(5, 5), ...events(4, 4)] },
      { name: 'fractional_seq', before: 3, batch: [{ seq: 4.5, type: 'X', json: '{}' }] },
      { name: 'nan_seq', before: 3, batch: [{ seq: Number.NaN, type: 'X', json: '{}' }] },
      {
        name: 'string_seq',
        before: 3,
        batch: [{ seq: '4' as unknown as number, type: 'X', json: '{}' }],
      },
    ])('$name: throws JournalSequenceError, writes nothing', ({ before, batch }) => {
      if (before > 0) journal.append(events(1, before));
      expect(() => journal.append(batch)).toThrow(JournalSequenceError);
      expect(journal.lastSeq()).toBe(before);
      expect([...journal.read()]).toEqual(before > 0 ? events(1, before) : []);
      journal.append(events(before + 1, before + 2));
      expect(journal.lastSeq()).toBe(before + 2);
    });

    it('sequence_error_reports_expected_and_actual', () => {
      journal.append(events(1, 3));
      try {
        journal.append(events(6, 6));
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(JournalSequenceError);
        expect((err as JournalSequenceError).expected).toBe(4);
        expect((err as JournalSequenceError).actual).toBe(6);
      }
    });

    it.each([
      { name: 'empty_type', bad: { seq: 3, type: '', json: '{}' } },
      { name: 'non_string_json', bad: { seq: 3, type: 'X', json: { a: 1 } as unknown as string } },
      { name: 'null_event', bad: null as unknown as StoredEvent },
    ])('$name: throws JournalRecordError, writes nothing', ({ bad }) => {
      expect(() => journal.append([...events(1, 2), bad])).toThrow(JournalRecordError);
      expect(journal.lastSeq()).toBe(0);
      expect([...journal.read()]).toEqual([]);
    });
  });

  describe('snapshots', () => {
    it('latest_snapshot_is_the_highest_seq', () => {
      journal.append(events(1, 10));
      journal.saveSnapshot({ seq: 2, json: '{"at":2}' });
      journal.saveSnapshot({ seq: 8, json: '{"at":8}' });
      expect(journal.latestSnapshot()).toEqual({ seq: 8, json: '{"at":8}' });
      journal.saveSnapshot({ seq: 5, json: '{"at":5}' });
      expect(journal.latestSnapshot()).toEqual({ seq: 8, json: '{"at":8}' });
      journal.saveSnapshot({ seq: 10, json: '{"at":10}' });
      expect(journal.latestSnapshot()).toEqual({ seq: 10, json: '{"at":10}' });
    });

    it('same_seq_snapshot_replaces_the_previous_one', () => {
      journal.append(events(1, 4));
      journal.saveSnapshot({ seq: 4, json: 'old' });
      journal.saveSnapshot({ seq: 4, json: 'new' });
      expect(journal.latestSnapshot()).toEqual({ seq: 4, json: 'new' });
    });

    it('snapshot_at_seq_zero_on_empty_journal', () => {
      journal.saveSnapshot({ seq: 0, json: '{"genesis":true}' });
      expect(journal.latestSnapshot()).toEqual({ seq: 0, json: '{"genesis":true}' });
    });

    it.each([
      { name: 'beyond_last_seq', seq: 4 },
      { name: 'negative', seq: -1 },
      { name: 'fractional', seq: 1.5 },
    ])('snapshot seq $name: throws, keeps previous', ({ seq }) => {
      journal.append(events(1, 3));
      journal.saveSnapshot({ seq: 2, json: 'kept' });
      expect(() => journal.saveSnapshot({ seq, json: 'bad' })).toThrow(JournalSequenceError);
      expect(journal.latestSnapshot()).toEqual({ seq: 2, json: 'kept' });
    });

    it('recovery_reads_events_after_the_snapshot_seq', () => {
      journal.append(events(1, 10));
      journal.saveSnapshot({ seq: 6, json: '{"state":"at 6"}' });
      const snap = journal.latestSnapshot();
      expect(snap?.seq).toBe(6);
      expect([...journal.read(snap?.seq)]).toEqual(events(7, 10));
    });
  });

  describe('close', () => {
    it('calls_after_close_throw_and_close_is_idempotent', () => {
      journal.append(events(1, 2));
      journal.close();
      journal.close();
      expect(() => journal.lastSeq()).toThrow(JournalClosedError);
      expect(() => journal.append(events(3, 3))).toThrow(JournalClosedError);
      expect(() => journal.read()).toThrow(JournalClosedError);
      expect(() => journal.latestSnapshot()).toThrow(JournalClosedError);
      expect(() => journal.saveSnapshot({ seq: 1, json: '' })).toThrow(JournalClosedError);
    });
  });

  describe('volume', () => {
    it('round_trips_100k_events', async () => {
      const total = 100_000;
      const batchSize = 10_000;
      for (let from = 1; from <= total; from += batchSize) {
        journal.append(events(from, from + batchSize - 1));
        await harness.settle?.(journal);
      }
      expect(journal.lastSeq()).toBe(total);
      let expected = 1;
      for (const e of journal.read()) {
        if (e.seq !== expected) throw new Error(`expected seq ${expected}, got ${e.seq}`);
        if (e.json !== `{"n":${expected},"usd6":"${expected}000000"}`)
          throw new Error(`bad json at ${e.seq}`);
        expected++;
      }
      expect(expected - 1).toBe(total);
      expect([...journal.read(total - 3)]).toEqual(events(total - 2, total));
    });
  });

  if (adapter.persistent) {
    describe('persistence', () => {
      it('reopened_journal_reads_back_identical_records', async () => {
        const tricky: StoredEvent = {
          seq: 6,
          type: 'Note',
          json: '{"s":"€ 😀 \\n","big":"9007199254740993"}',
        };
        journal.append(events(1, 5));
        journal.append([tricky]);
        journal.saveSnapshot({ seq: 5, json: '{"at":5}' });
        const before = [...journal.read()];
        await harness.settle?.(journal);
        await (harness.close?.(journal) ?? journal.close());

        const again = await harness.reopen!();
        open.push(again);
        expect(again.lastSeq()).toBe(6);
        expect([...again.read()]).toEqual(before);
        expect([...again.read()]).toEqual([...events(1, 5), tricky]);
        expect(again.latestSnapshot()).toEqual({ seq: 5, json: '{"at":5}' });

        again.append(events(7, 8));
        expect(() => again.append(events(8, 8))).toThrow(JournalSequenceError);
        await harness.settle?.(again);
        await (harness.close?.(again) ?? again.close());
        const third = await harness.reopen!();
        open.push(third);
        expect(third.lastSeq()).toBe(8);
      });
    });
  }
});
