/**
 * The SQLite journal's batch record: every event of one append (one command, or a whole
 * commit group) in ONE blob, so a group costs one row — one B-tree insert — instead of one
 * row per event. Seqs are not stored per event: a batch holds the contiguous events
 * `firstSeq … firstSeq + count − 1`, and the row's key is `firstSeq`.
 *
 * Layout (all integers are unsigned LEB128 varints, strings UTF-8):
 *
 *   byte 0            format = 1
 *   varint            count (events in the batch, ≥ 1)
 *   varint            types (distinct event types, ≥ 1)
 *   types × (varint byteLength, bytes)          the type dictionary, in first-seen order
 *   count × (varint typeIndex, varint byteLength, bytes)   each event's type and json
 *
 * The type dictionary is what makes it compact beyond dropping the seqs: a group of 6,000
 * fills repeats two or three type names 18,000 times.
 *
 * A large batch is stored deflated: byte 0 = 2, then the raw-deflate stream of the whole
 * format-1 blob (`compressBatch`, zlib level 1). Events are repetitive JSON, so a commit group
 * shrinks many times over; without it a durable group commit on a cloud disk is bound by the
 * bytes it writes (twice: WAL, then checkpoint), not by the engine. The commit worker compresses
 * off the engine's thread; readers inflate transparently. The json texts are the engine's, byte
 * for byte (the store stays opaque: it never parses them), so decoding gives back exactly the
 * strings that were appended. A blob that does not follow the layout is refused with
 * JournalSchemaError (a corrupt or foreign row), never half-read.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { JournalSchemaError, type StoredEvent } from './journal.ts';

/** The first byte of every batch blob; a new layout gets a new number. */
export const BATCH_FORMAT = 1;
/** First byte of a deflated batch: the rest is a raw-deflate stream of a format-1 blob. */
export const BATCH_FORMAT_DEFLATE = 2;
/** Batches smaller than this are stored as they are (deflate would save little there). */
export const COMPRESS_MIN_BYTES = 4096;
/** A deflated batch never inflates beyond this (a corrupt row cannot exhaust memory). */
const MAX_BATCH_BYTES = 1 << 30;

/**
 * The blob to store for an encoded batch: deflated (format 2) when it is large and that makes it
 * smaller, else the blob itself. The commit worker (sqlite-commit-worker.ts) applies the same rule
 * in its own thread.
 */
export function compressBatch(blob: Buffer): Buffer {
  if (blob.length < COMPRESS_MIN_BYTES || blob[0] !== BATCH_FORMAT) return blob;
  const z = deflateRawSync(blob, { level: 1 });
  if (z.length + 1 >= blob.length) return blob;
  return Buffer.concat([Buffer.from([BATCH_FORMAT_DEFLATE]), z]);
}

