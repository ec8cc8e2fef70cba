/**
 * Compact snapshot form of the subaccounts: one flat JSON array per chunk of subaccounts, with
 * asset, market and sub names replaced by indices into small dictionaries and amounts written
 * as JSON numbers when they are safe integers (a decimal string otherwise).
 *
 * Why not the plain form (./codec.ts stateToPlain): a subaccount with four positions is ~820
 * characters of plain JSON, so a million of them (820 M characters) exceeds V8's largest
 * string (2^29 − 24 characters) and cannot be written at all; decoding it through a reviver
 * costs ~40 µs per subaccount. This form is ~150 characters per such subaccount, parses with
 * a plain JSON.parse (no reviver), and shares one string per key between the subaccount map
 * and the markets' holder sets. The decoded state is the same: equal `stateHash`.
 *
 * Layout of one subaccount in a chunk (every field a number unless said otherwise):
 *   account (string), sub (index into `subs`), portfolioMargin (0|1),
 *   #balances, then per balance: asset (index), amount,
 *   #positions, then per position: market (index), size, entryValue, fundingIndex,
 *     isolatedMargin, isolated (0|1),
 *   #isolatedMarkets, then market indices,
 *   #maxLeverage, then per entry: market (index), ppm.
 * A subaccount's e-mode category is not in its row (few have one): the table's `emode` lists
 * them as flat pairs (row, category).
 *
 * Reading (`decodeSnapshotTable`): the header is parsed on its own and the chunks are read
 * straight from the snapshot text (./subaccount-text.ts), never JSON.parse'd as a whole. A
 * million subaccounts parse into ~0.3 GB of arrays and numbers that only live until their
 * rows are decoded; parsed at once, all of it was alive (and copied by every young-generation
 * collection, then promoted) while the whole decode ran.
 */

import { InlineMap, InlineMap2 } from '../model/inline-map.ts';
import {
  NO_ISOLATED_MARKETS,
  NO_LEVERAGE_CAPS,
  type Position,
  type ReadonlySubaccount,
  type Subaccount,
} from '../model/state.ts';
import { InvariantError } from '../num/index.ts';
import { readRowLists, readSubaccountRows, UnsplitTable } from './subaccount-text.ts';

export interface SubaccountTable {
  readonly assets: string[];
  readonly markets: string[];
  readonly subs: string[];
  readonly count: number;
  readonly chunks: (string | number)[][];
  /** Subaccounts with an e-mode category as flat pairs (row, category); absent in older snapshots. */
  readonly emode?: number[];
}

/** A table whose chunks are read one at a time (parsed from slices of the snapshot text). */
export interface SubaccountRows {
  readonly assets: string[];
  readonly markets: string[];
  readonly subs: string[];
  readonly count: number;
  readonly emode?: unknown;
  readonly chunks: Iterable<unknown>;
  /** Upper bound on the elements of all chunks (a count beyond it is refused before allocating). */
  readonly maxElements: number;
}

/** Subaccounts per chunk: keeps each parsed array small enough for the young generation to matter little. */
const CHUNK = 16_384;
/** Rows per chunk (tests use small chunks to cross chunk boundaries). */
export interface TableOptions {
  chunkRows?: number;
}
const ZERO = 0n;
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

const amount = (v: bigint): number | string => (v <= SAFE && v >= -SAFE ? Number(v) : v.toString());
/** Zero shares one bigint: most funding indices and isolated margins are 0. */
const toBig = (x: unknown): bigint => {
  if (x === 0) return ZERO;
  if (typeof x === 'number' && Number.isSafeInteger(x)) return BigInt(x);
  if (typeof x === 'string' && /^-?\d+$/.test(x)) return BigInt(x);
  throw new InvariantError(`snapshot: not an amount: ${String(x)}`);
};

/** Dictionary of names to indices, in first-seen order. */
class Names {
  readonly list: string[] = [];
  private readonly index = new Map<string, number>();
  of(name: string): number {
    let i = this.index.get(name);
    if (i === undefined) {
      i = this.list.length;
      this.list.push(name);
      this.index.set(name, i);
    }
    return i;
  }
}

