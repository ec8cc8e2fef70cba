/**
 * The compact snapshot's subaccounts read straight from the text (./subaccount-text.ts) against
 * the reference: the plain canonical form of the state they were written from (stateToPlain,
 * what `stateHash` hashes). Random subaccounts — balances, positions and leverage caps with
 * amounts anywhere in ±2^80 (past 2^53 too, and 0), isolated markets, portfolio and e-mode
 * flags, account and sub names with quotes, backslashes, `],[`, non-ASCII and long names —
 * written in chunks of a few rows, so rows cross chunk boundaries. The three reads
 * (text, chunk by chunk, whole) give the same state, equal to the one written, and a text the
 * fast reader refuses is still decoded by the others.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newVenue } from '../../../test/support/fixtures.ts';
import { propRuns } from '../../../test/support/prop.ts';
import { HolderSet } from '../model/holder-set.ts';
import { InlineMap, InlineMap2 } from '../model/inline-map.ts';
import {
  type EngineState,
  NO_ISOLATED_MARKETS,
  NO_LEVERAGE_CAPS,
  type Position,
  type Subaccount,
} from '../model/state.ts';
import { toJson } from '../num/json.ts';
import { decodeSnapshot, encodeSnapshot, stateHash, stateToPlain } from './codec.ts';
import { decodeSnapshotTable, type TableRead } from './subaccount-table.ts';
import { readRowLists, readSubaccountRows, UnsplitTable } from './subaccount-text.ts';

const MARKETS = ['BTC-PERP', 'ETH-PERP', 'SOL-PERP'];
const ASSETS = ['USDC', 'ETH', 'BTC'];

const amount = fc.oneof(
  fc.constant(0n),
  fc.bigInt({ min: -(2n ** 31n), max: 2n ** 31n }),
  fc.bigInt({ min: -(2n ** 53n) - 5n, max: 2n ** 53n + 5n }),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }),
);
const name = fc.oneof(
  fc.constantFrom('u', 'alice', '0'),
  fc.string({ maxLength: 20 }),
  fc.constantFrom('a],[b', 'q"uote', 'back\\slash', 'émile', 'a-rather-long-account-name-1234'),
);
const position = (market: string) =>
  fc
    .record({
      size: amount,
      entryValue: amount,
      fundingIndex: amount,
      isolatedMargin: amount,
      isolated: fc.boolean(),
    })
    .map((p): Position => ({ market, ...p }));

const subaccount = fc
  .record({
    account: name,
    sub: fc.oneof(fc.constant('0'), name),
    balances: fc.uniqueArray(fc.tuple(fc.constantFrom(...ASSETS), amount), {
      selector: (x) => x[0],
      maxLength: 3,
    }),
    markets: fc.subarray(MARKETS),
    positions: fc.array(fc.nat(), { maxLength: 0 }),
    isolated: fc.subarray(MARKETS),
    caps: fc.uniqueArray(fc.tuple(fc.constantFrom(...MARKETS), amount), {
      selector: (x) => x[0],
      maxLength: 3,
    }),
    portfolioMargin: fc.boolean(),
    eMode: fc.option(fc.integer({ min: 1, max: 255 }), { nil: undefined }),
  })
  .chain((r) =>
    fc.tuple(...r.markets.map(position)).map((ps): Subaccount => {
      const s: Subaccount = {
        key: `${r.account}/${r.sub}`,
        ref: { account: r.account, sub: r.sub },
        balances: new InlineMap2(r.balances),
        positions: new InlineMap(ps.map((p) => [p.market, p])),
        isolatedMarkets: r.isolated.length > 0 ? new Set(r.isolated) : (NO_ISOLATED_MARKETS as Set<string>),
        maxLeverage: r.caps.length > 0 ? new Map(r.caps) : (NO_LEVERAGE_CAPS as Map<string, bigint>),
        portfolioMargin: r.portfolioMargin,
      };
      if (r.eMode !== undefined) s.eModeCategory = r.eMode;
      return s;
    }),
  );

/**
 * A venue's state with these subaccounts (unique keys) and each market's holders a subset of
 * them: in row order, or shuffled by `seed` (holders enter markets in any order).
 */
