/**
 * JSON codec for events and snapshots, on the shared bigint-safe JSON (num/json.ts).
 */

import { createMarginModel } from '../margin/models.ts';
import { HolderSet } from '../model/holder-set.ts';
import { InlineMap, InlineMap2 } from '../model/inline-map.ts';
import {
  type EngineState,
  type MarketState,
  NO_ISOLATED_MARKETS,
  NO_LEVERAGE_CAPS,
  type ReadonlyEngineState,
  type ReadonlyMarketState,
  type ReadonlySubaccount,
  type Subaccount,
} from '../model/state.ts';
import { InvariantError } from '../num/index.ts';
import { fromJson, toJson } from '../num/json.ts';
import { decodeOracleState, oracleStateToPlain } from '../oracle/codec.ts';
import { templateEventJson } from './event-json.ts';
import type { EngineEvent } from './events.ts';
import { addOrder } from './evolve.ts';
import { decodeSnapshotTable, encodeSubaccounts, type TableOptions } from './subaccount-table.ts';

export { fromJson, toJson };

/** `toJson(e)`; a fill's events ('traded', 'moved') by a template that writes the same text (event-json.ts). */
export const encodeEvent = (e: EngineEvent): string => templateEventJson(e) ?? toJson(e);
export const decodeEvent = (json: string): EngineEvent => fromJson<EngineEvent>(json);

