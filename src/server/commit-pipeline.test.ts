/**
 * Group commit (commit-pipeline.ts): nothing is acknowledged or published before it is durable,
 * a failed flush never loses an acknowledged command and leaves the engine equal to the fold of
 * its journal, and many commands in flight keep their order. Faults come from an in-memory
 * store (test/support/faulty-deferred-journal.ts); the same pipeline runs on SQLite at the end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { commandStream } from '../../test/support/command-stream.ts';
import { FaultyDeferredJournal, FaultyStore } from '../../test/support/faulty-deferred-journal.ts';
import { newVenue, venueConfig } from '../../test/support/fixtures.ts';
import { postgresAvailable, testDatabase } from '../../test/support/postgres.ts';
import { Engine, type ExecuteResult } from '../core/engine/engine.ts';
import type { Sequenced } from '../core/engine/events.ts';
import { BatchEncoder } from '../store/batch-codec.ts';
import type { DeferredJournal } from '../store/deferred-journal.ts';
import { DeferredSqliteJournal } from '../store/deferred-sqlite-journal.ts';
import { InMemoryJournal } from '../store/memory-journal.ts';
import { openEngine } from '../store/open-store.ts';
import { CommitPipeline, type CommitPipelineOptions } from './commit-pipeline.ts';

const STREAM = commandStream(300, 11);
const POSTGRES = await postgresAvailable('the commit pipeline');
/** The venue's setup (prices, backstop deposit) as commands, as newVenue runs them. */
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

async function startOn(store: FaultyStore, options: CommitPipelineOptions = {}) {
  const opened: FaultyDeferredJournal[] = [];
  const pipeline = await CommitPipeline.start(async () => {
    const journal = await FaultyDeferredJournal.open(store);
    opened.push(journal);
    return { journal, engine: await openEngine(journal, { config: venueConfig() }) };
  }, options);
  for (const c of SETUP) expect((await pipeline.submit(c)).ok).toBe(true);
  return { pipeline, opened };
}

/** The state hash of the durable store, folded by a fresh engine. */
function foldHash(store: FaultyStore): string {
  const j = new InMemoryJournal();
  j.append(store.events);
  for (const s of store.snapshots) if (s.seq <= j.lastSeq()) j.saveSnapshot(s);
  return Engine.open(j).stateHash();
}

/** Submits `commands` in waves of `wave`, letting the event loop turn between waves (as requests arrive). */
async function submitInWaves(pipeline: CommitPipeline, commands: readonly unknown[], wave = 10) {
  const pending: Promise<ExecuteResult>[] = [];
  for (const [i, c] of commands.entries()) {
    if (i > 0 && i % wave === 0) await new Promise((r) => setImmediate(r));
    pending.push(pipeline.submit(c));
  }
  return Promise.all(pending);
}

function seqsOf(results: readonly ExecuteResult[]): number[] {
  return results.flatMap((r) => (r.ok && r.replayed !== true ? r.events.map((e) => e.seq) : []));
}

