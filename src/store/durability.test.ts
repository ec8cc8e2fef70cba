/**
 * INV-11 (docs/invariants.md): the engine never runs ahead of its journal. A command is
 * acknowledged only after its append; a failed append leaves the state exactly as before the
 * command (rebuilt from the journal), or halts the engine until it is reopened.
 * INV-12: one writer per journal file.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO } from '../../test/cli/run-cli.ts';
import { commandStream } from '../../test/support/command-stream.ts';
import { FaultyJournal } from '../../test/support/faulty-journal.ts';
import { newVenue } from '../../test/support/fixtures.ts';
import { Engine, type ExecuteResult } from '../core/engine/engine.ts';
import { JournalLockedError, JournalReadOnlyError } from './journal.ts';
import { SqliteJournal, writerLockPath } from './sqlite-journal.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'plimsoll-durable-'));
  dirs.push(dir);
  return join(dir, 'journal.sqlite');
}

const STREAM = commandStream(60, 7);

/** Hash of a fresh in-memory engine fed the stream without the commands at `skip`. */
function referenceHash(upTo: number, skip: ReadonlySet<number>): string {
  const e = newVenue();
  for (let i = 0; i < upTo; i++) if (!skip.has(i)) e.execute(STREAM[i]);
  return e.stateHash();
}

describe('INV-11 fail-stop, write-ahead: a failed append leaves the state as before the command', () => {
  it('for every k, failing the k-th append: same hash as an engine that never saw that command; reopening agrees', () => {
    // how many appends a clean run of the stream makes
    const counter = new FaultyJournal();
    const e0 = newVenue({ journal: counter });
    const base = counter.appends;
    for (const c of STREAM) e0.execute(c);
    const total = counter.appends - base;
    expect(total).toBeGreaterThan(30);
    for (let k = 1; k <= total; k++) {
      const journal = new FaultyJournal();
      const engine = newVenue({ journal });
      journal.failIn(k);
      let failedAt = -1;
      const listenFrom = journal.lastSeq();
      const heard: number[] = [];
      engine.onEvents((evs) => heard.push(...evs.map((e) => e.seq)));
      for (const [i, c] of STREAM.entries()) {
        const before = engine.stateHash();
        const r: ExecuteResult = engine.execute(c);
        if (!r.ok && r.rejection.code === 'JOURNAL_WRITE_FAILED') {
          failedAt = i;
          expect(engine.stateHash()).toBe(before); // exactly as before the command
        }
      }
      expect(failedAt, `k=${k}`).toBeGreaterThanOrEqual(0);
      expect(engine.halted).toBeUndefined();
      expect(engine.stateHash(), `k=${k}`).toBe(referenceHash(STREAM.length, new Set([failedAt])));
      expect(Engine.open(journal).stateHash(), `k=${k}`).toBe(engine.stateHash());
      // listeners heard exactly the journaled events
      expect(heard).toEqual([...journal.read(listenFrom)].map((e) => e.seq));
    }
  });

  it('an append that throws after its batch reached the journal is acknowledged (the journal decides)', () => {
    const journal = new FaultyJournal();
    const engine = newVenue({ journal });
    journal.mode = 'after';
    journal.failIn(1);
    const r = engine.execute({ type: 'deposit', to: { account: 'x' }, asset: 'USDC', amount: '5' });
    expect(r.ok).toBe(true);
    expect(engine.state.subaccounts.get('x/0')?.balances.get('USDC')).toBe(5_000_000n);
    expect(Engine.open(journal).stateHash()).toBe(engine.stateHash());
  });

  it('when the journal cannot be read back either, the engine halts: ENGINE_HALTED until reopened', () => {
    const journal = new FaultyJournal();
    const engine = newVenue({ journal });
    const hashBefore = engine.stateHash();
    const seqBefore = journal.lastSeq();
    journal.failIn(1);
    journal.failReads = true;
    const r = engine.execute({ type: 'deposit', to: { account: 'x' }, asset: 'USDC', amount: '5' });
    expect(r).toMatchObject({ ok: false, rejection: { code: 'ENGINE_HALTED' } });
    expect(engine.halted).toMatch(/disk full/);
    journal.failReads = false;
    for (const c of STREAM.slice(0, 5)) {
      expect(engine.execute(c)).toMatchObject({ ok: false, rejection: { code: 'ENGINE_HALTED' } });
    }
    expect(() => engine.executeOrThrow(STREAM[0])).toThrow(/ENGINE_HALTED/);
    expect(journal.lastSeq()).toBe(seqBefore); // nothing was written after the failure
    const reopened = Engine.open(journal);
    expect(reopened.stateHash()).toBe(hashBefore);
    expect(reopened.execute({ type: 'deposit', to: { account: 'x' }, asset: 'USDC', amount: '5' }).ok).toBe(
      true,
    );
  });

  it('a real SQLite file locked by another connection: the command fails, memory is unchanged, later commands work', () => {
    const file = tempFile();
    const journal = SqliteJournal.open(file, { busyTimeoutMs: 20 });
    const engine = newVenue({ journal });
    engine.executeOrThrow({ type: 'deposit', to: { account: 'x' }, asset: 'USDC', amount: '100' });
    const before = engine.stateHash();
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE'); // holds the write lock (a backup tool, a stray sqlite3 shell)
    const t0 = performance.now();
    const r = engine.execute({ type: 'deposit', to: { account: 'x' }, asset: 'USDC', amount: '50' });
    expect(performance.now() - t0).toBeLessThan(2_000);
    expect(r).toMatchObject({ ok: false, rejection: { code: 'JOURNAL_WRITE_FAILED' } });
    expect((r as { rejection: { message: string } }).rejection.message).toMatch(/locked|busy/i);
    expect(engine.stateHash()).toBe(before);
    expect(engine.state.subaccounts.get('x/0')?.balances.get('USDC')).toBe(100_000_000n);
    // the withdrawal that followed in the field report: refused against the true balance
    expect(
      engine.execute({ type: 'withdraw', from: { account: 'x' }, asset: 'USDC', amount: '150' }),
    ).toMatchObject({
      ok: false,
    });
    other.exec('ROLLBACK');
    other.close();
    engine.executeOrThrow({ type: 'withdraw', from: { account: 'x' }, asset: 'USDC', amount: '97' });
    expect(engine.state.subaccounts.get('x/0')?.balances.get('USDC')).toBe(3_000_000n);
    const hash = engine.stateHash();
    journal.close();
    const reopened = SqliteJournal.open(file);
    expect(Engine.open(reopened).stateHash()).toBe(hash);
    reopened.close();
  });
});

