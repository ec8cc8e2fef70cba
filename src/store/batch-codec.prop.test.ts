/**
 * The batch blob (batch-codec.ts) gives back exactly the records it was given — seqs from the
 * row key, types through the dictionary, json byte for byte — and refuses a blob that does not
 * follow its layout instead of reading part of it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BATCH_FORMAT,
  BATCH_FORMAT_DEFLATE,
  BatchEncoder,
  batchCount,
  COMPRESS_MIN_BYTES,
  compressBatch,
  decodeBatch,
  encodeBatch,
} from './batch-codec.ts';
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

  it('a_large_batch_is_stored_deflated_and_read_back_exactly_a_small_one_as_it_is', () => {
    fc.assert(
      fc.property(batch, (events) => {
        const blob = encodeBatch(events);
        const stored = compressBatch(blob);
        if (blob.length < COMPRESS_MIN_BYTES) expect(stored).toBe(blob);
        expect(stored.length).toBeLessThanOrEqual(blob.length);
        expect(decodeBatch(events[0]!.seq, stored)).toEqual(events);
        expect(batchCount(stored)).toBe(events.length);
      }),
      { seed: 1415, numRuns: 200 },
    );
    // a commit group of similar events (numbers differ): many times smaller
    const group = Array.from({ length: 3000 }, (_, i) => ({
      seq: i + 1,
      type: i % 3 === 0 ? 'traded' : 'moved',
      json: `{"type":"moved","from":{"kind":"balance","sub":"trader/${i % 97}"},"to":{"kind":"fees"},"asset":"USDC","amount":{"$n":"${(i * 7919) % 100003}"},"reason":"trading_fee"}`,
    }));
    const stored = compressBatch(encodeBatch(group));
    expect(stored[0]).toBe(BATCH_FORMAT_DEFLATE);
    expect(stored.length * 4).toBeLessThan(encodeBatch(group).length);
    expect(decodeBatch(1, stored)).toEqual(group);
  });

  it('a_corrupt_deflated_batch_is_refused', () => {
    const stored = compressBatch(
      encodeBatch(Array.from({ length: 500 }, (_, i) => ({ seq: i + 1, type: 't', json: `{"i":${i}}` }))),
    );
    expect(stored[0]).toBe(BATCH_FORMAT_DEFLATE);
    const cut = stored.subarray(0, Math.floor(stored.length / 2));
    expect(() => decodeBatch(1, cut)).toThrow(JournalSchemaError);
    const notABatch = Buffer.concat([Buffer.from([BATCH_FORMAT_DEFLATE]), compressBatch(Buffer.alloc(0))]);
    expect(() => decodeBatch(1, notABatch)).toThrow(JournalSchemaError);
  });

  it('the_incremental_encoder_gives_exactly_the_bytes_of_encode_batch_whatever_the_appends', () => {
    // random cuts of the batch into appends, a tiny or no spare buffer (so it grows many times)
    fc.assert(
      fc.property(
        batch,
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 20 }),
        fc.constantFrom(undefined, 0, 1024, 4096),
        (events, cuts, spare) => {
          const encoder = new BatchEncoder(spare === undefined ? undefined : Buffer.alloc(spare, 0xee));
          let at = 0;
          for (let k = 0; at < events.length; k++) {
            const n = cuts[k % cuts.length]!;
            encoder.add(events.slice(at, at + n));
            at += n;
          }
          expect(encoder.count).toBe(events.length);
          const { header, records } = encoder.finish();
          expect(Buffer.concat([header, records]).equals(encodeBatch(events))).toBe(true);
        },
      ),
      { seed: 1416, numRuns: 300 },
    );
  });

  it('the_encoder_is_exact_when_a_text_s_utf8_length_needs_a_wider_prefix_than_its_length', () => {
    // the encoder writes a text after a length prefix as wide as for ASCII and moves it when the
    // UTF-8 bytes need a wider one: lengths around 128 and 16,384 bytes in 1-, 2-, 3- and 4-byte characters
    const char = fc.constantFrom('a', 'é', '€', '😀');
    const around = fc.constantFrom(
      40,
      42,
      43,
      63,
      64,
      65,
      126,
      127,
      128,
      129,
      5461,
      5462,
      8191,
      8192,
      16383,
      16384,
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(char, around, fc.constantFrom('', 'x', 'xé')), { minLength: 1, maxLength: 6 }),
        (parts) => {
          const events = parts.map(([c, n, tail], i) => ({
            seq: i + 1,
            type: 't',
            json: c.repeat(Math.ceil(n / c.length)) + tail,
          }));
          const encoder = new BatchEncoder(Buffer.alloc(1024, 0xee));
          for (const e of events) encoder.add([e]);
          const { header, records } = encoder.finish();
          expect(Buffer.concat([header, records]).equals(encodeBatch(events))).toBe(true);
          expect(decodeBatch(1, Buffer.concat([header, records]))).toEqual(events);
        },
      ),
      { seed: 1417, numRuns: 200 },
    );
  });

  it('an_append_that_fails_part_way_leaves_the_encoder_as_it_was', () => {
    fc.assert(
      fc.property(batch, batch, fc.nat(), (first, second, failAt) => {
        const encoder = new BatchEncoder();
        encoder.add(first);
        // the k-th json of the second append cannot be read (a getter throws): the whole append is refused
        const k = failAt % second.length;
        const poisoned = second.map((e, i) =>
          i === k
            ? {
                type: `${e.type}-new`,
                get json(): string {
                  throw new Error('unreadable');
                },
              }
            : { type: `${e.type}-new`, json: e.json },
        );
        expect(() => encoder.add(poisoned)).toThrow('unreadable');
        expect(encoder.count).toBe(first.length);
        const { header, records } = encoder.finish();
        expect(Buffer.concat([header, records]).equals(encodeBatch(first))).toBe(true);
      }),
      { seed: 1417, numRuns: 200 },
    );
  });

  it('an_empty_encoder_has_no_blob', () => {
    expect(() => new BatchEncoder().finish()).toThrow();
  });
});