describe('CommitPipeline: acknowledged only when durable, in order', () => {
  it('many_commands_in_flight_share_groups_keep_order_and_match_a_sequential_engine', async () => {
    const store = new FaultyStore();
    store.delayMs = 'tick'; // a flush takes a turn of the event loop: the next wave piles up behind it
    const { pipeline } = await startOn(store);
    const published: Sequenced[] = [];
    pipeline.onCommitted((evs) => {
      for (const e of evs) expect(e.seq).toBeLessThanOrEqual(store.events.length); // durable already
      published.push(...evs);
    });
    const flushesBefore = store.flushes;
    const acks: number[] = [];
    const results: ExecuteResult[] = [];
    const inFlight: Promise<void>[] = [];
    for (const [i, c] of STREAM.entries()) {
      if (i > 0 && i % 10 === 0) await new Promise((r) => setImmediate(r));
      inFlight.push(
        pipeline.submit(c).then((r) => {
          if (r.ok) for (const e of r.events) expect(e.seq).toBeLessThanOrEqual(store.events.length);
          acks.push(i);
          results[i] = r;
        }),
      );
    }
    await Promise.all(inFlight);
    await pipeline.drain();
    // a sequential engine gives the same answers
    const reference = newVenue();
    const expected = STREAM.map((c) => reference.execute(c));
    expect(results.map((r) => r.ok)).toEqual(expected.map((r) => r.ok));
    expect(results.map((r) => (r.ok ? r.events.map((e) => e.seq) : r.rejection.code))).toEqual(
      expected.map((r) => (r.ok ? r.events.map((e) => e.seq) : r.rejection.code)),
    );
    expect(pipeline.engine.stateHash()).toBe(reference.stateHash());
    expect(foldHash(store)).toBe(reference.stateHash());
    // grouped: far fewer flushes than commands, and more than one (the waves overlapped flushes)
    expect(store.flushes - flushesBefore).toBeLessThan(STREAM.length / 3);
    expect(store.flushes - flushesBefore).toBeGreaterThan(1);
    // acknowledged in submission order (each group resolves its commands in order)
    expect(acks.filter((i) => results[i]!.ok)).toEqual(
      [...acks.filter((i) => results[i]!.ok)].sort((a, b) => a - b),
    );
    // every durable event after the setup is published exactly once, in order
    const firstStreamSeq = published.length > 0 ? published[0]!.seq : 0;
    expect(published.map((e) => e.seq)).toEqual(
      store.events.filter((e) => e.seq >= firstStreamSeq).map((e) => e.seq),
    );
    expect(new Set(seqsOf(results)).size).toBe(seqsOf(results).length);
    await pipeline.close();
  });

  it('a_rejection_that_journals_nothing_is_answered_without_waiting_for_the_flush', async () => {
    const store = new FaultyStore();
    const { pipeline } = await startOn(store);
    store.delayMs = 400;
    let slowSettled = false;
    const slow = pipeline
      .submit({ type: 'deposit', to: { account: 'x' }, asset: 'USDC', amount: '5' })
      .finally(() => {
        slowSettled = true;
      });
    const r = await pipeline.submit({ type: 'deposit', to: { account: 'x' }, asset: 'USDC', amount: '-1' });
    expect(r.ok).toBe(false);
    expect(slowSettled).toBe(false); // answered while the earlier command's flush is still being written
    expect((await slow).ok).toBe(true);
    await pipeline.close();
  });

  it('a_repeated_command_id_is_not_acknowledged_before_the_original_is_durable', async () => {
    const store = new FaultyStore();
    const { pipeline } = await startOn(store);
    store.delayMs = 50;
    const cmd = { type: 'deposit', to: { account: 'x' }, asset: 'USDC', amount: '5', commandId: 'dep-1' };
    const first = pipeline.submit(cmd);
    const again = pipeline.submit(cmd);
    const r2 = await again;
    expect(r2.ok && r2.replayed).toBe(true);
    const last = r2.ok ? r2.events[r2.events.length - 1]!.seq : -1;
    expect(store.events.length).toBeGreaterThanOrEqual(last); // durable when answered
    const r1 = await first;
    expect(r1.ok && r2.ok && r1.events.map((e) => e.seq)).toEqual(r2.ok && r2.events.map((e) => e.seq));
    await pipeline.close();
  });

  it('a_full_buffer_holds_new_commands_back_so_groups_stay_bounded', async () => {
    const store = new FaultyStore();
    store.delayMs = 'tick';
    const { pipeline } = await startOn(store, { maxPendingEvents: 10 });
    const results = await submitInWaves(pipeline, STREAM);
    await pipeline.drain();
    const reference = newVenue();
    for (const c of STREAM) reference.execute(c);
    expect(pipeline.engine.stateHash()).toBe(reference.stateHash());
    expect(results.filter((r) => r.ok).length).toBeGreaterThan(0);
    // a command is admitted while fewer than 10 events are buffered; one command adds at most a few
    expect(Math.max(...store.groupSizes)).toBeLessThanOrEqual(10 + 8);
    await pipeline.close();
  });

  it('a_burst_starts_its_first_flush_inside_the_burst_once_enough_events_are_buffered', async () => {
    const store = new FaultyStore();
    store.delayMs = 'tick';
    const { pipeline } = await startOn(store, { eagerFlushEvents: 20 });
    const before = store.flushes;
    // one synchronous burst: without the eager flush it would all wait for one flush after it
    const burst = STREAM.slice(0, 120).map((c) => pipeline.submit(c));
    expect(store.flushes - before).toBeGreaterThanOrEqual(1); // started while the burst was submitted
    const results = await Promise.all(burst);
    await pipeline.drain();
    expect(store.flushes - before).toBeGreaterThanOrEqual(2);
    const reference = newVenue();
    const expected = STREAM.slice(0, 120).map((c) => reference.execute(c));
    expect(results.map((r) => r.ok)).toEqual(expected.map((r) => r.ok));
    expect(pipeline.engine.stateHash()).toBe(reference.stateHash());
    expect(foldHash(store)).toBe(reference.stateHash());
    await pipeline.close();
  });

  it('a_group_that_has_executed_as_long_as_commits_take_is_flushed_inside_the_burst', async () => {
    for (const timeRule of [true, false]) {
      const store = new FaultyStore();
      store.delayMs = 'tick';
      let t = 0;
      const { pipeline } = await startOn(store, {
        eagerFlushEvents: 100_000,
        overlapFlushMinEvents: timeRule ? 4 : 0,
        now: () => t,
      });
      // flushes that take 5 ms on the fake clock: the time rule's (smoothed) measure of a commit
      // tends to 5 ms (after the setup's instant ones: 4.8 ms after twelve)
      for (let k = 0; k < 12; k++) {
        const first = pipeline.submit({ type: 'deposit', to: { account: 'x' }, asset: 'USDC', amount: '5' });
        await new Promise((r) => setImmediate(r)); // its flush has started
        t += 5;
        expect((await first).ok).toBe(true);
      }
      const before = store.flushes;
      const durableAtStart = store.events.length;
      // one synchronous burst, each command "executing" for 1 ms
      const acked: boolean[] = [];
      let startedInBurst = 0;
      let firstFlushAt = -1;
      const burst = STREAM.slice(0, 60).map((c, i) => {
        t += 1;
        const p = pipeline.submit(c).then((r) => {
          // acknowledged only once every event it journaled is in the store
          if (r.ok) for (const e of r.events) expect(e.seq).toBeLessThanOrEqual(store.events.length);
          acked.push(r.ok);
          return r;
        });
        startedInBurst = store.flushes - before;
        if (startedInBurst > 0 && firstFlushAt < 0) firstFlushAt = i;
        return p;
      });
      const results = await Promise.all(burst);
      await pipeline.drain();
      if (timeRule) {
        // the first group was handed to the store after ~5 ms of execution, the rest executed meanwhile
        expect(startedInBurst).toBe(1);
        // not before the group had executed for the ~5 ms commits took (commands 0…5)
        expect(firstFlushAt).toBeGreaterThanOrEqual(5);
        expect(firstFlushAt).toBeLessThan(15);
        expect(store.groupSizes[before]!).toBeGreaterThanOrEqual(4);
        expect(store.events.length - durableAtStart).toBeGreaterThan(store.groupSizes[before]!);
      } else {
        expect(startedInBurst).toBe(0);
      }
      const reference = newVenue();
      for (let k = 0; k < 12; k++)
        reference.execute({ type: 'deposit', to: { account: 'x' }, asset: 'USDC', amount: '5' });
      const expected = STREAM.slice(0, 60).map((c) => reference.execute(c));
      expect(results.map((r) => r.ok)).toEqual(expected.map((r) => r.ok));
      expect(foldHash(store)).toBe(reference.stateHash());
      expect(pipeline.engine.stateHash()).toBe(reference.stateHash());
      await pipeline.close();
    }
  });

  it('a_write_failing_while_the_next_group_executes_fails_that_group_and_every_later_command_only', async () => {
    const store = new FaultyStore();
    store.delayMs = 'tick';
    let t = 0;
    const { pipeline } = await startOn(store, { overlapFlushMinEvents: 4, now: () => t });
    const warm = pipeline.submit({ type: 'deposit', to: { account: 'x' }, asset: 'USDC', amount: '5' });
    t += 3;
    expect((await warm).ok).toBe(true);
    const heard: Sequenced[] = [];
    pipeline.onCommitted((evs) => heard.push(...evs));
    const durableBefore = store.events.length;
    // the group flushed inside the burst commits; the next one, executed meanwhile, fails
    store.failIn(2);
    const commands = STREAM.slice(0, 80);
    const outcome: { ok: boolean; code?: string; durableAtAck: number; seqs: number[] }[] = [];
    const burst = commands.map((c, i) => {
      t += 1;
      return pipeline.submit(c).then((r) => {
        outcome[i] = {
          ok: r.ok,
          ...(r.ok ? {} : { code: r.rejection.code }),
          durableAtAck: store.events.length,
          seqs: r.ok ? r.events.map((e) => e.seq) : [],
        };
      });
    });
    await Promise.all(burst);
    await pipeline.drain();
    const failed = outcome.filter((o) => o.code === 'JOURNAL_WRITE_FAILED').length;
    expect(store.flushes).toBeGreaterThan(2);
    expect(failed).toBeGreaterThan(0); // the second group
    expect(outcome.filter((o) => o.ok).length).toBeGreaterThan(0); // the first group
    // nothing acknowledged that is not in the store, nothing of the failed group was published
    for (const o of outcome) for (const seq of o.seqs) expect(seq).toBeLessThanOrEqual(o.durableAtAck);
    expect(heard.map((e) => e.seq)).toEqual(store.events.slice(durableBefore).map((e) => e.seq));
    // every command after the first failure failed with it (none acknowledged out of order)
    const firstFail = outcome.findIndex((o) => o.code === 'JOURNAL_WRITE_FAILED');
    for (const o of outcome.slice(firstFail)) expect(o.ok && o.seqs.length > 0).toBe(false);
    // memory is the journal's fold, and the pipeline goes on
    expect(pipeline.engine.stateHash()).toBe(foldHash(store));
    const again = await pipeline.submit({
      type: 'deposit',
      to: { account: 'y' },
      asset: 'USDC',
      amount: '7',
    });
    expect(again.ok).toBe(true);
    expect(pipeline.engine.stateHash()).toBe(foldHash(store));
    await pipeline.close();
  });

  it('periodic_snapshots_go_through_the_same_flush_and_the_store_reopens_to_the_same_state', async () => {
    const store = new FaultyStore();
    const { pipeline } = await startOn(store, { snapshotEvery: 25 });
    await submitInWaves(pipeline, STREAM);
    await pipeline.drain();
    expect(store.snapshots.length).toBeGreaterThan(2);
    const hash = pipeline.engine.stateHash();
    await pipeline.close();
    const j = await FaultyDeferredJournal.open(store);
    expect(j.latestSnapshot()?.seq).toBeGreaterThan(0);
    expect(Engine.open(j).stateHash()).toBe(hash);
  });
});

