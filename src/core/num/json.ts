/**
 * JSON for values holding bigints: a bigint is written as {"$n":"123"}, so no amount
 * ever passes through a JS number and no string is mistaken for one. Used by the
 * engine's events and snapshots and by the oracle state.
 */
export function toJson(value: unknown): string {
  const text = write(value);
  // undefined, a function or a symbol at the top: what JSON.stringify answers for them
  if (text === undefined) return JSON.stringify(value, bigintReplacer);
  // The text is built by concatenation, which V8 represents as a tree of cons strings costing
  // ~2× the text's size; events are kept (journal buffers, the in-memory journal) and a retained
  // tree is promoted and traced by every GC. Reading one character flattens the string in
  // place (the tree is released), which is cheaper than building it with an array and join.
  text.charCodeAt(text.length >> 1);
  return text;
}

const bigintReplacer = (_k: string, v: unknown) => (typeof v === 'bigint' ? { $n: v.toString() } : v);

/** Strings JSON.stringify writes as they are, between quotes (nothing to escape, no surrogates). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what JSON escapes
const PLAIN_STRING = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

/**
 * The text `JSON.stringify(value, bigintReplacer)` produces, written without calling a replacer
 * for every key (several times faster on events, which the engine encodes for every command);
 * num/json.test.ts checks the two agree on arbitrary values. Undefined when the value is not
 * serialized (undefined, a function, a symbol). Objects with a toJSON method are left to
 * JSON.stringify, which knows its rules.
 */
function write(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
      return PLAIN_STRING.test(v) ? `"${v}"` : JSON.stringify(v);
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
        let t = '[';
        for (let i = 0; i < v.length; i++) {
          if (i > 0) t += ',';
          t += write(v[i]) ?? 'null';
        }
        return `${t}]`;
      }
      let t = '{';
      let first = true;
      const o = v as Record<string, unknown>;
      // for…in walks the own keys in Object.keys order without allocating their array; the
      // hasOwn check leaves out inherited enumerable keys, as Object.keys does
      for (const k in o) {
        if (!Object.hasOwn(o, k)) continue;
        const member = write(o[k]);
        if (member === undefined) continue; // a member that is not serialized is left out, key included
        if (!first) t += ',';
        t += keyText(k);
        t += member;
        first = false;
      }
      return `${t}}`;
    }
    default:
      return undefined;
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
