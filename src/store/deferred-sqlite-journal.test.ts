/**
 * The SQLite group commit encodes each append into the group's batch buffer at once
 * (BatchEncoder): what reaches the file must be exactly the events buffered when the flush ran —
 * never bytes of an append that was refused, of a group that was discarded, or left over in a
 * reused buffer from an earlier group.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DeferredSqliteJournal } from './deferred-sqlite-journal.ts';
import type { StoredEvent } from './journal.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function file(): string {
  const dir = mkdtempSync(join(tmpdir(), 'plimsoll-staged-'));
  dirs.push(dir);
  return join(dir, 'journal.sqlite');
}

const ev = (seq: number, tag: string, size = 1): StoredEvent => ({
  seq,
  type: seq % 3 === 0 ? 'moved' : 'traded',
  json: `{"seq":${seq},"tag":"${tag}","pad":"${'é€😀'.repeat(size)}"}`,
});

function fileEvents(path: string): StoredEvent[] {
  const j = DeferredSqliteJournal.open(path, { readOnly: true });
  try {
    return [...j.read()].map((e) => ({ seq: e.seq, type: e.type, json: e.json }));
  } finally {
    j.close();
  }
}

describe('DeferredSqliteJournal staged encoding', () => {
  it('discarded_appends_never_reach_the_file', async () => {
    const path = file();
    const j = DeferredSqliteJournal.open(path, { durable: true });
    expect(j.commitsInWorker).toBe(true);
    j.append([ev(1, 'kept'), ev(2, 'kept')]);
    await j.flush();
    j.append([ev(3, 'dropped'), ev(4, 'dropped')]);
    j.discardPending();
    j.append([ev(3, 'new')]);
    await j.flush();
    await j.closeAsync();
    expect(fileEvents(path)).toEqual([ev(1, 'kept'), ev(2, 'kept'), ev(3, 'new')]);
  });

  it('a_refused_append_stages_nothing_and_later_groups_are_exact', async () => {
    const path = file();
    const j = DeferredSqliteJournal.open(path, { durable: true });
    j.append([ev(1, 'a')]);
    let reads = 0;
    const poisoned = {
      seq: 3,
      type: 'traded',
      // validation reads it once; the encoder's read fails (the append is refused whole)
      get json(): string {
        if (++reads > 1) throw new Error('unreadable');
        return '{}';
      },
    };
    expect(() => j.append([ev(2, 'b'), poisoned])).toThrow('unreadable');
    expect(j.lastSeq()).toBe(1);
    j.append([ev(2, 'c')]);
    await j.flush();
    await j.closeAsync();
    expect(fileEvents(path)).toEqual([ev(1, 'a'), ev(2, 'c')]);
  });

  it('a_big_group_then_small_ones_reuse_the_buffer_without_leftovers', async () => {
    const path = file();
    const j = DeferredSqliteJournal.open(path, { durable: true });
    const all: StoredEvent[] = [];
    let seq = 0;
    for (const [n, size] of [
      [3000, 30],
      [2, 1],
      [500, 200],
      [1, 0],
      [40, 5],
    ] as const) {
      const group = Array.from({ length: n }, () => ev(++seq, `g${n}`, size));
      j.append(group);
      all.push(...group);
      await j.flush();
    }
    await j.closeAsync();
    expect(fileEvents(path)).toEqual(all);
  });
});
