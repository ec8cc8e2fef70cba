/**
 * Reads the chunks of a compact snapshot's subaccount table (./subaccount-table.ts) straight
 * from the snapshot text into the state's subaccounts, without JSON.parse.
 *
 * Why: at a million subaccounts JSON.parse of the chunks builds ~30 M array elements and
 * ~10 M heap numbers (every amount past 2^30) only for the decode to read them once; that was
 * about a third of the decode's time and its largest transient memory. This reader accepts
 * only the exact text `encodeSnapshot` writes (integers as `-?[1-9][0-9]*` or `0`, amounts
 * past 2^53 as quoted digit strings, names as indices, account names without escapes) and
 * throws `UnsplitTable` on anything else — including a malformed table — so the caller decodes
 * the same text through JSON.parse (./subaccount-table.ts decodeSubaccounts), which gives the
 * same state or the typed error for it.
 */

import { InlineMap, InlineMap2 } from '../model/inline-map.ts';
import { NO_ISOLATED_MARKETS, NO_LEVERAGE_CAPS, type Position, type Subaccount } from '../model/state.ts';

/** The text is not exactly as `encodeSnapshot` writes it: decode it through JSON.parse. */
export class UnsplitTable extends Error {}

const ZERO = 0n;
/** Account names this long or longer are sliced from the text by V8 (keeping the whole text alive): copied instead. */
const SLICE_MIN = 13;

function fail(): never {
  throw new UnsplitTable('snapshot: subaccount table text is not in the form encodeSnapshot writes');
}

/** A position in the snapshot text; every read checks the character that follows its value. */
class Cursor {
  constructor(
    readonly s: string,
    public pos: number,
  ) {}

  /** The character at the cursor (NaN past the end). */
  peek(): number {
    return this.s.charCodeAt(this.pos);
  }

  /** Skips the separator `c`, which must be next. */
  skip(c: number): void {
    if (this.s.charCodeAt(this.pos) !== c) fail();
    this.pos++;
  }

  /** A safe integer written as JSON.stringify writes it (no sign on 0, no leading zero). */
  int(): number {
    const s = this.s;
    let p = this.pos;
    let c = s.charCodeAt(p);
    let neg = false;
    if (c === 45) {
      neg = true;
      c = s.charCodeAt(++p);
    }
    const first = p;
    let v = 0;
    while (c >= 48 && c <= 57) {
      v = v * 10 + (c - 48);
      c = s.charCodeAt(++p);
    }
    const digits = p - first;
    if (digits === 0 || (digits > 1 && s.charCodeAt(first) === 48) || (neg && v === 0)) fail();
    // Up to 15 digits the running sum is exact; 16 are read by Number and checked.
    if (digits > 15) {
      v = Number(s.slice(first, p));
      if (!Number.isSafeInteger(v)) fail();
    }
    this.pos = p;
    return neg ? -v : v;
  }

  /** An amount: a safe integer, or a quoted (optionally negative) digit string. */
  amount(): bigint {
    const s = this.s;
    if (s.charCodeAt(this.pos) !== 34) {
      const v = this.int();
      return v === 0 ? ZERO : BigInt(v);
    }
    const first = this.pos + 1;
    let p = first;
    let c = s.charCodeAt(p);
    if (c === 45) c = s.charCodeAt(++p);
    const digitsFrom = p;
    while (c >= 48 && c <= 57) c = s.charCodeAt(++p);
    if (p === digitsFrom || c !== 34) fail();
    this.pos = p + 1;
    return BigInt(s.slice(first, p));
  }

  /** A quoted string without escapes or control characters, as its own copy. */
  str(): string {
    const s = this.s;
    const first = this.pos + 1;
    if (s.charCodeAt(this.pos) !== 34) fail();
    const close = s.indexOf('"', first);
    if (close < 0) fail();
    for (let p = first; p < close; p++) {
      const c = s.charCodeAt(p);
      if (c === 92 || c < 32) fail();
    }
    this.pos = close + 1;
    return close - first < SLICE_MIN
      ? s.slice(first, close)
      : (JSON.parse(s.slice(first - 1, close + 1)) as string);
  }

  /** A dictionary index, checked against the dictionary. */
  name(list: readonly string[]): string {
    const v = list[this.int()];
    if (v === undefined) fail();
    return v;
  }
}

/**
 * The subaccounts of the chunk list `[chunk,chunk,…]` whose '[' is at `start` and whose
 * closing ']' is at `end`, with the table's dictionaries; same result as decodeSubaccounts.
 */