/** The subaccounts (in map order) as a table; `order` maps each key to its row. */
export function encodeSubaccounts(
  subs: Iterable<ReadonlySubaccount>,
  opts: TableOptions = {},
): {
  table: SubaccountTable;
  order: Map<string, number>;
} {
  const chunkRows = opts.chunkRows ?? CHUNK;
  const emode: number[] = [];
  const assets = new Names();
  const markets = new Names();
  const subNames = new Names();
  const chunks: (string | number)[][] = [];
  const order = new Map<string, number>();
  let row: (string | number)[] = [];
  let count = 0;
  for (const s of subs) {
    if (s.key !== `${s.ref.account}/${s.ref.sub}`)
      throw new InvariantError(`snapshot: subaccount key ${s.key} does not match its ref`);
    if (s.eModeCategory !== undefined) emode.push(count, s.eModeCategory);
    order.set(s.key, count++);
    row.push(s.ref.account, subNames.of(s.ref.sub), s.portfolioMargin ? 1 : 0);
    row.push(s.balances.size);
    for (const [a, v] of s.balances) row.push(assets.of(a), amount(v));
    row.push(s.positions.size);
    for (const [m, p] of s.positions) {
      if (p.market !== m) throw new InvariantError(`snapshot: position ${p.market} filed under ${m}`);
      row.push(
        markets.of(m),
        amount(p.size),
        amount(p.entryValue),
        amount(p.fundingIndex),
        amount(p.isolatedMargin),
        p.isolated ? 1 : 0,
      );
    }
    row.push(s.isolatedMarkets.size);
    for (const m of s.isolatedMarkets) row.push(markets.of(m));
    row.push(s.maxLeverage.size);
    for (const [m, v] of s.maxLeverage) row.push(markets.of(m), amount(v));
    if (count % chunkRows === 0) {
      chunks.push(row);
      row = [];
    }
  }
  if (row.length > 0) chunks.push(row);
  return {
    table: {
      assets: assets.list,
      markets: markets.list,
      subs: subNames.list,
      count,
      chunks,
      ...(emode.length > 0 ? { emode } : {}),
    },
    order,
  };
}

/** The subaccounts of a table, in its order (keys are built once and shared with `keys`). */
export function decodeSubaccounts(t: SubaccountTable | SubaccountRows): {
  subaccounts: Map<string, Subaccount>;
  keys: string[];
} {
  let maxElements: number;
  if ('maxElements' in t) maxElements = t.maxElements;
  else {
    maxElements = 0;
    for (const c of t.chunks) maxElements += Array.isArray(c) ? c.length : 0;
  }
  // A row has at least 7 elements (account, sub, flag and four counts).
  if (!Number.isSafeInteger(t.count) || t.count < 0 || t.count * 7 > maxElements)
    throw new InvariantError(`snapshot: subaccount count ${String(t.count)} does not fit the table`);
  const subaccounts = new Map<string, Subaccount>();
  // Sized up front: at a million rows, growing by push copies the array ~20 times.
  const keys: string[] = new Array<string>(t.count);
  let row = 0;
  const { subs: subNames, assets, markets } = t;
  for (const chunk of t.chunks) {
    if (!Array.isArray(chunk)) throw new InvariantError('snapshot: bad subaccount chunk');
    const c = chunk as (string | number)[];
    // The reads are inlined (no closures over the cursor): at a million rows the closures'
    // context loads and stores were a visible part of the decode.
    let i = 0;
    const n = c.length;
    while (i < n) {
      const account = c[i++];
      if (typeof account !== 'string') throw new InvariantError('snapshot: bad subaccount row');
      const sub = nameAt(subNames, c[i++]);
      const portfolioMargin = intAt(c, i++) === 1;
      const balances = new InlineMap2<string, bigint>();
      for (let k = intAt(c, i++); k > 0; k--) {
        balances.set(nameAt(assets, c[i]), toBig(c[i + 1]));
        i += 2;
      }
      const positions = new InlineMap<string, Position>();
      for (let k = intAt(c, i++); k > 0; k--) {
        const market = nameAt(markets, c[i]);
        positions.set(market, {
          market,
          size: toBig(c[i + 1]),
          entryValue: toBig(c[i + 2]),
          fundingIndex: toBig(c[i + 3]),
          isolatedMargin: toBig(c[i + 4]),
          isolated: c[i + 5] === 1,
        });
        i += 6;
      }
      // Empty ones share one instance (state.ts NO_ISOLATED_MARKETS, copy on write).
      let isolatedMarkets = NO_ISOLATED_MARKETS as Set<string>;
      let k = intAt(c, i++);
      if (k > 0) isolatedMarkets = new Set<string>();
      for (; k > 0; k--) isolatedMarkets.add(nameAt(markets, c[i++]));
      let maxLeverage = NO_LEVERAGE_CAPS as Map<string, bigint>;
      k = intAt(c, i++);
      if (k > 0) maxLeverage = new Map<string, bigint>();
      for (; k > 0; k--) {
        maxLeverage.set(nameAt(markets, c[i]), toBig(c[i + 1]));
        i += 2;
      }
      if (i > n) throw new InvariantError('snapshot: truncated subaccount table');
      const key = `${account}/${sub}`;
      if (row >= t.count)
        throw new InvariantError(`snapshot: more than the ${t.count} subaccounts announced`);
      keys[row++] = key;
      subaccounts.set(key, {
        key,
        ref: { account, sub },
        balances,
        positions,
        isolatedMarkets,
        maxLeverage,
        portfolioMargin,
      });
    }
  }
  if (row !== t.count) throw new InvariantError(`snapshot: ${row} subaccounts, expected ${t.count}`);
  applyEmode(subaccounts, keys, t.emode);
  return { subaccounts, keys };
}

