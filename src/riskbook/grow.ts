/**
 * Growing a typed-array column: the risk book's and the bound index's per-scope columns grow by
 * doubling as scopes are added, zero-filled beyond the old length.
 */

type Column = Int32Array | Uint32Array | Uint8Array | Float64Array;

/**
 * `a` itself when it holds n elements; else a copy with room for at least n (doubling, at least
 * 64), zeros after the old elements. Columns of equal length grow to equal lengths.
 */
export function grown<T extends Column>(a: T, n: number): T {
  if (n <= a.length) return a;
  const b = new (a.constructor as new (length: number) => T)(Math.max(n, a.length * 2, 64));
  b.set(a);
  return b;
}