describe('CommitPipeline: a failed flush', () => {
  it.each([
    { mode: 'before' as const, at: 1 },
    { mode: 'before' as const, at: 3 },
    { mode: 'before' as const, at: 7 },
    { mode: 'after' as const, at: 2 },
    { mode: 'after' as const, at: 5 },
  ])(
    'flush $at fails ($mode the write): no acknowledged command is missing, nothing unjournaled is published, memory = fold',
    async ({ mode, at }) => {
      const store = new FaultyStore();
      store.delayMs = 'tick';
      const faults: string[] = [];
      const { pipeline } = await startOn(store, { onFault: (f) => faults.push(f.outcome) });
      store.mode = mode;
      store.failIn(at);
      const published: Sequenced[] = [];
      pipeline.onCommitted((evs) => published.push(...evs));
      const startSeq = store.events.length;
      const results = await submitInWaves(pipeline, STREAM);
      await pipeline.drain();
      expect(faults).toEqual(['reopened']);
      const failed = results.filter((r) => !r.ok && r.rejection.code === 'JOURNAL_WRITE_FAILED');
      if (mode === 'before') expect(failed.length).toBeGreaterThan(0);
      // every acknowledged event is in the store, with the same type
      for (const r of results) {
        if (!r.ok) continue;
        for (const e of r.events) expect(store.events[e.seq - 1]?.type).toBe(e.type);
      }
      // published = the durable events after the setup, once each, in order
      expect(published.map((e) => e.seq)).toEqual(store.events.slice(startSeq).map((e) => e.seq));
      // memory = fold of the journal, and the engine works on
      expect(pipeline.engine.stateHash()).toBe(foldHash(store));
      const more = await pipeline.submit({
        type: 'deposit',
        to: { account: 'z' },
        asset: 'USDC',
        amount: '1',
      });
      expect(more.ok).toBe(true);
      expect(pipeline.engine.stateHash()).toBe(foldHash(store));
      await pipeline.close();
    },
  );

  it('a_command_applied_while_the_failing_group_was_being_written_fails_with_it_and_is_never_published', async () => {
    const store = new FaultyStore();
    const { pipeline } = await startOn(store);
    store.delayMs = 'tick';
    store.failIn(1);
    const heard: Sequenced[] = [];
    pipeline.onCommitted((evs) => heard.push(...evs));
    const durableBefore = store.events.length;
    const a = pipeline.submit({ type: 'deposit', to: { account: 'x' }, asset: 'USDC', amount: '5' });
    await new Promise((r) => setImmediate(r)); // the flush of A's group is now being written
    expect(pipeline.journal.pendingCount()).toBeGreaterThan(0);
    const b = pipeline.submit({ type: 'deposit', to: { account: 'y' }, asset: 'USDC', amount: '7' });
    const [ra, rb] = await Promise.all([a, b]);
    expect(!ra.ok && ra.rejection.code).toBe('JOURNAL_WRITE_FAILED');
    expect(!rb.ok && rb.rejection.code).toBe('JOURNAL_WRITE_FAILED');
    expect(heard).toEqual([]);
    expect(store.events.length).toBe(durableBefore);
    expect(pipeline.engine.state.subaccounts.has('y/0')).toBe(false);
    const rc = await pipeline.submit({ type: 'deposit', to: { account: 'y' }, asset: 'USDC', amount: '7' });
    expect(rc.ok).toBe(true);
    expect(pipeline.engine.state.subaccounts.has('y/0')).toBe(true);
    expect(heard.map((e) => e.seq)).toEqual(rc.ok ? rc.events.map((e) => e.seq) : []);
    expect(pipeline.engine.stateHash()).toBe(foldHash(store));
    await pipeline.close();
  });

  it('a_lost_commit_answer_whose_group_landed_is_acknowledged_after_all', async () => {
    const store = new FaultyStore();
    const { pipeline } = await startOn(store);
    store.mode = 'after';
    store.failIn(1);
    const r = await pipeline.submit({ type: 'deposit', to: { account: 'x' }, asset: 'USDC', amount: '5' });
    expect(r.ok).toBe(true);
    expect(pipeline.stats().failedFlushes).toBe(1);
    expect(pipeline.engine.stateHash()).toBe(foldHash(store));
    await pipeline.close();
  });

  it('when_the_engine_cannot_be_reopened_the_pipeline_halts_and_acknowledges_nothing_more', async () => {
    const store = new FaultyStore();
    const faults: string[] = [];
    const { pipeline } = await startOn(store, { onFault: (f) => faults.push(f.outcome) });
    const durableBefore = store.events.length;
    store.failIn(1);
    store.failOpen = true;
    const r = await pipeline.submit({ type: 'deposit', to: { account: 'x' }, asset: 'USDC', amount: '5' });
    expect(!r.ok && r.rejection.code).toBe('JOURNAL_WRITE_FAILED');
    expect(faults).toEqual(['halted']);
    expect(pipeline.halted).toBeDefined();
    const later = await pipeline.submit({
      type: 'deposit',
      to: { account: 'x' },
      asset: 'USDC',
      amount: '5',
    });
    expect(!later.ok && later.rejection.code).toBe('ENGINE_HALTED');
    expect(store.events.length).toBe(durableBefore);
    await pipeline.drain();
  });
});