/** Sets the e-mode categories of a table's `emode` pairs (row, category). */
function applyEmode(subaccounts: Map<string, Subaccount>, keys: string[], emode: unknown): void {
  if (emode === undefined) return;
  if (!Array.isArray(emode) || emode.length % 2 !== 0) throw new InvariantError('snapshot: bad e-mode list');
  for (let j = 0; j < emode.length; j += 2) {
    const at = emode[j];
    const category = emode[j + 1];
    const key = typeof at === 'number' ? keys[at] : undefined;
    if (key === undefined || !Number.isSafeInteger(category) || category <= 0)
      throw new InvariantError(`snapshot: bad e-mode entry ${String(at)}`);
    subaccounts.get(key)!.eModeCategory = category as number;
  }
}

/** How `decodeSnapshotTable` reads the chunks (tests compare the three). */
export type TableRead = 'text' | 'chunks' | 'whole';

/**
 * The subaccounts of a compact snapshot's text and the rest of it parsed (`head.state`): read
 * straight from the text (./subaccount-text.ts), else chunk by chunk through JSON.parse, else
 * through one JSON.parse of the whole text. Each later way decodes every text the earlier one
 * refuses, so all three give the same state (or the same typed error).
 */
export function decodeSnapshotTable(
  json: string,
  via: TableRead = 'text',
  format: 2 | 3 = 2,
): {
  head: unknown;
  subaccounts: Map<string, Subaccount>;
  keys: string[];
  /** Format 3: the `holders` lists (checked by the caller). */
  holders?: unknown;
} {
  const cut = via === 'whole' ? undefined : splitSnapshotTable(json, format);
  if (cut !== undefined) {
    const { rows, start, end } = cut;
    try {
      const read =
        via === 'text'
          ? readSubaccountRows(json, start, end, rows)
          : decodeSubaccounts({ ...rows, chunks: chunksOf(json, start, end) });
      applyEmode(read.subaccounts, read.keys, rows.emode);
      return { head: cut.head, holders: cut.holders, ...read };
    } catch (e) {
      if (!(e instanceof UnsplitTable)) throw e;
    }
    if (via === 'text') {
      try {
        const read = decodeSubaccounts({ ...rows, chunks: chunksOf(json, start, end) });
        applyEmode(read.subaccounts, read.keys, rows.emode);
        return { head: cut.head, holders: cut.holders, ...read };
      } catch (e) {
        if (!(e instanceof UnsplitTable)) throw e;
      }
    }
  }
  // biome-ignore lint/suspicious/noExplicitAny: checked field by field
  const raw = JSON.parse(json) as any;
  if (
    typeof raw?.subaccounts !== 'object' ||
    raw.subaccounts === null ||
    !Array.isArray(raw.subaccounts.chunks)
  )
    throw new InvariantError('not a Plimsoll snapshot');
  const read = decodeSubaccounts(raw.subaccounts as SubaccountTable);
  applyEmode(read.subaccounts, read.keys, raw.subaccounts.emode);
  return { head: raw, ...(format === 3 ? { holders: raw.holders } : {}), ...read };
}