const sorted = <V>(m: ReadonlyMap<string, V>): [string, V][] =>
  [...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

/** A plain, canonically ordered picture of the state (maps become sorted entry lists). */
export function stateToPlain(s: ReadonlyEngineState): unknown {
  const sub = (x: ReadonlySubaccount) => ({
    key: x.key,
    ref: x.ref,
    balances: sorted(x.balances),
    positions: sorted(x.positions),
    isolatedMarkets: [...x.isolatedMarkets].sort(),
    maxLeverage: sorted(x.maxLeverage),
    // only when set, so states of engines without portfolio accounts hash as they always did
    ...(x.portfolioMargin ? { portfolioMargin: true } : {}),
    ...(x.eModeCategory ? { eModeCategory: x.eModeCategory } : {}),
  });
  // Subaccount insertion order matters for nothing but is kept for the snapshot round trip.
  return plainState(s, [...s.subaccounts.values()].map(sub), (m) => [...m.holders]);
}

/** The plain state with the given subaccounts field and holder lists. */
function plainState(
  s: ReadonlyEngineState,
  subaccounts: unknown,
  holders: (m: ReadonlyMarketState) => unknown[] | undefined,
): Record<string, unknown> {
  const market = (m: ReadonlyMarketState) => ({
    config: m.config,
    markPx8: m.markPx8 ?? null,
    fundingIndex: m.fundingIndex,
    // lazy funding only, so other states hash as they always did
    ...(m.fundingIndexShort !== undefined ? { fundingIndexShort: m.fundingIndexShort } : {}),
    ...(m.fundingPool !== undefined ? { fundingPool: m.fundingPool } : {}),
    lastFundingRate9: m.lastFundingRate9,
    lastFundingMs: m.lastFundingMs,
    openInterestQty9: m.openInterestQty9,
    holders: holders(m),
    settledPx8: m.settledPx8 ?? null,
    liquidationsPaused: m.liquidationsPaused,
    // only when set: snapshots of markets never forced stay as they were
    ...(m.safeModeForced ? { safeModeForced: true } : {}),
    oracle: m.oracle ? { config: m.oracle.config, state: oracleStateToPlain(m.oracle.state) } : null,
  });
  return {
    config: s.config,
    seq: s.seq,
    timeMs: s.timeMs,
    settlement: s.settlement,
    assets: sorted(s.assets),
    markets: sorted(s.markets).map(([k, m]) => [k, market(m)]),
    assetPricesPx8: sorted(s.assetPricesPx8),
    exchangeRates18: sorted(s.exchangeRates18),
    subaccounts,
    insurance: sorted(s.insurance),
    feePool: s.feePool,
    socializedLedger: s.socializedLedger,
    netDeposits: sorted(s.netDeposits),
    policy: s.policy,
    guards: s.guards,
    accountWindows: sorted(s.accountWindows),
    marketWindows: sorted(s.marketWindows),
    lastPartialMs: sorted(s.lastPartialMs),
    // only when used, so states of policies without a time-ramped penalty or an insurance-loss
    // cap hash as they always did
    ...(s.liquidationStartMs && s.liquidationStartMs.size > 0
      ? { liquidationStartMs: sorted(s.liquidationStartMs) }
      : {}),
    ...(s.insuranceLossWindows && s.insuranceLossWindows.size > 0
      ? { insuranceLossWindows: sorted(s.insuranceLossWindows) }
      : {}),
    ...(s.portfolio ? { portfolio: s.portfolio } : {}),
    // oldest first (the order decides which id is forgotten next); only when used, so states
    // of engines whose commands carry no ids hash as they always did
    ...(s.commandIds.size > 0 ? { commandIds: [...s.commandIds] } : {}),
    // resting orders in the order they were placed (it decides which reduce-only order is
    // trimmed first); only when there are some, so states without orders hash as they always did
    ...(s.orders.size > 0 ? { orders: [...s.orders.values()].map((o) => ({ ...o })) } : {}),
    // interest-bearing assets only when some asset bears interest; scaled balances in the order
    // subaccounts first held the asset (replay reproduces it)
    ...(s.interest && s.interest.size > 0
      ? {
          interest: sorted(s.interest).map(([k, i]) => [
            k,
            {
              depositIndex: i.depositIndex,
              borrowIndex: i.borrowIndex,
              borrowRate: i.borrowRate,
              depositRate: i.depositRate,
              scaled: [...i.scaled],
            },
          ]),
        }
      : {}),
  };
}

/**
 * Hash of the canonical state: two independent 32-bit FNV-1a lanes (different
 * offset bases) over the canonical JSON. Equal hashes after replay show equal state;
 * it is a check, not a cryptographic commitment.
 */
export function stateHash(s: ReadonlyEngineState): string {
  return textHash(toJson(stateToPlain(s)));
}

/** The two-lane FNV-1a hash of a text (16 hex digits): state hashes and command digests. */
export function textHash(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 15);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

/** First characters of a compact snapshot (format 2: holders in the markets' plain form). */
const FORMAT_2 = '{"format":"plimsoll-snapshot/2",';
/** First characters of a compact snapshot (format 3: holders after the plain part, as row lists). */
const FORMAT_3 = '{"format":"plimsoll-snapshot/3",';

/**
 * The state as a snapshot string (format 3): the plain form (stateToPlain) for everything but
 * the subaccounts, which are written as a compact table (./subaccount-table.ts), and the
 * markets' holders, written as lists of row numbers of that table, one per market in the plain
 * form's market order, between the two. A million subaccounts fit in one string and decode
 * without a reviver; `decodeSnapshot` reads this, format 2 and the older all-plain form.
 *
 * Why the holders left the markets' plain form (format 2 had them there): at a million
 * accounts they are 4 M row numbers, 27 MB of the plain part, which was copied and JSON.parse'd
 * into arrays (then walked for bigints) only to be read once; read from the text straight into
 * number lists (./subaccount-text.ts readRowLists) the plain part is a few KB.
 */
export function encodeSnapshot(s: ReadonlyEngineState, opts: TableOptions = {}): string {
  const { table, order } = encodeSubaccounts(s.subaccounts.values(), opts);
  const header = plainState(s, undefined, () => undefined);
  delete header.subaccounts;
  const parts: string[] = [FORMAT_3, '"state":', toJson(header), ',"holders":['];
  sorted(s.markets).forEach(([, m], i) => {
    parts.push(i === 0 ? '' : ',', JSON.stringify([...m.holders].map((k) => order.get(k) ?? k)));
  });
  parts.push(
    ']',
    ',"subaccounts":',
    JSON.stringify({
      assets: table.assets,
      markets: table.markets,
      subs: table.subs,
      count: table.count,
      ...(table.emode ? { emode: table.emode } : {}),
    }).slice(0, -1),
    ',"chunks":[',
  );
  for (let i = 0; i < table.chunks.length; i++)
    parts.push(i === 0 ? '' : ',', JSON.stringify(table.chunks[i]));
  parts.push(']}}');
  return parts.join('');
}

/** fromJson's bigint revival on an already parsed value ({"$n": "…"} → bigint). */
function reviveBigints(v: unknown): unknown {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = reviveBigints(v[i]);
    return v;
  }
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && keys[0] === '$n' && typeof o.$n === 'string') return BigInt(o.$n);
    for (const k of keys) o[k] = reviveBigints(o[k]);
  }
  return v;
}