describe('INV-12 one writer per journal', () => {
  it('a second writer in the same process fails at once with JournalLockedError and changes nothing', () => {
    const file = tempFile();
    const first = SqliteJournal.open(file);
    const engine = newVenue({ journal: first });
    const hash = engine.stateHash();
    const t0 = performance.now();
    expect(() => SqliteJournal.open(file)).toThrow(JournalLockedError);
    expect(performance.now() - t0).toBeLessThan(1_000);
    // readers are still welcome, and see the writer's events
    const reader = SqliteJournal.open(file, { readOnly: true });
    expect(Engine.open(reader).stateHash()).toBe(hash);
    expect(() => reader.append([{ seq: reader.lastSeq() + 1, type: 'x', json: '{}' }])).toThrow(
      JournalReadOnlyError,
    );
    const readOnlyEngine = Engine.open(reader);
    expect(readOnlyEngine.execute(commandStream(1, 3)[0])).toMatchObject({
      ok: false,
      rejection: { code: 'JOURNAL_WRITE_FAILED' },
    });
    expect(readOnlyEngine.stateHash()).toBe(hash);
    reader.close();
    engine.executeOrThrow({ type: 'deposit', to: { account: 'x' }, asset: 'USDC', amount: '1' });
    first.close();
    // released on close: the next writer gets it
    const second = SqliteJournal.open(file);
    expect(Engine.open(second).state.subaccounts.get('x/0')?.balances.get('USDC')).toBe(1_000_000n);
    second.close();
  });

  it('two processes racing to open the same file: exactly one wins, the loser changes nothing', async () => {
    const file = tempFile();
    // Each child starts, says READY, waits for GO on stdin, then opens: both open at once. The
    // winner keeps its lock until END, sent once both have answered, so a slow loser cannot
    // open after the winner has closed.
    const script = `
      import { SqliteJournal } from './src/store/sqlite-journal.ts';
      import { Engine } from './src/core/engine/engine.ts';
      import { venueConfig } from './test/support/fixtures.ts';
      const [file, who] = process.argv.slice(-2);
      console.log('READY');
      process.stdin.once('data', () => {
        let journal;
        try { journal = SqliteJournal.open(file); } catch (e) { console.log('LOST ' + e.name); process.exit(0); }
        const engine = journal.lastSeq() === 0 ? Engine.create(venueConfig(), { journal }) : Engine.open(journal);
        for (let i = 0; i < 100; i++) engine.executeOrThrow({ type: 'deposit', to: { account: who }, asset: 'USDC', amount: '1' });
        console.log('WON ' + engine.state.seq);
        // hold the lock until the test has heard from both processes (however slow the machine)
        process.stdin.once('data', () => { journal.close(); process.exit(0); });
      });
    `;
    const children = ['p1', 'p2'].map((who) =>
      spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, file, who], {
        cwd: REPO,
      }),
    );
    const outputs = children.map(
      (p) =>
        new Promise<string>((resolve) => {
          let out = '';
          p.stdout.on('data', (d) => (out += d));
          p.stderr.on('data', (d) => (out += d));
          p.on('close', () => resolve(out));
        }),
    );
    await Promise.all(
      children.map(
        (p) =>
          new Promise<void>((resolve) =>
            p.stdout.on('data', (d) => String(d).includes('READY') && resolve()),
          ),
      ),
    );
    const answered = children.map(
      (p) =>
        new Promise<void>((resolve) => {
          let out = '';
          p.stdout.on('data', (d) => {
            out += String(d);
            if (out.includes('WON') || out.includes('LOST')) resolve();
          });
          p.on('close', () => resolve());
        }),
    );
    for (const p of children) p.stdin.write('GO\n');
    await Promise.all(answered);
    for (const p of children) {
      p.stdin.on('error', () => {}); // the loser may have exited already
      if (p.exitCode === null) p.stdin.write('END\n');
    }
    const outs = await Promise.all(outputs);
    const winners = outs.filter((o) => o.includes('WON'));
    const losers = outs.filter((o) => o.includes('LOST JournalLockedError'));
    expect(winners.length, outs.join(' | ')).toBe(1);
    expect(losers.length, outs.join(' | ')).toBe(1);
    const journal = SqliteJournal.open(file);
    const engine = Engine.open(journal); // the journal stays openable
    const holders = [...engine.state.subaccounts.values()];
    expect(holders.length).toBe(1); // only the winner's deposits
    expect(holders[0]!.balances.get('USDC')).toBe(100_000_000n);
    expect(journal.lastSeq()).toBe(engine.state.seq);
    journal.close();
  }, 60_000);

  it('a lock held by a live process blocks; the lock of a killed process is released by the OS', async () => {
    const file = tempFile();
    SqliteJournal.open(file).close();
    const holder = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `import { SqliteJournal } from './src/store/sqlite-journal.ts';
         SqliteJournal.open(process.argv.at(-1)); console.log('HOLDING'); setInterval(() => {}, 1000);`,
        file,
      ],
      { cwd: REPO },
    );
    await new Promise<void>((resolve) =>
      holder.stdout.on('data', (d) => String(d).includes('HOLDING') && resolve()),
    );
    expect(() => SqliteJournal.open(file)).toThrow(JournalLockedError);
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.on('close', resolve));
    const j = SqliteJournal.open(file);
    expect(j.lastSeq()).toBe(0);
    j.close();
    expect(writerLockPath(file)).toMatch(/writer-lock$/);
  }, 60_000);
});
