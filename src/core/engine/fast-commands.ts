/**
 * A fast path for the most frequent command, `fill`: the same validation as its zod schema
 * (commands.ts), hand-written for the plain shape a venue sends, because zod's generic object
 * and transform machinery was a tenth of a fill's time on the engine's thread.
 *
 * It answers only when it is sure: a plain object with no key outside the schema, no value
 * `undefined`, every field valid. It then returns exactly what `CommandSchema.parse` returns
 * (same values, same key order: the command digest hashes the text). Anything else — a bad
 * field, an unknown key, another type — returns undefined and the caller runs zod, which gives
 * the rejection its message. fast-commands.prop.test.ts checks both against zod on random input.
 */
import { PRICE_DECIMALS, parseDecimal, QTY_DECIMALS } from '../num/index.ts';
import { COMMAND_ID_PATTERN, type Command } from './commands.ts';

const MAX_TIME_MS = 8_640_000_000_000_000;
const QTY_MAX = 10n ** 27n;
const PX_MAX = 10n ** 24n;
const FILL_KEYS: ReadonlySet<string> = new Set([
  'type',
  'commandId',
  'market',
  'buyer',
  'seller',
  'size',
  'price',
  'taker',
  'buyOrderId',
  'sellOrderId',
  'timeMs',
]);

type Fill = Extract<Command, { type: 'fill' }>;

/**
 * The `id` schema's rule (num/schema.ts): 1–64 letters, digits and _ . : -, not __proto__,
 * constructor or prototype. A loop over the characters instead of the schema's regular expression
 * (a few percent of a fill's parse); fast-commands.prop.test.ts checks it against the schema on
 * arbitrary strings.
 */
export function isId(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  const n = v.length;
  if (n < 1 || n > 64) return false;
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i);
    // a-z, A-Z, 0-9 and ':' (48–58), '_', '.', '-'
    if (
      !(
        (c >= 97 && c <= 122) ||
        (c >= 65 && c <= 90) ||
        (c >= 48 && c <= 58) ||
        c === 95 ||
        c === 46 ||
        c === 45
      )
    )
      return false;
  }
  return v !== '__proto__' && v !== 'constructor' && v !== 'prototype';
}

function isPlain(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function ref(v: unknown): { account: string; sub: string } | undefined {
  if (!isPlain(v)) return undefined;
  // every key for…in walks is own (no inherited enumerable key), without Object.keys' array
  for (const k in v) if ((k !== 'account' && k !== 'sub') || !Object.hasOwn(v, k)) return undefined;
  const account = v.account;
  if (!isId(account)) return undefined;
  if (!('sub' in v)) return { account, sub: '0' };
  const sub = v.sub;
  return isId(sub) ? { account, sub } : undefined;
}

/**
 * A strictly positive decimal string at `decimals` scale below `max`, as `parseDecimal` reads it;
 * undefined for anything else. Short canonical strings are read in safe-integer arithmetic
 * (smallDecimal), the rest by `parseDecimal` (fast-decimal.prop.test.ts compares the two).
 */
export function positive(v: unknown, decimals: number, max: bigint): bigint | undefined {
  if (typeof v !== 'string') return undefined;
  const x = smallDecimal(v, decimals);
  if (x > 0) {
    const b = BigInt(x);
    return b < max ? b : undefined;
  }
  if (x === 0) return undefined;
  const r = parseDecimal(v, decimals);
  return r.ok && r.value > 0n && r.value < max ? r.value : undefined;
}

const P10: readonly number[] = Array.from({ length: 16 }, (_, i) => 10 ** i); // exact

/**
 * `parseDecimal(s, decimals)` for a canonical, non-negative decimal of at most 17 characters
 * whose scaled value is a safe integer (< 2^53), as a number; −1 when it cannot say (a sign,
 * a non-canonical form, too many decimals, too large: `parseDecimal` decides those). Canonical as
 * num/fixed.ts's DECIMAL_RE: `0` or a digit string without a leading zero, then optionally `.`
 * and at least one digit. Exact: every intermediate is an integer below 2^53, or (when the true
 * value is not) a double ≥ 2^53, which the final safe-integer test refuses.
 */
function smallDecimal(s: string, decimals: number): number {
  const n = s.length;
  if (n === 0 || n > 17 || decimals > 15) return -1;
  let i = 0;
  let int = 0;
  let c = s.charCodeAt(0);
  if (c === 48) i = 1;
  else {
    if (c < 49 || c > 57) return -1;
    for (; i < n; i++) {
      c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      int = int * 10 + (c - 48);
    }
  }
  let frac = 0;
  let fracLen = 0;
  if (i < n) {
    if (s.charCodeAt(i) !== 46) return -1; // '.'
    i++;
    if (i === n) return -1; // `1.` is not canonical
    for (; i < n; i++) {
      c = s.charCodeAt(i);
      if (c < 48 || c > 57) return -1;
      frac = frac * 10 + (c - 48); // at most 15 digits: exact
      fracLen++;
    }
    // trailing zeros of the fraction carry no value
    while (fracLen > 0 && frac % 10 === 0) {
      frac /= 10;
      fracLen--;
    }
    if (fracLen > decimals) return -1;
  }
  const value = int * P10[decimals]! + frac * P10[decimals - fracLen]!;
  return Number.isSafeInteger(value) ? value : -1;
}

/** The parsed `fill` command, or undefined when zod must decide (see the module header). */
export function parseFillFast(input: unknown): Command | undefined {
  if (!isPlain(input) || input.type !== 'fill') return undefined;
  // an inherited enumerable key: let zod decide (checked per key, without Object.keys' array)
  for (const k in input)
    if (!FILL_KEYS.has(k) || !Object.hasOwn(input, k) || input[k] === undefined) return undefined;
  const commandId = input.commandId;
  if (commandId !== undefined && (typeof commandId !== 'string' || !COMMAND_ID_PATTERN.test(commandId)))
    return undefined;
  const market = input.market;
  if (!isId(market)) return undefined;
  const buyer = ref(input.buyer);
  if (buyer === undefined) return undefined;
  const seller = ref(input.seller);
  if (seller === undefined) return undefined;
  const size = positive(input.size, QTY_DECIMALS, QTY_MAX);
  if (size === undefined) return undefined;
  const price = positive(input.price, PRICE_DECIMALS, PX_MAX);
  if (price === undefined) return undefined;
  const taker = input.taker ?? 'buyer';
  if (taker !== 'buyer' && taker !== 'seller') return undefined;
  const { buyOrderId, sellOrderId, timeMs } = input;
  if (buyOrderId !== undefined && !isId(buyOrderId)) return undefined;
  if (sellOrderId !== undefined && !isId(sellOrderId)) return undefined;
  if (
    timeMs !== undefined &&
    (typeof timeMs !== 'number' || !Number.isInteger(timeMs) || timeMs < 0 || timeMs > MAX_TIME_MS)
  )
    return undefined;
  // the schema's key order (zod writes the output in its shape's order)
  const out: Record<string, unknown> = { type: 'fill' };
  if (commandId !== undefined) out.commandId = commandId;
  out.market = market;
  out.buyer = buyer;
  out.seller = seller;
  out.size = size;
  out.price = price;
  out.taker = taker;
  if (buyOrderId !== undefined) out.buyOrderId = buyOrderId;
  if (sellOrderId !== undefined) out.sellOrderId = sellOrderId;
  if (timeMs !== undefined) out.timeMs = timeMs;
  return out as Fill;
}