/** A market's decoded holders; each must hold a position in the market. */
function holderSet(market: string, subaccounts: Map<string, Subaccount>, subs: Subaccount[]): HolderSet {
  const set = HolderSet.fromList(market, (k) => subaccounts.get(k), subs);
  if (set === undefined) throw new InvariantError(`snapshot: a holder of ${market} has no position in it`);
  return set;
}

export function decodeSnapshot(json: string): EngineState {
  // biome-ignore lint/suspicious/noExplicitAny: a decoded snapshot is checked field by field below
  let p: any;
  let subaccounts: Map<string, Subaccount>;
  let holdersOf: (market: string, list: unknown) => HolderSet;
  // Format 3's holder lists, one per market in the plain form's order (format 2 has them in the markets).
  let holderLists: unknown[] | undefined;
  const format = json.startsWith(FORMAT_3) ? 3 : json.startsWith(FORMAT_2) ? 2 : undefined;
  if (format !== undefined) {
    // The header parsed, the subaccounts read straight from the text (./subaccount-table.ts).
    const decoded = decodeSnapshotTable(json, 'text', format);
    // biome-ignore lint/suspicious/noExplicitAny: see above
    p = reviveBigints((decoded.head as any)?.state);
    if (typeof p?.seq !== 'number' || !Array.isArray(p.markets))
      throw new InvariantError('not a Plimsoll snapshot');
    if (format === 3) {
      if (!Array.isArray(decoded.holders) || decoded.holders.length !== p.markets.length)
        throw new InvariantError('snapshot: holder lists do not match the markets');
      holderLists = decoded.holders;
    }
    subaccounts = decoded.subaccounts;
    const keys = decoded.keys;
    // The holders by row: each row's subaccount, in the order the rows were read.
    const byRow = [...subaccounts.values()];
    if (byRow.length !== keys.length) throw new InvariantError('snapshot: duplicate subaccount keys');
    const listed = new Uint8Array(byRow.length);
    // The encoder writes row numbers; a key is accepted too (looked up through one map of rows).
    let rowOfKey: Map<string, number> | undefined;
    const rowOf = (k: string) => (rowOfKey ??= new Map(keys.map((x, i) => [x, i]))).get(k) ?? -1;
    holdersOf = (market, list) => {
      // format 2: a parsed array; format 3: rows read from the text (or a parsed array if it was parsed whole)
      if (!Array.isArray(list) && !(list instanceof Int32Array))
        throw new InvariantError(`snapshot: bad holders of ${market}`);
      listed.fill(0);
      const subs = new Array<Subaccount>(list.length);
      for (let i = 0; i < list.length; i++) {
        const h = list[i];
        const row = typeof h === 'number' ? h : typeof h === 'string' ? rowOf(h) : -1;
        if (!Number.isInteger(row) || row < 0 || row >= byRow.length || listed[row] !== 0)
          throw new InvariantError(`snapshot: bad holder ${String(h)} of ${market}`);
        listed[row] = 1;
        subs[i] = byRow[row]!;
      }
      return holderSet(market, subaccounts, subs);
    };
  } else {
    p = fromJson(json);
    if (typeof p.seq !== 'number' || !Array.isArray(p.subaccounts))
      throw new InvariantError('not a Plimsoll snapshot');
    subaccounts = new Map<string, Subaccount>();
    // biome-ignore lint/suspicious/noExplicitAny: see above
    for (const x of p.subaccounts as any[]) {
      subaccounts.set(x.key, {
        key: x.key,
        ref: x.ref,
        balances: new InlineMap2(x.balances),
        positions: new InlineMap(x.positions),
        isolatedMarkets:
          x.isolatedMarkets.length > 0 ? new Set(x.isolatedMarkets) : (NO_ISOLATED_MARKETS as Set<string>),
        maxLeverage:
          x.maxLeverage.length > 0 ? new Map(x.maxLeverage) : (NO_LEVERAGE_CAPS as Map<string, bigint>),
        portfolioMargin: x.portfolioMargin === true,
        ...(typeof x.eModeCategory === 'number' ? { eModeCategory: x.eModeCategory } : {}),
      });
    }
    holdersOf = (market, list) => {
      if (!Array.isArray(list)) throw new InvariantError(`snapshot: bad holders of ${market}`);
      const subs = list.map((k) => subaccounts.get(k as string));
      if (new Set(subs).size !== subs.length || subs.some((x) => x === undefined))
        throw new InvariantError(`snapshot: bad holders of ${market}`);
      return holderSet(market, subaccounts, subs as Subaccount[]);
    };
  }
  const markets = new Map<string, MarketState>();
  // biome-ignore lint/suspicious/noExplicitAny: see above
  for (const [i, [id, m]] of (p.markets as [string, any][]).entries()) {
    markets.set(id, {
      config: m.config,
      model: createMarginModel(m.config.margin, p.settlement.decimals),
      markPx8: m.markPx8 ?? undefined,
      fundingIndex: m.fundingIndex,
      ...(m.fundingIndexShort !== undefined ? { fundingIndexShort: m.fundingIndexShort } : {}),
      ...(m.fundingPool !== undefined ? { fundingPool: m.fundingPool } : {}),
      lastFundingRate9: m.lastFundingRate9,
      lastFundingMs: m.lastFundingMs,
      openInterestQty9: m.openInterestQty9,
      holders: holdersOf(id, holderLists === undefined ? m.holders : holderLists[i]),
      settledPx8: m.settledPx8 ?? undefined,
      liquidationsPaused: m.liquidationsPaused,
      safeModeForced: m.safeModeForced === true,
      // the oracle codec revives its own Maps from its plain form
      oracle: m.oracle
        ? { config: m.oracle.config, state: decodeOracleState(toJson(m.oracle.state)) }
        : undefined,
    });
  }
  const state: EngineState = {
    config: p.config,
    seq: p.seq,
    timeMs: p.timeMs,
    settlement: p.settlement,
    assets: new Map(p.assets),
    markets,
    assetPricesPx8: new Map(p.assetPricesPx8),
    exchangeRates18: new Map(p.exchangeRates18),
    subaccounts,
    insurance: new Map(p.insurance),
    feePool: p.feePool,
    socializedLedger: p.socializedLedger,
    netDeposits: new Map(p.netDeposits),
    policy: p.policy,
    guards: p.guards,
    accountWindows: new Map(p.accountWindows),
    marketWindows: new Map(p.marketWindows),
    lastPartialMs: new Map(p.lastPartialMs ?? []),
    ...(p.liquidationStartMs ? { liquidationStartMs: new Map(p.liquidationStartMs) } : {}),
    ...(p.insuranceLossWindows ? { insuranceLossWindows: new Map(p.insuranceLossWindows) } : {}),
    commandIds: new Map(p.commandIds ?? []),
    orders: new Map(),
    ordersBySub: new Map(),
    ...(p.portfolio ? { portfolio: p.portfolio } : {}),
    ...(Array.isArray(p.interest)
      ? {
          interest: new Map(
            // biome-ignore lint/suspicious/noExplicitAny: see above
            (p.interest as [string, any][]).map(([k, i]) => [
              k,
              {
                depositIndex: i.depositIndex,
                borrowIndex: i.borrowIndex,
                borrowRate: i.borrowRate,
                depositRate: i.depositRate,
                scaled: new Map(i.scaled),
              },
            ]),
          ),
        }
      : {}),
  };
  // biome-ignore lint/suspicious/noExplicitAny: see above
  for (const o of (p.orders ?? []) as any[])
    addOrder(state, {
      id: o.id,
      sub: o.sub,
      market: o.market,
      side: o.side,
      size: o.size,
      pricePx8: o.pricePx8,
      reduceOnly: o.reduceOnly === true,
    });
  return state;
}
