/**
 * The batch blob (batch-codec.ts) gives back exactly the records it was given — seqs from the
 * row key, types through the dictionary, json byte for byte — and refuses a blob that does not
 * follow its layout instead of reading part of it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BATCH_FORMAT, batchCount, decodeBatch, encodeBatch } from './batch-codec.ts';
import { JournalSchemaError, type StoredEvent } from './journal.ts';

/** Well-formed Unicode (what SQLite's TEXT columns kept too): no lone surrogates. */
const text = fc.string({ unit: 'grapheme', maxLength: 300 });

const batch = fc
  .tuple(
    fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER - 400 }),
    fc.array(fc.tuple(fc.constantFrom('traded', 'moved', 'command_accepted', 'é', 'x'.repeat(200)), text), {
      minLength: 1,
      maxLength: 200,
    }),
  )
  .map(([first, rows]): StoredEvent[] => rows.map(([type, json], i) => ({ seq: first + i, type, json })));

describe('batch codec', () => {
  it('round_trips_any_batch_exactly', () => {
    fc.assert(
      fc.property(batch, (events) => {
        const blob = encodeBatch(events);
        expect(blob[0]).toBe(BATCH_FORMAT);
        expect(batchCount(blob)).toBe(events.length);
        expect(decodeBatch(events[0]!.seq, blob)).toEqual(events);
      }),
      { seed: 1414, numRuns: 300 },
    );
  });

  it('a_long_json_needs_a_multi_byte_length_and_still_round_trips', () => {
    const events = [
      { seq: 7, type: 'big', json: 'a'.repeat(300_000) },
      { seq: 8, type: 'small', json: '' },
    ];
    expect(decodeBatch(7, encodeBatch(events))).toEqual(events);
  });

  it('a_type_dictionary_makes_repeated_types_cost_one_byte', () => {
    const events = Array.from({ length: 1000 }, (_, i) => ({
      seq: i + 1,
      type: 'command_accepted',
      json: '{}',
    }));
    // per event: type index (1) + length (1) + json (2); the name once
    expect(encodeBatch(events).length).toBeLessThan(1000 * 4 + 40);
  });

  it('refuses_truncated_foreign_or_padded_blobs', () => {
    const blob = encodeBatch([
      { seq: 1, type: 'a', json: '{"x":1}' },
      { seq: 2, type: 'b', json: '{"y":2}' },
    ]);
    for (let cut = 0; cut < blob.length; cut++) {
      expect(() => decodeBatch(1, blob.subarray(0, cut))).toThrow(JournalSchemaError);
    }
    expect(() => decodeBatch(1, Buffer.concat([blob, Buffer.from([0])]))).toThrow(/trailing/);
    const foreign = Buffer.from(blob);
    foreign[0] = 99;
    expect(() => decodeBatch(1, foreign)).toThrow(/unknown batch format 99/);
  });
});
