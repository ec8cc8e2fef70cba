/**
 * JSON for values holding bigints: a bigint is written as {"$n":"123"}, so no amount
 * ever passes through a JS number and no string is mistaken for one. Used by the
 * engine's events and snapshots and by the oracle state.
 */
export function toJson(value: unknown): string {
  const out = write(value);
  // undefined, a function or a symbol at the top: what JSON.stringify answers for them
  return out === undefined ? JSON.stringify(value, bigintReplacer) : out;
}

const bigintReplacer = (_k: string, v: unknown) => (typeof v === 'bigint' ? { $n: v.toString() } : v);

/**
 * The text `JSON.stringify(value, bigintReplacer)` produces, written without calling a replacer
 * for every key (several times faster on events, which the engine encodes for every command);
 * num/json.test.ts checks the two agree on arbitrary values. undefined when the value is not
 * serialized (undefined, a function, a symbol). Objects with a toJSON method are left to
 * JSON.stringify, which knows its rules.
 */
function write(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      return `{"$n":"${v.toString()}"}`;
    case 'object': {
      if (v === null) return 'null';
      if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return JSON.stringify(v, bigintReplacer);
      if (Array.isArray(v)) {
        let s = '[';
        for (let i = 0; i < v.length; i++) {
          if (i > 0) s += ',';
          s += write(v[i]) ?? 'null';
        }
        return `${s}]`;
      }
      let s = '{';
      let first = true;
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) {
        const x = write(o[k]);
        if (x === undefined) continue;
        s += first ? `${JSON.stringify(k)}:${x}` : `,${JSON.stringify(k)}:${x}`;
        first = false;
      }
      return `${s}}`;
    }
    default:
      return undefined;
  }
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
