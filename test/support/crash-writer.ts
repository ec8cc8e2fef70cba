/**
 * The writer process of the crash test (src/store/crash.test.ts): opens the SQLite
 * journal at argv[2], then executes the deterministic command stream from index argv[3] on and
 * writes `ack <index>` to stdout (synchronously) after each command's outcome was returned. The
 * test kills it with SIGKILL at random moments and starts it again from the last acknowledged
 * index + 1; every command carries a command id, so one journaled but not acknowledged before the
 * kill is answered from the journal, not applied twice.
 */
import { writeSync } from 'node:fs';
import { Engine } from '../../src/core/engine/engine.ts';
import { SqliteJournal } from '../../src/store/sqlite-journal.ts';
import { CRASH_STREAM_LENGTH, CRASH_STREAM_SEED, commandStream } from './command-stream.ts';

/**
 * Writes a whole line synchronously. stdout is a non-blocking pipe: when the parent is slow to
 * read (a loaded machine), writeSync fails with EAGAIN or writes part of the line; wait 1 ms
 * and write the rest, so an `ack` is out before the next command starts.
 */
const pause = new Int32Array(new SharedArrayBuffer(4));
function writeLine(fd: number, text: string): void {
  let rest = Buffer.from(text);
  while (rest.length > 0) {
    try {
      rest = rest.subarray(writeSync(fd, rest));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}

const [file, fromText] = process.argv.slice(2);
const journal = SqliteJournal.open(file!);
const engine = Engine.open(journal); // the test created the venue before the first start
writeLine(1, 'ready\n');
const stream = commandStream(CRASH_STREAM_LENGTH, CRASH_STREAM_SEED, { allIds: true });
for (let i = Number(fromText); i < stream.length; i++) {
  const r = engine.execute(stream[i]);
  if (!r.ok && (r.rejection.code === 'JOURNAL_WRITE_FAILED' || r.rejection.code === 'ENGINE_HALTED')) {
    writeLine(2, `${r.rejection.code}: ${r.rejection.message}\n`);
    process.exit(2);
  }
  writeLine(1, `ack ${i}\n`);
}
journal.close();
writeLine(1, 'done\n');
