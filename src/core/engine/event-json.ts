/**
 * The JSON text of the events every fill emits ('traded', 'moved'), written by a fixed template
 * instead of the generic bigint-safe writer (num/json.ts): the generic writer looks up every
 * key, tests every value's type and recurses, which was about a fifth of a fill's CPU time.
 *
 * The text must be byte-identical to `toJson(event)` (journals are hashed, and replay decodes
 * it), so the template is used only when the event is exactly the shape it writes: its own
 * enumerable keys, in order, are the template's keys, every value has the template's type, and
 * every string needs no escaping. Anything else — another key order, an extra or missing key,
 * a string to escape — returns undefined and the caller falls back to `toJson`.
 * event-json.prop.test.ts checks both outcomes against `toJson` on arbitrary objects.
 *
 * The fill handler itself builds its `traded` and fee `moved` events, so it knows their shape and
 * types: it writes their text from the same values (`tradedJson`, `feeMovedJson`) and hands it to
 * the engine with the event, which skips the shape checks above (a third of a fill's event-text
 * time); only the strings are still checked for escapes.
 */

const TRADED_KEYS = ['type', 'market', 'buyer', 'seller', 'sizeQty9', 'pricePx8', 'valueQuote', 'reason'];
const MOVED_KEYS = ['type', 'from', 'to', 'asset', 'amount', 'reason'];

/** `toJson(event)` for a 'traded' or 'moved' event of the template's exact shape, else undefined. */
export function templateEventJson(event: object): string | undefined {
  if (Object.getPrototypeOf(event) !== Object.prototype) return undefined;
  const type = (event as { type?: unknown }).type;
  let text: string | undefined;
  if (type === 'traded') {
    if (!hasKeys(event, TRADED_KEYS)) return undefined;
    text = traded(event as Record<string, unknown>);
  } else if (type === 'moved') {
    if (!hasKeys(event, MOVED_KEYS)) return undefined;
    text = moved(event as Record<string, unknown>);
  }
  if (text === undefined) return undefined;
  // flattened once, as toJson does (the text is kept by journals)
  text.charCodeAt(text.length >> 1);
  return text;
}

function traded(o: Record<string, unknown>): string | undefined {
  const { market, buyer, seller, sizeQty9, pricePx8, valueQuote, reason } = o;
  if (typeof market !== 'string' || typeof buyer !== 'string' || typeof seller !== 'string') return undefined;
  if (typeof reason !== 'string') return undefined;
  if (typeof sizeQty9 !== 'bigint' || typeof pricePx8 !== 'bigint' || typeof valueQuote !== 'bigint')
    return undefined;
  return tradedText(market, buyer, seller, sizeQty9, pricePx8, valueQuote, reason);
}

function tradedText(
  market: string,
  buyer: string,
  seller: string,
  sizeQty9: bigint,
  pricePx8: bigint,
  valueQuote: bigint,
  reason: string,
): string | undefined {
  if (!plain(market) || !plain(buyer) || !plain(seller) || !plain(reason)) return undefined;
  return `{"type":"traded","market":"${market}","buyer":"${buyer}","seller":"${seller}","sizeQty9":{"$n":"${sizeQty9}"},"pricePx8":{"$n":"${pricePx8}"},"valueQuote":{"$n":"${valueQuote}"},"reason":"${reason}"}`;
}

/**
 * `toJson` of the event `{ type: 'traded', market, buyer, seller, sizeQty9, pricePx8, valueQuote,
 * reason }` (those keys in that order), from its values: for the handler that builds that object
 * (a fill), which thereby knows its shape and types without the checks `templateEventJson` makes
 * on an event of unknown origin. Undefined when a string needs escaping (then `toJson`).
 */
export function tradedJson(
  market: string,
  buyer: string,
  seller: string,
  sizeQty9: bigint,
  pricePx8: bigint,
  valueQuote: bigint,
  reason: string,
): string | undefined {
  const text = tradedText(market, buyer, seller, sizeQty9, pricePx8, valueQuote, reason);
  if (text !== undefined) text.charCodeAt(text.length >> 1); // flattened once, as toJson does
  return text;
}

/**
 * The text of a fee's `moved` event up to its amount's digits, by subaccount (with the asset it
 * was written for): every fill moves two fees from two balances, and the prefix is most of the
 * text (fewer pieces to join and flatten). Cleared when it holds MAX_REF_TEXTS.
 */
const feePrefixes = new Map<string, { readonly asset: string; readonly text: string }>();

