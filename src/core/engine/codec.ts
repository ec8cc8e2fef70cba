/**
 * JSON codec for events and snapshots, on the shared bigint-safe JSON (num/json.ts).
 */

import { createMarginModel } from '../margin/models.ts';
import type {
  EngineState,
  MarketState,
  ReadonlyEngineState,
  ReadonlyMarketState,
  ReadonlySubaccount,
  Subaccount,
} from '../model/state.ts';
import { InvariantError } from '../num/index.ts';
import { fromJson, toJson } from '../num/json.ts';
import { decodeOracleState, oracleStateToPlain } from '../oracle/codec.ts';
import type { EngineEvent } from './events.ts';
import { addOrder } from './evolve.ts';

export { fromJson, toJson };

export const encodeEvent = (e: EngineEvent): string => toJson(e);
export const decodeEvent = (json: string): EngineEvent => fromJson<EngineEvent>(json);

/** A plain, canonically ordered picture of the state (maps become sorted entry lists). */
export function stateToPlain(s: ReadonlyEngineState): unknown {
  const sorted = <V>(m: ReadonlyMap<string, V>): [string, V][] =>
    [...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const sub = (x: ReadonlySubaccount) => ({
    key: x.key,
    ref: x.ref,
    balances: sorted(x.balances),
    positions: sorted(x.positions),
    isolatedMarkets: [...x.isolatedMarkets].sort(),
    maxLeverage: sorted(x.maxLeverage),
    // only when set, so states of engines without portfolio accounts hash as they always did
    ...(x.portfolioMargin ? { portfolioMargin: true } : {}),
  });
  const market = (m: ReadonlyMarketState) => ({
    config: m.config,
    markPx8: m.markPx8 ?? null,
    fundingIndex: m.fundingIndex,
    lastFundingRate9: m.lastFundingRate9,
    lastFundingMs: m.lastFundingMs,
    openInterestQty9: m.openInterestQty9,
    holders: [...m.holders],
    settledPx8: m.settledPx8 ?? null,
    liquidationsPaused: m.liquidationsPaused,
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
    // Subaccount insertion order matters for nothing but is kept for the snapshot round trip.
    subaccounts: [...s.subaccounts.values()].map(sub),
    insurance: sorted(s.insurance),
    feePool: s.feePool,
    socializedLedger: s.socializedLedger,
    netDeposits: sorted(s.netDeposits),
    policy: s.policy,
    guards: s.guards,
    accountWindows: sorted(s.accountWindows),
    marketWindows: sorted(s.marketWindows),
    lastPartialMs: sorted(s.lastPartialMs),
    ...(s.portfolio ? { portfolio: s.portfolio } : {}),
    // oldest first (the order decides which id is forgotten next); only when used, so states
    // of engines whose commands carry no ids hash as they always did
    ...(s.commandIds.size > 0 ? { commandIds: [...s.commandIds] } : {}),
    // resting orders in the order they were placed (it decides which reduce-only order is
    // trimmed first); only when there are some, so states without orders hash as they always did
    ...(s.orders.size > 0 ? { orders: [...s.orders.values()].map((o) => ({ ...o })) } : {}),
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

export function encodeSnapshot(s: ReadonlyEngineState): string {
  return toJson(stateToPlain(s));
}

export function decodeSnapshot(json: string): EngineState {
  // biome-ignore lint/suspicious/noExplicitAny: a decoded snapshot is checked field by field below
  const p = fromJson<any>(json);
  if (typeof p.seq !== 'number' || !Array.isArray(p.subaccounts))
    throw new InvariantError('not a Plimsoll snapshot');
  const markets = new Map<string, MarketState>();
  // biome-ignore lint/suspicious/noExplicitAny: see above
  for (const [id, m] of p.markets as [string, any][]) {
    markets.set(id, {
      config: m.config,
      model: createMarginModel(m.config.margin, p.settlement.decimals),
      markPx8: m.markPx8 ?? undefined,
      fundingIndex: m.fundingIndex,
      lastFundingRate9: m.lastFundingRate9,
      lastFundingMs: m.lastFundingMs,
      openInterestQty9: m.openInterestQty9,
      holders: new Set(m.holders),
      settledPx8: m.settledPx8 ?? undefined,
      liquidationsPaused: m.liquidationsPaused,
      // the oracle codec revives its own Maps from its plain form
      oracle: m.oracle
        ? { config: m.oracle.config, state: decodeOracleState(toJson(m.oracle.state)) }
        : undefined,
    });
  }
  const subaccounts = new Map<string, Subaccount>();
  // biome-ignore lint/suspicious/noExplicitAny: see above
  for (const x of p.subaccounts as any[]) {
    subaccounts.set(x.key, {
      key: x.key,
      ref: x.ref,
      balances: new Map(x.balances),
      positions: new Map(x.positions),
      isolatedMarkets: new Set(x.isolatedMarkets),
      maxLeverage: new Map(x.maxLeverage),
      portfolioMargin: x.portfolioMargin === true,
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
    commandIds: new Map(p.commandIds ?? []),
    orders: new Map(),
    ordersBySub: new Map(),
    ...(p.portfolio ? { portfolio: p.portfolio } : {}),
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
