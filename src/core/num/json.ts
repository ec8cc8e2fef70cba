/**
 * JSON for values holding bigints: a bigint is written as {"$n":"123"}, so no amount
 * ever passes through a JS number and no string is mistaken for one. Used by the
 * engine's events and snapshots and by the oracle state.
 */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? { $n: v.toString() } : v));
}

export function fromJson<T>(text: string): T {
  return JSON.parse(text, (_k, v) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const keys = Object.keys(v);
      if (keys.length === 1 && keys[0] === '$n' && typeof v.$n === 'string') return BigInt(v.$n);
    }
    return v;
  }) as T;
}
