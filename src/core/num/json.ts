/**
 * JSON for values holding bigints: a bigint is written as {"$n":"123"}, so no amount
 * ever passes through a JS number and no string is mistaken for one. Used by the
 * engine's events and snapshots and by the oracle state.
 */
export function toJson(value: unknown): string {
  // One pieces array reused by every call (the engine encodes every event it journals): toJson
  // does not re-enter itself (objects with toJSON go to JSON.stringify).
  const out = pieces;
  out.length = 0;
  // undefined, a function or a symbol at the top: what JSON.stringify answers for them
  if (!write(value, out)) return JSON.stringify(value, bigintReplacer);
  // join, not `+=`: concatenation builds a tree of cons strings (V8) that costs ~6× the
  // text's size until something flattens it; events are kept (journal buffers, the in-memory
  // journal) and a retained tree is promoted and traced by every GC. join gives one flat string.
  const text = out.join('');
  // a snapshot's pieces are not kept alive for the next event
  if (out.length > 4096) pieces = [];
  else out.length = 0;
  return text;
}

let pieces: string[] = [];

const bigintReplacer = (_k: string, v: unknown) => (typeof v === 'bigint' ? { $n: v.toString() } : v);

/**
 * Appends to `out` the text `JSON.stringify(value, bigintReplacer)` produces, written without
 * calling a replacer for every key (several times faster on events, which the engine encodes for
 * every command); num/json.test.ts checks the two agree on arbitrary values. Returns false (and
 * appends nothing) when the value is not serialized (undefined, a function, a symbol). Objects
 * with a toJSON method are left to JSON.stringify, which knows its rules.
 */
function write(v: unknown, out: string[]): boolean {
  switch (typeof v) {
    case 'string':
      out.push(JSON.stringify(v));
      return true;
    case 'number':
      out.push(Number.isFinite(v) ? String(v) : 'null');
      return true;
    case 'boolean':
      out.push(v ? 'true' : 'false');
      return true;
    case 'bigint':
      out.push('{"$n":"', v.toString(), '"}');
      return true;
    case 'object': {
      if (v === null) {
        out.push('null');
        return true;
      }
      if (typeof (v as { toJSON?: unknown }).toJSON === 'function') {
        const text: string | undefined = JSON.stringify(v, bigintReplacer);
        if (text === undefined) return false;
        out.push(text);
        return true;
      }
      if (Array.isArray(v)) {
        out.push('[');
        for (let i = 0; i < v.length; i++) {
          if (i > 0) out.push(',');
          if (!write(v[i], out)) out.push('null');
        }
        out.push(']');
        return true;
      }
      out.push('{');
      let first = true;
      const o = v as Record<string, unknown>;
      // for…in walks the own keys in Object.keys order without allocating their array; the
      // hasOwn check leaves out inherited enumerable keys, as Object.keys does
      for (const k in o) {
        if (!Object.hasOwn(o, k)) continue;
        const at = out.length;
        if (!first) out.push(',');
        out.push(keyText(k));
        if (!write(o[k], out)) {
          out.length = at; // a member that is not serialized is left out, key included
          continue;
        }
        first = false;
      }
      out.push('}');
      return true;
    }
    default:
      return false;
  }
}

/** `"key":` per key already written (event and state field names recur on every event). */
const keyTexts = new Map<string, string>();
/** Bounded: keys that are data (market ids in a prices command) are not all kept. */
const MAX_KEY_TEXTS = 4096;

function keyText(k: string): string {
  let t = keyTexts.get(k);
  if (t === undefined) {
    t = `${JSON.stringify(k)}:`;
    if (keyTexts.size < MAX_KEY_TEXTS) keyTexts.set(k, t);
  }
  return t;
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