const SUBACCOUNTS_AT = ',"subaccounts":{"assets":';
/** Format 3: the markets' holder lists, right before the subaccounts. */
const HOLDERS_AT = ',"holders":[';
const CHUNKS_AT = ',"chunks":[';

/**
 * A compact snapshot's text cut in three: the part before the subaccounts (parsed), the
 * table's dictionaries (parsed), and its chunks, each parsed when the decode reaches it. The
 * cuts are checked by the parses themselves: a text cut anywhere but at the top-level
 * `"subaccounts"` key or between two chunks does not parse (the cut leaves an object or a
 * string open). Returns undefined when the text is not laid out as `encodeSnapshot` writes it;
 * iterating the chunks throws `UnsplitTable` when a piece does not parse (an account name
 * holding `],[`) — either way the caller parses the whole text instead.
 */
function splitSnapshotTable(
  json: string,
  format: 2 | 3,
):
  | {
      head: unknown;
      holders: Int32Array[] | undefined;
      rows: Omit<SubaccountRows, 'chunks'>;
      start: number;
      end: number;
    }
  | undefined {
  const at = json.indexOf(SUBACCOUNTS_AT);
  if (at < 0) return undefined;
  const chunksAt = json.indexOf(CHUNKS_AT, at);
  if (chunksAt < 0 || !json.endsWith(']}}')) return undefined;
  // Format 3: the holder lists end where the subaccounts start; they hold nothing but digits,
  // commas and brackets, so the last `"holders"` key before that is theirs.
  let headEnd = at;
  let holders: Int32Array[] | undefined;
  if (format === 3) {
    headEnd = json.lastIndexOf(HOLDERS_AT, at);
    if (headEnd < 0) return undefined;
    try {
      holders = readRowLists(json, headEnd + HOLDERS_AT.length - 1, at);
    } catch (e) {
      if (e instanceof UnsplitTable) return undefined;
      throw e;
    }
  }
  let head: unknown;
  // biome-ignore lint/suspicious/noExplicitAny: the dictionaries are checked where they are read
  let dict: any;
  try {
    head = JSON.parse(`${json.slice(0, headEnd)}}`);
    dict = JSON.parse(`${json.slice(at + SUBACCOUNTS_AT.length - '{"assets":'.length, chunksAt)}}`);
  } catch {
    return undefined;
  }
  if (
    dict === null ||
    typeof dict !== 'object' ||
    !Array.isArray(dict.assets) ||
    !Array.isArray(dict.markets) ||
    !Array.isArray(dict.subs)
  )
    return undefined;
  const start = chunksAt + CHUNKS_AT.length - 1; // the chunk list's '['
  const end = json.length - 3; // the list's closing ']' (then the table's and the snapshot's '}')
  return {
    head,
    holders,
    rows: {
      assets: dict.assets,
      markets: dict.markets,
      subs: dict.subs,
      count: dict.count,
      emode: dict.emode,
      // every element takes at least one character and a separator
      maxElements: Math.ceil((end - start) / 2),
    },
    start,
    end,
  };
}

function* chunksOf(json: string, start: number, end: number): Generator<unknown> {
  let from = start + 1; // past the list's '['
  while (from < end) {
    let to = json.indexOf('],[', from);
    if (to < 0 || to > end) to = end - 1;
    let chunk: unknown;
    try {
      chunk = JSON.parse(json.slice(from, to + 1));
    } catch {
      throw new UnsplitTable('snapshot: a subaccount chunk does not parse on its own');
    }
    if (!Array.isArray(chunk)) throw new UnsplitTable('snapshot: a subaccount chunk is not an array');
    yield chunk;
    from = to + 2;
  }
}

function nameAt(list: readonly string[], i: unknown): string {
  const v = typeof i === 'number' ? list[i] : undefined;
  if (v === undefined) throw new InvariantError(`snapshot: bad name index ${String(i)}`);
  return v;
}

function intAt(c: readonly (string | number)[], i: number): number {
  const v = c[i];
  if (typeof v !== 'number') throw new InvariantError('snapshot: truncated subaccount table');
  return v;
}