/** A stored blob as a format-1 blob (inflating a deflated one). */
function plain(blob: Uint8Array, bad: (why: string) => never): Buffer {
  const buf = Buffer.isBuffer(blob) ? blob : Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  if (buf[0] !== BATCH_FORMAT_DEFLATE) return buf;
  let out: Buffer;
  try {
    out = inflateRawSync(buf.subarray(1), { maxOutputLength: MAX_BATCH_BYTES });
  } catch (err) {
    return bad(`cannot inflate: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (out[0] !== BATCH_FORMAT) bad('a deflated batch must hold a format-1 batch');
  return out;
}

/** Encodes `events` (non-empty, validated by the caller) into one blob. */
export function encodeBatch(events: readonly StoredEvent[]): Buffer {
  const typeIndex = new Map<string, number>();
  const types: string[] = [];
  const idx = new Array<number>(events.length);
  const lens = new Array<number>(events.length);
  let size = 1 + varintSize(events.length);
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    let t = typeIndex.get(e.type);
    if (t === undefined) {
      t = types.length;
      typeIndex.set(e.type, t);
      types.push(e.type);
    }
    idx[i] = t;
    const n = Buffer.byteLength(e.json, 'utf8');
    lens[i] = n;
    size += varintSize(t) + varintSize(n) + n;
  }
  const typeLens = types.map((t) => Buffer.byteLength(t, 'utf8'));
  size += varintSize(types.length);
  for (const n of typeLens) size += varintSize(n) + n;

  // its own ArrayBuffer (never the shared pool's), so a commit worker can take it without a copy
  const buf = Buffer.allocUnsafeSlow(size);
  buf[0] = BATCH_FORMAT;
  let off = writeVarint(buf, 1, events.length);
  off = writeVarint(buf, off, types.length);
  for (let t = 0; t < types.length; t++) {
    off = writeVarint(buf, off, typeLens[t]!);
    off += buf.write(types[t]!, off, 'utf8');
  }
  for (let i = 0; i < events.length; i++) {
    off = writeVarint(buf, off, idx[i]!);
    off = writeVarint(buf, off, lens[i]!);
    off += buf.write(events[i]!.json, off, 'utf8');
  }
  if (off !== size) throw new Error(`batch encoding wrote ${off} bytes, expected ${size}`);
  return buf;
}

/**
 * Builds a batch blob one append at a time, so each event's json is copied out while the engine
 * has just built it (its text is still in the CPU's cache) instead of in one pass over the whole
 * group at flush, when the group's strings — many small pieces each — have gone cold. The event
 * records go into a growing byte buffer as they arrive; `finish` returns the header (format,
 * count, type dictionary) and that buffer, whose concatenation is exactly `encodeBatch` of the
 * same events (batch-codec.prop.test.ts checks it byte for byte).
 *
 * `add` is all or nothing: an event that cannot be encoded leaves the encoder as it was before
 * that call, so it always holds exactly the events its owner accepted.
 */
export class BatchEncoder {
  private buf: Buffer;
  private used = 0;
  private events = 0;
  private readonly typeIndex = new Map<string, number>();
  private readonly types: string[] = [];

  /** `spare`: a buffer to write into (one a commit worker handed back), else a new one. */
  constructor(spare?: Buffer) {
    this.buf = spare !== undefined && spare.length >= 1024 ? spare : Buffer.allocUnsafeSlow(64 * 1024);
  }

  /** Events added so far. */
  get count(): number {
    return this.events;
  }

  /** Appends the records of `events` (in order); on a throw nothing of this call was added. */
  add(events: readonly { readonly type: string; readonly json: string }[]): void {
    const used = this.used;
    const count = this.events;
    const types = this.types.length;
    try {
      for (let i = 0; i < events.length; i++) this.addOne(events[i]!.type, events[i]!.json);
    } catch (err) {
      this.used = used;
      this.events = count;
      for (const t of this.types.splice(types)) this.typeIndex.delete(t);
      throw err;
    }
  }

  /**
   * The blob as two parts, header then records (`Buffer.concat([header, records])` is the
   * blob); the records buffer is this encoder's own (its ArrayBuffer holds nothing else, so it
   * can be transferred to a worker). Call once, with at least one event added.
   */
  finish(): { header: Buffer; records: Buffer } {
    if (this.events === 0) throw new Error('an empty batch has no blob');
    const typeLens = this.types.map((t) => Buffer.byteLength(t, 'utf8'));
    let size = 1 + varintSize(this.events) + varintSize(this.types.length);
    for (const n of typeLens) size += varintSize(n) + n;
    const header = Buffer.allocUnsafeSlow(size);
    header[0] = BATCH_FORMAT;
    let off = writeVarint(header, 1, this.events);
    off = writeVarint(header, off, this.types.length);
    for (let t = 0; t < this.types.length; t++) {
      off = writeVarint(header, off, typeLens[t]!);
      off += header.write(this.types[t]!, off, 'utf8');
    }
    return { header, records: this.buf.subarray(0, this.used) };
  }

  private addOne(type: string, json: string): void {
    let t = this.typeIndex.get(type);
    if (t === undefined) {
      t = this.types.length;
      this.typeIndex.set(type, t);
      this.types.push(type);
    }
    // One pass over the text instead of two (measuring its UTF-8 length, then writing it): room
    // for the worst case (a UTF-16 unit is at most 3 bytes), the text written where its length
    // prefix ends if the text is ASCII, and moved when it turned out longer (a wider prefix).
    const max = json.length * 3;
    this.reserve(varintSize(t) + varintSize(max) + max);
    const start = writeVarint(this.buf, this.used, t);
    const guess = varintSize(json.length);
    const n = this.buf.write(json, start + guess, max, 'utf8');
    const width = varintSize(n);
    if (width !== guess) this.buf.copyWithin(start + width, start + guess, start + guess + n);
    writeVarint(this.buf, start, n);
    this.used = start + width + n;
    this.events += 1;
  }

  private reserve(bytes: number): void {
    const need = this.used + bytes;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const grown = Buffer.allocUnsafeSlow(size);
    this.buf.copy(grown, 0, 0, this.used);
    this.buf = grown;
  }
}

/** The events of a batch blob whose first event has seq `firstSeq`. */
export function decodeBatch(firstSeq: number, blob: Uint8Array): StoredEvent[] {
  const bad = (why: string): never => {
    throw new JournalSchemaError(`journal batch at seq ${firstSeq} is malformed: ${why}`);
  };
  const buf = plain(blob, bad);
  if (buf.length < 1 || buf[0] !== BATCH_FORMAT) bad(`unknown batch format ${buf[0] ?? 'none'}`);
  const pos = { off: 1 };
  const count = readVarint(buf, pos, bad);
  const nTypes = readVarint(buf, pos, bad);
  if (count < 1 || nTypes < 1 || nTypes > count) bad(`${count} events with ${nTypes} types`);
  const types = new Array<string>(nTypes);
  for (let t = 0; t < nTypes; t++) types[t] = readString(buf, pos, bad);
  const out = new Array<StoredEvent>(count);
  for (let i = 0; i < count; i++) {
    const t = readVarint(buf, pos, bad);
    if (t >= nTypes) bad(`type index ${t} of ${nTypes}`);
    out[i] = { seq: firstSeq + i, type: types[t]!, json: readString(buf, pos, bad) };
  }
  if (pos.off !== buf.length) bad(`${buf.length - pos.off} trailing bytes`);
  return out;
}

/** The number of events in a batch blob, read from its header. */
export function batchCount(blob: Uint8Array): number {
  const bad = (why: string): never => {
    throw new JournalSchemaError(`journal batch is malformed: ${why}`);
  };
  const buf = plain(blob, bad);
  if (buf[0] !== BATCH_FORMAT) bad(`unknown batch format ${buf[0] ?? 'none'}`);
  return readVarint(buf, { off: 1 }, bad);
}

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}

function writeVarint(buf: Buffer, off: number, n: number): number {
  while (n >= 0x80) {
    buf[off++] = (n % 0x80) | 0x80;
    n = Math.floor(n / 0x80);
  }
  buf[off++] = n;
  return off;
}

/** A varint up to 2^49 (far beyond any length or count here); anything longer is malformed. */
function readVarint(buf: Buffer, pos: { off: number }, bad: (why: string) => never): number {
  let n = 0;
  let scale = 1;
  for (let k = 0; k < 7; k++) {
    if (pos.off >= buf.length) bad('truncated');
    const b = buf[pos.off++]!;
    n += (b & 0x7f) * scale;
    if (b < 0x80) return n;
    scale *= 0x80;
  }
  return bad('varint too long');
}

function readString(buf: Buffer, pos: { off: number }, bad: (why: string) => never): string {
  const n = readVarint(buf, pos, bad);
  const end = pos.off + n;
  if (end > buf.length) bad('truncated');
  const s = buf.toString('utf8', pos.off, end);
  pos.off = end;
  return s;
}