function stateWith(subs: Subaccount[], seed = 0): EngineState {
  // a fresh venue's own state, changed in place (its engine is not used again)
  const state = newVenue().state as EngineState;
  state.subaccounts.clear();
  for (const s of subs) if (!state.subaccounts.has(s.key)) state.subaccounts.set(s.key, s);
  let r = seed;
  for (const m of state.markets.values()) {
    const held = [...state.subaccounts.values()].filter((s) => s.positions.has(m.config.id));
    for (let i = held.length - 1; seed !== 0 && i > 0; i--) {
      r = (Math.imul(r, 1103515245) + 12345) >>> 0;
      const j = r % (i + 1);
      [held[i], held[j]] = [held[j]!, held[i]!];
    }
    const holders = HolderSet.fromList(m.config.id, (k) => state.subaccounts.get(k), held);
    Object.assign(m, { holders });
  }
  return state;
}

/** A cross subaccount `${account}/0` with a USDC balance and one BTC-PERP position of `size`. */
function btcHolder(account: string, usdc: bigint, size: bigint): Subaccount {
  return {
    key: `${account}/0`,
    ref: { account, sub: '0' },
    balances: new InlineMap2([['USDC', usdc]]),
    positions: new InlineMap([
      [
        'BTC-PERP',
        { market: 'BTC-PERP', size, entryValue: 7n, fundingIndex: 0n, isolatedMargin: 0n, isolated: false },
      ],
    ]),
    isolatedMarkets: NO_ISOLATED_MARKETS as Set<string>,
    maxLeverage: NO_LEVERAGE_CAPS as Map<string, bigint>,
    portfolioMargin: false,
  };
}

const READS: TableRead[] = ['text', 'chunks', 'whole'];

/**
 * The same snapshot in format 2, as the previous writer laid it out: the holder lists inside the
 * markets' plain form instead of after it (the key order within a market does not matter to a
 * reader; test/vectors/snapshot_format2_busy_venue.json is a file that writer wrote).
 */
function asFormat2(json: string): string {
  const raw = JSON.parse(json);
  raw.state.markets.forEach((entry: [string, Record<string, unknown>], i: number) => {
    entry[1].holders = raw.holders[i];
  });
  return JSON.stringify({ format: 'plimsoll-snapshot/2', state: raw.state, subaccounts: raw.subaccounts });
}

