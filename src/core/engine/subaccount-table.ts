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
 */
import {
  NO_ISOLATED_MARKETS,
  NO_LEVERAGE_CAPS,
  type Position,
  type ReadonlySubaccount,
  type Subaccount,
} from '../model/state.ts';
import { InvariantError } from '../num/index.ts';

export interface SubaccountTable {
  readonly assets: string[];
  readonly markets: string[];
  readonly subs: string[];
  readonly count: number;
  readonly chunks: (string | number)[][];
}

/** Subaccounts per chunk: keeps each parsed array small enough for the young generation to matter little. */
const CHUNK = 16_384;
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
export function encodeSubaccounts(subs: Iterable<ReadonlySubaccount>): {
  table: SubaccountTable;
  order: Map<string, number>;
} {
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
    if (count % CHUNK === 0) {
      chunks.push(row);
      row = [];
    }
  }
  if (row.length > 0) chunks.push(row);
  return {
    table: { assets: assets.list, markets: markets.list, subs: subNames.list, count, chunks },
    order,
  };
}

/** The subaccounts of a table, in its order (keys are built once and shared with `keys`). */
export function decodeSubaccounts(t: SubaccountTable): {
  subaccounts: Map<string, Subaccount>;
  keys: string[];
} {
  let elements = 0;
  for (const c of t.chunks) elements += Array.isArray(c) ? c.length : 0;
  // A row has at least 7 elements (account, sub, flag and four counts).
  if (!Number.isSafeInteger(t.count) || t.count < 0 || t.count * 7 > elements)
    throw new InvariantError(`snapshot: subaccount count ${String(t.count)} does not fit the table`);
  const subaccounts = new Map<string, Subaccount>();
  // Sized up front: at a million rows, growing by push copies the array ~20 times.
  const keys: string[] = new Array<string>(t.count);
  let row = 0;
  const { subs: subNames, assets, markets } = t;
  for (const c of t.chunks) {
    // The reads are inlined (no closures over the cursor): at a million rows the closures'
    // context loads and stores were a visible part of the decode.
    let i = 0;
    const n = c.length;
    while (i < n) {
      const account = c[i++];
      if (typeof account !== 'string') throw new InvariantError('snapshot: bad subaccount row');
      const sub = nameAt(subNames, c[i++]);
      const portfolioMargin = intAt(c, i++) === 1;
      const balances = new Map<string, bigint>();
      for (let k = intAt(c, i++); k > 0; k--) {
        balances.set(nameAt(assets, c[i]), toBig(c[i + 1]));
        i += 2;
      }
      const positions = new Map<string, Position>();
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
  return { subaccounts, keys };
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
