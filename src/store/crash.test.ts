/**
 * INV-11 under kill -9: a writer process executes a deterministic command stream against a
 * SQLite journal and acknowledges each command on stdout; the test kills it (SIGKILL) at random
 * moments, restarts it from the last acknowledged command + 1, and at the end checks that the
 * journal opens, INV-01 holds, replay equals a fresh in-memory run of the same commands to the
 * same point, and no acknowledged command is missing from the journal.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from '../../test/cli/run-cli.ts';
import {
  CRASH_STREAM_LENGTH,
  CRASH_STREAM_SEED,
  commandStream,
  mulberry32,
} from '../../test/support/command-stream.ts';
import { assertConserved } from '../../test/support/conservation.ts';
import { newVenue } from '../../test/support/fixtures.ts';
import { decodeEvent } from '../core/engine/codec.ts';
import { Engine } from '../core/engine/engine.ts';
import { SqliteJournal } from './sqlite-journal.ts';

const KILLS = Number(process.env.CRASH_KILLS ?? 20);
const dir = mkdtempSync(join(tmpdir(), 'plimsoll-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts the writer from `from`; kills it `delayMs` after it opened the journal. Returns its acks. */
function runAndKill(
  file: string,
  from: number,
  delayMs: number,
): Promise<{ acks: number[]; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/support/crash-writer.ts', file, String(from)],
      {
        cwd: REPO,
      },
    );
    const acks: number[] = [];
    let buffer = '';
    let stderr = '';
    let killed = false;
    child.stdout.on('data', (d: Buffer) => {
      buffer += String(d);
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        if (line === 'ready') {
          setTimeout(() => {
            killed = child.kill('SIGKILL');
          }, delayMs);
        } else if (line.startsWith('ack ')) acks.push(Number(line.slice(4)));
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal !== 'SIGKILL' && code !== 0) reject(new Error(`writer exited ${code}: ${stderr}`));
      else resolve({ acks, killed: signal === 'SIGKILL' && killed });
    });
  });
}

describe('INV-11 under kill -9', () => {
  it(`a writer killed ${KILLS} times at random moments loses no acknowledged command`, async () => {
    const file = join(dir, 'journal.sqlite');
    const setup = SqliteJournal.open(file);
    newVenue({ journal: setup });
    setup.close();

    const stream = commandStream(CRASH_STREAM_LENGTH, CRASH_STREAM_SEED, { allIds: true });
    const random = mulberry32(2026); // seeded kill delays: a failure can be rerun
    const acknowledged: number[] = [];
    let kills = 0;
    let next = 0;
    while (kills < KILLS) {
      const { acks, killed } = await runAndKill(file, next, Math.floor(random() * 400));
      for (const i of acks) expect(i).toBe(next++); // in order, from where it restarted
      acknowledged.push(...acks);
      if (killed) kills++;
      if (next >= stream.length) break;
    }
    expect(kills).toBeGreaterThanOrEqual(KILLS);
    expect(acknowledged.length).toBeGreaterThan(0);

    // the journal opens (read-only: what a report would do) and INV-01 holds
    const journal = SqliteJournal.open(file, { readOnly: true });
    const recovered = Engine.open(journal);
    assertConserved(recovered.state);

    // which commands reached the journal: their ids are in the markers
    const journaledIds = new Set<string>();
    for (const rec of journal.read(0)) {
      if (rec.type !== 'command_accepted' && rec.type !== 'command_rejected') continue;
      const e = decodeEvent(rec.json);
      if (e.type === 'command_accepted' || e.type === 'command_rejected') journaledIds.add(e.commandId);
    }
    journal.close();
    // no acknowledged command is missing
    const missing = acknowledged.filter((i) => !journaledIds.has(String(stream[i]!.commandId)));
    expect(missing).toEqual([]);

    // replay equals a fresh in-memory run of the same commands to the last journaled one
    let last = -1;
    for (let i = 0; i < stream.length; i++) if (journaledIds.has(`k-${i}`)) last = i;
    const lastNew = Math.max(...acknowledged.filter((i) => stream[i]!.commandId === `k-${i}`));
    expect(last).toBeGreaterThanOrEqual(lastNew); // (a retry's id is its original's)
    const fresh = newVenue();
    for (let i = 0; i <= last; i++) fresh.execute(stream[i]);
    expect(recovered.stateHash()).toBe(fresh.stateHash());
    expect(recovered.state.seq).toBe(fresh.state.seq);
    console.log(
      `crash test: ${kills} kills, ${acknowledged.length} acknowledged commands, ${last + 1} journaled, 0 lost`,
    );
  }, 120_000);
});