/** Durable stores the pipeline runs on: each opens the same store again after a close. */
interface StoreCase {
  readonly name: string;
  /** A fresh store; `open` opens a journal on it (again and again), `dispose` removes it. */
  make(): { open: () => Promise<DeferredJournal>; dispose: () => Promise<void> };
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const STORES: StoreCase[] = [
  {
    name: 'SQLite',
    make: () => {
      const dir = mkdtempSync(join(tmpdir(), 'plimsoll-pipeline-'));
      dirs.push(dir);
      const path = join(dir, 'journal.sqlite');
      return { open: async () => DeferredSqliteJournal.open(path), dispose: async () => {} };
    },
  },
  ...(POSTGRES
    ? [
        {
          name: 'PostgreSQL',
          make: () => {
            const db = testDatabase();
            return { open: () => db.open(), dispose: () => db.dispose() };
          },
        },
      ]
    : []),
];

describe.each(STORES)('CommitPipeline on $name', (store) => {
  it('commands_in_flight_commit_in_groups_and_a_restart_reopens_to_the_same_state', async () => {
    const s = store.make();
    try {
      const opener = async () => {
        const journal = await s.open();
        return { journal, engine: await openEngine(journal, { config: venueConfig() }) };
      };
      const pipeline = await CommitPipeline.start(opener, { snapshotEvery: 100 });
      const published: number[] = [];
      pipeline.onCommitted((evs) => published.push(...evs.map((e) => e.seq)));
      for (const c of SETUP) expect((await pipeline.submit(c)).ok).toBe(true);
      const results = await submitInWaves(pipeline, STREAM);
      await pipeline.drain();
      const reference = newVenue();
      const expected = STREAM.map((c) => reference.execute(c));
      expect(results.map((r) => r.ok)).toEqual(expected.map((r) => r.ok));
      expect(pipeline.engine.stateHash()).toBe(reference.stateHash());
      const durable = pipeline.journal.durableSeq();
      expect(published).toEqual(
        Array.from({ length: published.length }, (_, i) => durable - published.length + 1 + i),
      );
      expect((await pipeline.journal.readRange(durable - 3, 10)).map((e) => e.seq)).toEqual([
        durable - 2,
        durable - 1,
        durable,
      ]);
      const stats = pipeline.stats();
      expect(stats.groups).toBeLessThan(STREAM.length);
      await pipeline.close();
      // restart: the same state from the store
      const again = await CommitPipeline.start(opener);
      expect(again.engine.stateHash()).toBe(reference.stateHash());
      expect(again.journal.latestSnapshot()?.seq).toBeGreaterThan(0);
      await again.close();
    } finally {
      await s.dispose();
    }
  });
});

/**
 * The same fault rules with the commit on a worker thread: a SQLite write failing inside the
 * worker's transaction (a trigger raising, as a full disk would), and the worker dying while a
 * group is outstanding. Nothing unacknowledged is published, nothing acknowledged is lost, and
 * memory is the fold of the file afterwards.
 */
describe('CommitPipeline on SQLite: faults in the commit worker', () => {
  function sqliteStore() {
    const dir = mkdtempSync(join(tmpdir(), 'plimsoll-pipeline-worker-'));
    dirs.push(dir);
    const path = join(dir, 'journal.sqlite');
    const opened: DeferredSqliteJournal[] = [];
    const opener = async () => {
      const journal = DeferredSqliteJournal.open(path, { durable: true });
      opened.push(journal);
      return { journal, engine: await openEngine(journal, { config: venueConfig() }) };
    };
    /** The state hash of what the file holds, folded by a fresh read-only engine. */
    const fileHash = () => {
      const j = DeferredSqliteJournal.open(path, { readOnly: true });
      try {
        return {
          hash: Engine.open(j).stateHash(),
          lastSeq: j.lastSeq(),
          types: [...j.read()].map((e) => e.type),
        };
      } finally {
        j.close();
      }
    };
    const sql = (text: string) => {
      const db = new Database(path);
      db.exec(text);
      db.close();
    };
    return { opener, opened, fileHash, sql };
  }

  it.each([1, 60])(
    'the group holding the %i-th event of the stream fails in the worker: its commands and later ones are refused, the rest is durable and memory = file',
    async (at) => {
      const s = sqliteStore();
      const faults: string[] = [];
      const pipeline = await CommitPipeline.start(s.opener, {
        onFault: (f) => {
          faults.push(f.outcome);
          s.sql('DROP TRIGGER fail_batch'); // one fault (a rolled-back transaction rolls back the counter too)
        },
      });
      expect(s.opened[0]!.commitsInWorker).toBe(true);
      for (const c of SETUP) expect((await pipeline.submit(c)).ok).toBe(true);
      const published: Sequenced[] = [];
      pipeline.onCommitted((evs) => published.push(...evs));
      const startSeq = pipeline.journal.durableSeq();
      // the batch row holding that event raises inside the worker's transaction (once: onFault drops it)
      const seq = startSeq + at;
      s.sql(`
        CREATE TRIGGER fail_batch BEFORE INSERT ON batches WHEN NEW.first_seq <= ${seq} AND NEW.last_seq >= ${seq}
          BEGIN SELECT RAISE(ABORT, 'disk full'); END;`);
      const results = await submitInWaves(pipeline, STREAM);
      await pipeline.drain();
      expect(faults).toEqual(['reopened']);
      expect(results.some((r) => !r.ok && r.rejection.code === 'JOURNAL_WRITE_FAILED')).toBe(true);
      const file = s.fileHash();
      // every acknowledged event is in the file, with its type
      for (const r of results) {
        if (!r.ok) continue;
        for (const e of r.events) expect(file.types[e.seq - 1]).toBe(e.type);
      }
      // published = exactly the durable events after the setup, in order
      expect(published.map((e) => e.seq)).toEqual(
        Array.from({ length: file.lastSeq - startSeq }, (_, i) => startSeq + 1 + i),
      );
      expect(pipeline.engine.stateHash()).toBe(file.hash);
      const more = await pipeline.submit({
        type: 'deposit',
        to: { account: 'z' },
        asset: 'USDC',
        amount: '1',
      });
      expect(more.ok).toBe(true);
      await pipeline.drain();
      expect(pipeline.engine.stateHash()).toBe(s.fileHash().hash);
      await pipeline.close();
    },
  );

  it('the_worker_dying_with_a_group_outstanding_refuses_that_group_and_the_engine_is_reopened_from_the_file', async () => {
    const s = sqliteStore();
    const pipeline = await CommitPipeline.start(s.opener);
    for (const c of SETUP) expect((await pipeline.submit(c)).ok).toBe(true);
    const before = s.fileHash();
    const heard: Sequenced[] = [];
    pipeline.onCommitted((evs) => heard.push(...evs));
    const a = pipeline.submit({ type: 'deposit', to: { account: 'x' }, asset: 'USDC', amount: '5' });
    await s.opened[0]!.killCommitWorker(); // before the group's flush reached it
    const ra = await a;
    expect(!ra.ok && ra.rejection.code).toBe('JOURNAL_WRITE_FAILED');
    expect(heard).toEqual([]);
    expect(s.fileHash()).toEqual(before);
    expect(pipeline.engine.stateHash()).toBe(before.hash);
    expect(pipeline.engine.state.subaccounts.has('x/0')).toBe(false);
    // the reopened journal has a new worker and goes on
    expect(s.opened.length).toBe(2);
    const rb = await pipeline.submit({ type: 'deposit', to: { account: 'x' }, asset: 'USDC', amount: '5' });
    expect(rb.ok).toBe(true);
    expect(pipeline.engine.stateHash()).toBe(s.fileHash().hash);
    await pipeline.close();
  });

  it('the_worker_dying_after_its_commit_but_before_answering_acknowledges_the_group_from_the_file', async () => {
    const s = sqliteStore();
    const pipeline = await CommitPipeline.start(s.opener);
    for (const c of SETUP) expect((await pipeline.submit(c)).ok).toBe(true);
    const heard: Sequenced[] = [];
    pipeline.onCommitted((evs) => heard.push(...evs));
    const startSeq = pipeline.journal.durableSeq();
    s.opened[0]!.crashCommitWorkerAfterNextCommit();
    // one group: every command is executed before the flush starts
    const group = STREAM.slice(0, 40).map((c) => pipeline.submit(c));
    const results = await Promise.all(group);
    // the commit landed, its answer was lost: the reopened file shows it, so it is acknowledged
    expect(s.opened.length).toBe(2);
    expect(results.every((r) => r.ok || r.rejection.code !== 'JOURNAL_WRITE_FAILED')).toBe(true);
    const file = s.fileHash();
    expect(file.lastSeq).toBeGreaterThan(startSeq);
    for (const r of results) if (r.ok) for (const e of r.events) expect(file.types[e.seq - 1]).toBe(e.type);
    expect(heard.map((e) => e.seq)).toEqual(
      Array.from({ length: file.lastSeq - startSeq }, (_, i) => startSeq + 1 + i),
    );
    expect(pipeline.engine.stateHash()).toBe(file.hash);
    // and it goes on with the new worker
    const more = await submitInWaves(pipeline, STREAM.slice(40, 120));
    expect(more.some((r) => !r.ok && r.rejection.code === 'JOURNAL_WRITE_FAILED')).toBe(false);
    await pipeline.drain();
    expect(pipeline.engine.stateHash()).toBe(s.fileHash().hash);
    await pipeline.close();
  });

  it('encoding_failing_in_the_middle_of_a_group_refuses_that_command_only_and_memory_stays_the_journal', async () => {
    const s = sqliteStore();
    const pipeline = await CommitPipeline.start(s.opener);
    for (const c of SETUP) expect((await pipeline.submit(c)).ok).toBe(true);
    const add = BatchEncoder.prototype.add;
    let calls = 0;
    // the 25th append of the stream cannot be encoded (out of memory, say): refused whole
    const spy = vi.spyOn(BatchEncoder.prototype, 'add').mockImplementation(function (
      this: BatchEncoder,
      evs,
    ) {
      if (++calls === 25) throw new Error('cannot allocate the batch buffer');
      add.call(this, evs);
    });
    let results: ExecuteResult[];
    try {
      // all in one burst: the failing append sits in the middle of a group
      results = await Promise.all(STREAM.slice(0, 60).map((c) => pipeline.submit(c)));
    } finally {
      spy.mockRestore();
    }
    const failed = results.filter((r) => !r.ok && r.rejection.code === 'JOURNAL_WRITE_FAILED');
    expect(failed.length).toBe(1);
    await pipeline.drain();
    const file = s.fileHash();
    for (const r of results) if (r.ok) for (const e of r.events) expect(file.types[e.seq - 1]).toBe(e.type);
    // the refused command left nothing: memory is the fold of the file
    expect(pipeline.engine.stateHash()).toBe(file.hash);
    expect(s.opened.length).toBe(1);
    await pipeline.close();
  });
});
