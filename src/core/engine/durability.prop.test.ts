/**
 * INV-11 and INV-13 over random command streams (docs/invariants.md): appends fail at random
 * points, clients retry with command ids. After every stream the engine's state equals that of
 * an engine that never saw the commands whose append failed, the journal replays to it, and
 * every acknowledged command's events are in the journal at the seqs the engine returned.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { commandStream } from '../../../test/support/command-stream.ts';
import { assertConserved } from '../../../test/support/conservation.ts';
import { FaultyJournal } from '../../../test/support/faulty-journal.ts';
import { newVenue } from '../../../test/support/fixtures.ts';
import { maxSteps, propRuns } from '../../../test/support/prop.ts';
import { encodeEvent } from './codec.ts';
import { Engine } from './engine.ts';
import type { EngineEvent, Sequenced } from './events.ts';

const strip = ({ seq: _seq, ...e }: Sequenced): EngineEvent => e as EngineEvent;

describe('INV-11/13 under random append faults and retries', () => {
  it('the state is always the fold of the journal, and a retried id is applied once', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 10, max: maxSteps(80) }),
        fc.uniqueArray(fc.integer({ min: 1, max: maxSteps(80) }), { maxLength: 8 }),
        fc.constantFrom('before' as const, 'after' as const),
        (seed, length, failAt, mode) => {
          const stream = commandStream(length, seed);
          const journal = new FaultyJournal();
          const engine = newVenue({ journal });
          journal.mode = mode;
          for (const k of failAt) journal.failIn(k);
          const heard: Sequenced[] = [];
          engine.onEvents((evs) => heard.push(...evs));
          const reference = newVenue();
          for (const c of stream) {
            const r = engine.execute(c);
            if (!r.ok && r.rejection.code === 'JOURNAL_WRITE_FAILED') continue; // never happened
            reference.execute(c);
            if (r.ok) {
              for (const e of r.events) {
                const rec = [...journal.read(e.seq - 1)][0]!;
                expect(rec.seq).toBe(e.seq);
                expect(rec.json).toBe(encodeEvent(strip(e)));
              }
            }
          }
          expect(engine.halted).toBeUndefined();
          expect(engine.stateHash()).toBe(reference.stateHash());
          expect(Engine.open(journal).stateHash()).toBe(engine.stateHash());
          assertConserved(engine.state);
          const listenedFrom = heard[0]?.seq ?? journal.lastSeq() + 1;
          expect(heard.map((e) => e.seq)).toEqual([...journal.read(listenedFrom - 1)].map((e) => e.seq));
        },
      ),
      { numRuns: propRuns(40, 0.05) },
    );
  });
});
