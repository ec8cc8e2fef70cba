/**
 * Typed arrays carved from one buffer. Every ArrayBuffer counts as external memory, and V8
 * starts marking the whole heap each time external memory grows 64 MB past its level at the
 * last mark-compact: at a million accounts the ~0.25 GB of columns a build allocates one by one
 * start several full marks of a 1.3 GB heap that free nothing. Taken from one allocation they
 * count once — or, shared (BUILD_SHARED below), not at all. Used by the risk book's build
 * (./riskbook.ts `fromState`) and the liquidation bound index's (./liquidation-bound-index.ts
 * `build`).
 */

/**
 * Whether builds carve their arenas from SharedArrayBuffers even when nothing shares them. V8
 * (Node 20, V8 11.3) counts a plain ArrayBuffer's bytes as external memory, and a build's one
 * growth of a few hundred MB still starts a full mark-compact of the heap — at a million
 * accounts a 1.3 GB heap of state, 0.7–2.2 s on the loaded machine (load average 4–9), freeing
 * ~20 MB. A SharedArrayBuffer's backing store is not counted there (measured: with the bound
 * index's two arenas shared, the open of bench/open-profile.ts at a million accounts ran no
 * mark-compact at all). Typed arrays read and write the same on either; a V8 that counted
 * shared memory too would only bring the collection back.
 */
export const BUILD_SHARED = true;

/** Typed-array allocation (plain, shared, or carved from an Arena). */
export interface Alloc {
  f64(n: number): Float64Array;
  i32(n: number): Int32Array;
}

/** Plain typed arrays, each with its own ArrayBuffer. */
export const PLAIN_ALLOC: Alloc = { f64: (n) => new Float64Array(n), i32: (n) => new Int32Array(n) };

/**
 * One buffer carved into the arrays of a build (see the module header). Past its end (and after
 * `close`) it allocates as `base` does; callers size it exactly, so nothing is left over.
 */
export class Arena implements Alloc {
  private buffer: ArrayBuffer | SharedArrayBuffer | undefined;
  private used = 0;
  constructor(
    private readonly base: Alloc,
    shared: boolean,
    bytes: number,
  ) {
    if (bytes > 0) this.buffer = shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
  }
  /** Byte offset of `bytes` more (8-aligned), or undefined when they do not fit. */
  private take(bytes: number): number | undefined {
    if (this.buffer === undefined) return undefined;
    const at = this.used;
    const end = at + Arena.size(bytes);
    if (end > this.buffer.byteLength) return undefined;
    this.used = end;
    return at;
  }
  f64(n: number): Float64Array {
    const at = this.take(n * 8);
    return at === undefined ? this.base.f64(n) : new Float64Array(this.buffer!, at, n);
  }
  i32(n: number): Int32Array {
    const at = this.take(n * 4);
    return at === undefined ? this.base.i32(n) : new Int32Array(this.buffer!, at, n);
  }
  /** Int16 (narrow indices); past the end a plain array, whatever `base` is. */
  i16(n: number): Int16Array {
    const at = this.take(n * 2);
    return at === undefined ? new Int16Array(n) : new Int16Array(this.buffer!, at, n);
  }
  close(): void {
    this.buffer = undefined;
  }
  /** Bytes an array of `bytes` takes in the arena (rounded up to 8). */
  static size(bytes: number): number {
    return Math.ceil(bytes / 8) * 8;
  }
}