/**
 * `toJson` of `{ type: 'moved', from: { kind: 'balance', sub }, to: { kind: 'fees' }, asset,
 * amount, reason }` (those keys in that order), from its values, for the handler that builds that
 * object (a trade's fee). Undefined when a string needs escaping (then `toJson`).
 */
export function feeMovedJson(sub: string, asset: string, amount: bigint, reason: string): string | undefined {
  let prefix = feePrefixes.get(sub);
  if (prefix === undefined || prefix.asset !== asset) {
    // a string key only once both strings are plain (the prefix is then their text)
    if (!plain(sub) || !plain(asset)) return undefined;
    const text = `{"type":"moved","from":{"kind":"balance","sub":"${sub}"},"to":${FEES_TEXT},"asset":"${asset}","amount":{"$n":"`;
    text.charCodeAt(text.length >> 1);
    prefix = { asset, text };
    if (feePrefixes.size >= MAX_REF_TEXTS) feePrefixes.clear();
    feePrefixes.set(sub, prefix);
  }
  const suffix =
    reason === 'trading_fee' ? TRADING_FEE_SUFFIX : plain(reason) ? `"},"reason":"${reason}"}` : undefined;
  if (suffix === undefined) return undefined;
  const text = prefix.text + amount + suffix;
  text.charCodeAt(text.length >> 1);
  return text;
}

const TRADING_FEE_SUFFIX = '"},"reason":"trading_fee"}';

function moved(o: Record<string, unknown>): string | undefined {
  const { asset, amount, reason } = o;
  if (!plain(asset) || !plain(reason) || typeof amount !== 'bigint') return undefined;
  const from = refText(o.from);
  const to = refText(o.to);
  if (from === undefined || to === undefined) return undefined;
  return `{"type":"moved","from":${from},"to":${to},"asset":"${asset}","amount":{"$n":"${amount}"},"reason":"${reason}"}`;
}

const BALANCE_KEYS = ['kind', 'sub'];
const FEES_KEYS = ['kind'];
const FEES_TEXT = '{"kind":"fees"}';
/**
 * flatObject's text of `{ kind: 'balance', sub }` by `sub`, for the subaccounts that traded
 * last (every fill moves two fees from two balances); cleared when it holds MAX_REF_TEXTS.
 */
const balanceTexts = new Map<string, string>();
const MAX_REF_TEXTS = 4096;

/**
 * `flatObject(v)` for a `moved` event's `from` / `to`: the two most frequent shapes (a balance,
 * the fees) from a cache or a constant when the object is exactly that shape, else flatObject.
 */
function refText(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null || Object.getPrototypeOf(v) !== Object.prototype) return undefined;
  const o = v as Record<string, unknown>;
  const kind = o.kind;
  if (kind === 'fees' && hasKeys(o, FEES_KEYS)) return FEES_TEXT;
  if (kind !== 'balance' || !hasKeys(o, BALANCE_KEYS)) return flatObject(v);
  const sub = o.sub;
  if (typeof sub !== 'string') return undefined;
  let text = balanceTexts.get(sub);
  if (text === undefined) {
    // a string key only after flatObject found `sub` plain (its text is then this one)
    text = flatObject(v);
    if (text === undefined) return undefined;
    if (balanceTexts.size >= MAX_REF_TEXTS) balanceTexts.clear();
    balanceTexts.set(sub, text);
  }
  return text;
}

/** True when `o`'s enumerable keys (own and inherited, as for…in walks them) are exactly `keys`, in order, all own. */
function hasKeys(o: object, keys: readonly string[]): boolean {
  let i = 0;
  for (const k in o) {
    if (k !== keys[i] || !Object.hasOwn(o, k)) return false;
    i++;
  }
  return i === keys.length;
}

/** A string JSON.stringify writes as it is, between quotes: no '"', '\\', control character or surrogate. */
function plain(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return false;
  }
  return true;
}

/** `{"k":"v",…}` for a plain object whose own keys and values are all plain strings, else undefined. */
function flatObject(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null || Object.getPrototypeOf(v) !== Object.prototype) return undefined;
  const o = v as Record<string, unknown>;
  let text = '{';
  let first = true;
  for (const k in o) {
    const s = o[k];
    if (!Object.hasOwn(o, k) || !plain(k) || !plain(s)) return undefined;
    text += first ? `"${k}":"${s}"` : `,"${k}":"${s}"`;
    first = false;
  }
  return `${text}}`;
}