describe('compact snapshot read from its text', () => {
  it('decodes random subaccounts to the state they were written from, by every read', () => {
    fc.assert(
      fc.property(
        fc.array(subaccount, { maxLength: 25 }),
        fc.integer({ min: 1, max: 6 }),
        fc.nat(),
        (subs, chunkRows, seed) => {
          const state = stateWith(subs, seed);
          const want = toJson(stateToPlain(state));
          const json = encodeSnapshot(state, { chunkRows });
          expect(json.startsWith('{"format":"plimsoll-snapshot/3",')).toBe(true);
          expect(toJson(stateToPlain(decodeSnapshot(json)))).toBe(want);
          expect(stateHash(decodeSnapshot(json))).toBe(stateHash(state));
          // the same state from the same snapshot in format 2 (older snapshots still open)
          const v2 = asFormat2(json);
          expect(toJson(stateToPlain(decodeSnapshot(v2)))).toBe(want);
          for (const via of READS)
            expect(decodeSnapshotTable(v2, via, 2).keys).toEqual(decodeSnapshotTable(json, via, 3).keys);
          const plain = (via: TableRead) => {
            const t = decodeSnapshotTable(json, via, 3);
            return toJson(
              [...t.subaccounts.values()].map((s) => [
                s.key,
                s.ref,
                s.balances,
                s.positions,
                [...s.isolatedMarkets],
                s.maxLeverage,
                s.portfolioMargin,
                s.eModeCategory ?? 0,
              ]),
            );
          };
          const byText = plain('text');
          for (const via of READS) expect(plain(via)).toBe(byText);
          // names without escapes or control characters: the text reader reads them itself
          const raw = JSON.parse(json);
          const plainNames = [...state.subaccounts.values()].every((s) =>
            [...s.ref.account].every((ch) => ch !== '"' && ch !== '\\' && ch.charCodeAt(0) >= 32),
          );
          const at = json.indexOf(',"chunks":[') + ',"chunks":['.length - 1;
          if (plainNames)
            expect(readSubaccountRows(json, at, json.length - 3, raw.subaccounts).subaccounts.size).toBe(
              state.subaccounts.size,
            );
        },
      ),
      { numRuns: propRuns(150) },
    );
  });

  it('reads a table of plain names itself (it does not fall back), and refuses escapes, so the others read them', () => {
    const state = stateWith([btcHolder('plain', 2n ** 60n, -(2n ** 55n))]);
    const json = encodeSnapshot(state);
    const at = json.indexOf(',"chunks":[') + ',"chunks":['.length - 1;
    const end = json.length - 3;
    const dict = { assets: ['USDC'], markets: ['BTC-PERP'], subs: ['0'], count: 1 };
    const read = readSubaccountRows(json, at, end, dict);
    expect(read.subaccounts.get('plain/0')!.positions.get('BTC-PERP')!.size).toBe(-(2n ** 55n));
    expect(read.subaccounts.get('plain/0')!.balances.get('USDC')).toBe(2n ** 60n);
    // an escaped name, a number in another spelling, a count that does not match: refused here
    const escaped = json.replace('"plain"', '"pl\\u0061in"');
    expect(() => readSubaccountRows(escaped, at, end + 5, dict)).toThrow(UnsplitTable);
    expect(() => readSubaccountRows(json.replace(',7,', ',7.0,'), at, end + 2, dict)).toThrow(UnsplitTable);
    expect(() => readSubaccountRows(json, at, end, { ...dict, count: 2 })).toThrow(UnsplitTable);
    // … and decoded by JSON.parse to the same state
    expect(stateHash(decodeSnapshot(escaped))).toBe(stateHash(state));
    expect(stateHash(decodeSnapshot(json.replace(',7,', ',7.0,')))).toBe(stateHash(state));
  });

  it('keeps a subaccount e-mode category (the table used to drop it)', () => {
    const state = stateWith([]);
    const s: Subaccount = {
      key: 'e/0',
      ref: { account: 'e', sub: '0' },
      balances: new InlineMap2([['USDC', 5n]]),
      positions: new InlineMap(),
      isolatedMarkets: NO_ISOLATED_MARKETS as Set<string>,
      maxLeverage: NO_LEVERAGE_CAPS as Map<string, bigint>,
      portfolioMargin: false,
      eModeCategory: 3,
    };
    state.subaccounts.set(s.key, s);
    const back = decodeSnapshot(encodeSnapshot(state));
    expect(back.subaccounts.get('e/0')!.eModeCategory).toBe(3);
    expect(stateHash(back)).toBe(stateHash(state));
  });

  it('reads format 3 row lists as JSON.parse does, and refuses every other spelling', () => {
    const rowLists = fc.array(fc.array(fc.integer({ min: 0, max: 2 ** 31 - 1 }), { maxLength: 8 }), {
      maxLength: 5,
    });
    fc.assert(
      fc.property(rowLists, fc.string({ maxLength: 4 }), (lists, pad) => {
        const text = JSON.stringify(lists);
        // the lists sit inside a larger text, as in a snapshot
        const json = `${pad}${text}${pad}`;
        const read = readRowLists(json, pad.length, pad.length + text.length);
        expect(read.map((l) => [...l])).toEqual(lists);
      }),
      { numRuns: propRuns(200) },
    );
    for (const bad of [
      '[[1,]]',
      '[[01]]',
      '[[2147483648]]',
      '[[1.5]]',
      '[[-1]]',
      '[1]',
      '[[1]',
      '[[1] ]',
      '[["1"]]',
      '[[1e2]]',
    ])
      expect(() => readRowLists(bad, 0, bad.length), bad).toThrow(UnsplitTable);
  });

  it('decodes a format 3 snapshot whose holder lists the text reader refuses through JSON.parse, to the same state', () => {
    const state = stateWith(
      [0, 1, 2].map((i) => btcHolder(`u${i}`, 5n, BigInt(i + 1))),
      3,
    );
    const json = encodeSnapshot(state);
    const raw = JSON.parse(json);
    const btc = raw.state.markets.findIndex(([id]: [string]) => id === 'BTC-PERP');
    expect(raw.holders[btc]).toHaveLength(3);
    // a holder named by its key (the encoder's spelling for a key it has no row for)
    const [first] = raw.holders[btc];
    const byKey = json.replace(
      JSON.stringify(raw.holders),
      JSON.stringify(
        raw.holders.map((l: number[], i: number) => (i === btc ? [`u${first}/0`, ...l.slice(1)] : l)),
      ),
    );
    expect(byKey).not.toBe(json);
    const back = decodeSnapshot(byKey);
    expect(stateHash(back)).toBe(stateHash(state));
  });
});