export function readSubaccountRows(
  json: string,
  start: number,
  end: number,
  t: { assets: string[]; markets: string[]; subs: string[]; count: number },
): { subaccounts: Map<string, Subaccount>; keys: string[] } {
  const count = t.count;
  if (!Number.isSafeInteger(count) || count < 0 || count * 14 > end - start) fail();
  const { assets, markets, subs } = t;
  const subaccounts = new Map<string, Subaccount>();
  const keys: string[] = new Array<string>(count);
  let row = 0;
  const c = new Cursor(json, start);
  c.skip(91); // '[' of the list
  if (c.peek() === 93) {
    if (count !== 0) fail();
    return { subaccounts, keys };
  }
  for (;;) {
    c.skip(91); // '[' of a chunk
    for (;;) {
      const account = c.str();
      c.skip(44);
      const sub = c.name(subs);
      c.skip(44);
      const flag = c.int();
      if (flag !== 0 && flag !== 1) fail();
      c.skip(44);
      const balances = new InlineMap2<string, bigint>();
      for (let k = c.int(); k > 0; k--) {
        c.skip(44);
        const asset = c.name(assets);
        c.skip(44);
        balances.set(asset, c.amount());
      }
      c.skip(44);
      const positions = new InlineMap<string, Position>();
      for (let k = c.int(); k > 0; k--) {
        c.skip(44);
        const market = c.name(markets);
        c.skip(44);
        const size = c.amount();
        c.skip(44);
        const entryValue = c.amount();
        c.skip(44);
        const fundingIndex = c.amount();
        c.skip(44);
        const isolatedMargin = c.amount();
        c.skip(44);
        const isolated = c.int();
        if (isolated !== 0 && isolated !== 1) fail();
        positions.set(market, {
          market,
          size,
          entryValue,
          fundingIndex,
          isolatedMargin,
          isolated: isolated === 1,
        });
      }
      c.skip(44);
      let isolatedMarkets = NO_ISOLATED_MARKETS as Set<string>;
      let k = c.int();
      if (k > 0) isolatedMarkets = new Set<string>();
      for (; k > 0; k--) {
        c.skip(44);
        isolatedMarkets.add(c.name(markets));
      }
      c.skip(44);
      let maxLeverage = NO_LEVERAGE_CAPS as Map<string, bigint>;
      k = c.int();
      if (k > 0) maxLeverage = new Map<string, bigint>();
      for (; k > 0; k--) {
        c.skip(44);
        const market = c.name(markets);
        c.skip(44);
        maxLeverage.set(market, c.amount());
      }
      if (row >= count) fail();
      const key = `${account}/${sub}`;
      keys[row++] = key;
      subaccounts.set(key, {
        key,
        ref: { account, sub },
        balances,
        positions,
        isolatedMarkets,
        maxLeverage,
        portfolioMargin: flag === 1,
      });
      if (c.peek() === 93) break; // ']' ends the chunk
      c.skip(44);
    }
    c.skip(93);
    if (c.peek() === 93) break; // ']' ends the list
    c.skip(44);
  }
  if (c.pos !== end || row !== count) fail();
  return { subaccounts, keys };
}

/**
 * The lists of row numbers `[[r,…],…]` (format 3's holders) whose outer '[' is at `start` and
 * which end just before `end`, as views of one Int32Array. Rows are non-negative integers below
 * 2^31 written as JSON.stringify writes them; anything else throws UnsplitTable (the caller
 * then parses the whole text). One loop over the characters, no intermediate arrays: JSON.parse
 * of the same 4 M rows (27 MB) took ~0.4 s, this ~0.1 s.
 */
export function readRowLists(json: string, start: number, end: number): Int32Array[] {
  // every row takes at least one digit and one separator
  const rows = new Int32Array(Math.max(0, (end - start) >> 1));
  const lists: Int32Array[] = [];
  let n = 0;
  let p = start;
  if (json.charCodeAt(p++) !== 91) fail();
  if (json.charCodeAt(p) === 93) p++;
  else
    for (;;) {
      if (json.charCodeAt(p++) !== 91) fail();
      const from = n;
      let c = json.charCodeAt(p);
      if (c !== 93)
        for (;;) {
          // one row: digits, no leading zero, below 2^31
          const first = p;
          let v = 0;
          while (c >= 48 && c <= 57) {
            v = v * 10 + (c - 48);
            c = json.charCodeAt(++p);
          }
          if (p === first || (p - first > 1 && json.charCodeAt(first) === 48) || v > 0x7fffffff) fail();
          rows[n++] = v;
          if (c !== 44) break;
          c = json.charCodeAt(++p);
        }
      if (c !== 93) fail();
      p++;
      lists.push(rows.subarray(from, n));
      c = json.charCodeAt(p++);
      if (c === 93) break;
      if (c !== 44) fail();
    }
  if (p !== end) fail();
  return lists;
}
