/**
 * A columnar evaluator of Drift's maintenance figures (drift-arithmetic.ts) for many accounts at
 * once: the same integers, computed on doubles where every operand provably stays an exact
 * integer, for scans over a whole venue (a risk screen, a liquidation sweep, the peer bench).
 *
 * Why it is exact: every product is split so that no intermediate exceeds 2^53.
 * - |size| × price / 1e9 with size = hi·1e9 + lo: hi·price (checked ≤ 2^48 per market and price)
 *   + floor(lo·price / 1e9), the latter with lo = t1·K + t0, K = 31,250: floor((t1·price +
 *   floor(t0·price / K)) / 32,000) — exact because floor((N + f) / d) = floor(N / d) for an
 *   integer N and 0 ≤ f < 1; t1 < 32,000 and t0 < K keep both products below 2^53 for prices
 *   below 2^38 units (≈ $274,000 at Drift's 1e6; checked per market and evaluation).
 * - x × w / 1e4 (w ≤ 1e4): q·w + floor(r·w / 1e4) with x = q·1e4 + r.
 * - floor(a / d) for an exact integer a ≥ 0: the rounded quotient, corrected by its exact remainder.
 * Values and entries are at most 2^48 (≈ $281M), a PnL at most 2^49, and an account has at most
 * 8 positions and 8 balances, so every sum stays below 2^53. What does not fit (a price, a size, an entry beyond these bounds, another
 * asset precision than 9 decimals) is computed by the bigint path for that account.
 *
 * What is precomputed when the columns are built (functions of the state, not of prices): each
 * position's maintenance ratio at its size and at its two worst cases over resting orders (the
 * ratio depends on the size only), the per-order charges, each deposit's size-discounted weight.
 * The columns must be rebuilt when positions, balances, orders or configuration change; prices
 * are read at every evaluation.
 */

import { driftMarketParams } from '../model/drift-grid.ts';
import type { ReadonlyEngineState } from '../model/state.ts';
import {
  driftAccountFigures,
  driftMarginRatio,
  driftSpotWeight1e4,
  openOrderChargeQuote,
} from './drift-arithmetic.ts';
import { crossView } from './figures.ts';

const E9 = 1e9;
const E4 = 1e4;
/** lo = t1·K + t0 with K = 31,250 (a divisor of 1e9): t1 < 32,000 and t0 < K keep t·price below 2^53. */
const K = 31_250;
const TERM_MAX = 2 ** 48;
const PRICE_MAX = 2 ** 38;

/**
 * floor(a / d) for exact integers 0 ≤ a < 2^53, 0 < d: the rounded quotient corrected by its
 * remainder (q·d and a − q·d are exact: |q·d| ≤ a + d), cheaper than a remainder operation.
 */
function floorDiv(a: number, d: number): number {
  let q = Math.floor(a / d);
  const r = a - q * d;
  if (r < 0) q--;
  else if (r >= d) q++;
  return q;
}

/** floor(x · price / 1e9) for 0 ≤ x, hi = floor(x / 1e9) ≤ maxHi(price), price < 2^36. */
function mulPrice1e9(hi: number, lo: number, price: number): number {
  const t1 = floorDiv(lo, K);
  const t0 = lo - t1 * K;
  return hi * price + floorDiv(t1 * price + floorDiv(t0 * price, K), E9 / K);
}

/** floor(x · w / 1e4) for 0 ≤ x ≤ 2^50, 0 ≤ w ≤ 1e4. */
function mulWeight(x: number, w: number): number {
  const q = floorDiv(x, E4);
  return q * w + floorDiv((x - q * E4) * w, E4);
}

const split = (v: bigint): [number, number] => [Number(v / 1_000_000_000n), Number(v % 1_000_000_000n)];

export interface DriftColumns {
  readonly keys: readonly string[];
  /** Accounts the doubles cannot hold exactly: evaluated on the bigint path. */
  readonly bigintAccounts: number;
  /** Account a's positions are posStart[a] … posStart[a + 1] − 1 (its balances likewise, spotStart). */
  readonly posStart: Int32Array;
  readonly posMarket: Int32Array;
  readonly posSign: Int8Array;
  readonly posHi: Float64Array;
  readonly posLo: Float64Array;
  readonly posEntry: Float64Array;
  readonly posRatio: Float64Array;
  /** With resting orders: |size + bids| and |size − asks| (hi, lo), their ratios, the order charge. */
  readonly posOrders: Uint8Array;
  readonly bidHi: Float64Array;
  readonly bidLo: Float64Array;
  readonly bidRatio: Float64Array;
  readonly askHi: Float64Array;
  readonly askLo: Float64Array;
  readonly askRatio: Float64Array;
  readonly posCharge: Float64Array;
  /** Settlement balance per account (quote units). */
  readonly settlement: Float64Array;
  readonly spotStart: Int32Array;
  readonly spotAsset: Int32Array;
  readonly spotHi: Float64Array;
  readonly spotLo: Float64Array;
  readonly spotWeight: Float64Array;
  /** 1 when the account is evaluated by the bigint path. */
  readonly slow: Uint8Array;
  readonly marketIds: readonly string[];
  readonly assetIds: readonly string[];
  /** Per market: the PnL maintenance weight (1e4). */
  readonly pnlWeight: Float64Array;
}

/** Builds the columns of the cross scopes of `keys` (subaccount keys) from the engine state. */
export function buildDriftColumns(state: ReadonlyEngineState, keys: readonly string[]): DriftColumns {
  const marketIds = [...state.markets.keys()];
  const marketIndex = new Map(marketIds.map((id, i) => [id, i]));
  const assetIds = [...state.assets.keys()].filter((a) => a !== state.settlement.id);
  const assetIndex = new Map(assetIds.map((id, i) => [id, i]));
  const pnlWeight = new Float64Array(marketIds.length);
  marketIds.forEach((id, i) => {
    pnlWeight[i] = Number(driftMarketParams(state.markets.get(id)!.config).pnlMaintenance1e4);
  });
  const charge = openOrderChargeQuote(state);
  // The settlement balance counts at its face value only at weight 1 without a size discount.
  const st = state.settlement;
  const plainSettlement =
    st.maintenanceWeight === 1_000_000n && st.sizeHaircutFactor === 0n && !st.yieldBearing;
  const n = keys.length;
  let nPos = 0;
  let nSpot = 0;
  for (const k of keys) {
    const sub = state.subaccounts.get(k)!;
    nPos += sub.positions.size + (state.ordersBySub.get(k)?.size ?? 0);
    nSpot += sub.balances.size;
  }
  const posStart = new Int32Array(n + 1);
  const posMarket = new Int32Array(nPos);
  const posSign = new Int8Array(nPos);
  const posHi = new Float64Array(nPos);
  const posLo = new Float64Array(nPos);
  const posEntry = new Float64Array(nPos);
  const posRatio = new Float64Array(nPos);
  const posOrders = new Uint8Array(nPos);
  const bidHi = new Float64Array(nPos);
  const bidLo = new Float64Array(nPos);
  const bidRatio = new Float64Array(nPos);
  const askHi = new Float64Array(nPos);
  const askLo = new Float64Array(nPos);
  const askRatio = new Float64Array(nPos);
  const posCharge = new Float64Array(nPos);
  const settlement = new Float64Array(n);
  const spotStart = new Int32Array(n + 1);
  const spotAsset = new Int32Array(nSpot);
  const spotHi = new Float64Array(nSpot);
  const spotLo = new Float64Array(nSpot);
  const spotWeight = new Float64Array(nSpot);
  const slow = new Uint8Array(n);
  const big = (v: bigint) => v > BigInt(TERM_MAX) || v < -BigInt(TERM_MAX);
  // Sizes are held as whole units (hi) and a remainder; hi·price is bounded at evaluation.
  const hiUnsafe = (v: bigint) =>
    v > BigInt(TERM_MAX) * 1_000_000_000n || v < -BigInt(TERM_MAX) * 1_000_000_000n;
  let p = 0;
  let s = 0;
  let bigintAccounts = 0;
  for (let a = 0; a < n; a++) {
    const key = keys[a]!;
    const sub = state.subaccounts.get(key)!;
    posStart[a] = p;
    spotStart[a] = s;
    let isSlow = sub.positions.size > 8 || sub.balances.size > 8 || !plainSettlement;
    // Resting orders per market.
    const orders = new Map<string, { bids: bigint; asks: bigint; count: number }>();
    for (const o of state.ordersBySub.get(key)?.values() ?? []) {
      const t = orders.get(o.market) ?? { bids: 0n, asks: 0n, count: 0 };
      if (o.side === 'buy') t.bids += o.size;
      else t.asks += o.size;
      t.count++;
      orders.set(o.market, t);
    }
    const add = (market: string, size: bigint, entry: bigint) => {
      const params = driftMarketParams(state.markets.get(market)!.config);
      const abs = size < 0n ? -size : size;
      posMarket[p] = marketIndex.get(market)!;
      posSign[p] = size < 0n ? -1 : size > 0n ? 1 : 0;
      [posHi[p], posLo[p]] = split(abs);
      posEntry[p] = Number(entry);
      posRatio[p] = Number(driftMarginRatio(params, abs, 'maintenance', 0n));
      if (big(entry) || hiUnsafe(abs)) isSlow = true;
      const o = orders.get(market);
      if (o) {
        const bids = size + o.bids;
        const asks = size - o.asks;
        const ab = bids < 0n ? -bids : bids;
        const aa = asks < 0n ? -asks : asks;
        posOrders[p] = 1;
        [bidHi[p], bidLo[p]] = split(ab);
        [askHi[p], askLo[p]] = split(aa);
        bidRatio[p] = Number(driftMarginRatio(params, ab, 'maintenance', 0n));
        askRatio[p] = Number(driftMarginRatio(params, aa, 'maintenance', 0n));
        posCharge[p] = Number(BigInt(o.count) * charge);
        if (hiUnsafe(ab) || hiUnsafe(aa)) isSlow = true;
      }
      p++;
    };
    for (const pos of sub.positions.values()) {
      if (pos.isolated || pos.size === 0n) continue;
      add(pos.market, pos.size, pos.entryValue);
    }
    for (const m of orders.keys()) {
      const held = sub.positions.get(m);
      if (held === undefined || held.size === 0n || held.isolated) add(m, 0n, 0n);
    }
    for (const [asset, token] of sub.balances) {
      if (asset === state.settlement.id) {
        settlement[a] = Number(token);
        if (big(token)) isSlow = true;
        continue;
      }
      if (token === 0n) continue;
      const cfg = state.assets.get(asset)!;
      if (token < 0n || cfg.decimals !== 9 || cfg.yieldBearing) isSlow = true;
      spotAsset[s] = assetIndex.get(asset)!;
      [spotHi[s], spotLo[s]] = split(token < 0n ? -token : token);
      spotWeight[s] = token > 0n ? Number(driftSpotWeight1e4(cfg, token, 'maintenance', 0n, false)) : 0;
      if (hiUnsafe(token)) isSlow = true;
      s++;
    }
    if (isSlow) {
      slow[a] = 1;
      bigintAccounts++;
    }
  }
  posStart[n] = p;
  spotStart[n] = s;
  return {
    keys,
    bigintAccounts,
    posStart,
    posMarket,
    posSign,
    posHi,
    posLo,
    posEntry,
    posRatio,
    posOrders,
    bidHi,
    bidLo,
    bidRatio,
    askHi,
    askLo,
    askRatio,
    posCharge,
    settlement,
    spotStart,
    spotAsset,
    spotHi,
    spotLo,
    spotWeight,
    slow,
    marketIds,
    assetIds,
    pnlWeight,
  };
}

/** Where the figures of an evaluation go: doubles for the exact fast path, bigints for the rest. */
export interface DriftColumnResults {
  readonly mr: Float64Array;
  readonly tc: Float64Array;
  /** Accounts evaluated on the bigint path (their `mr` and `tc` entries are NaN). */
  readonly big: Map<number, { mr: bigint; tc: bigint }>;
}

export function driftColumnResults(cols: DriftColumns): DriftColumnResults {
  const n = cols.keys.length;
  return { mr: new Float64Array(n), tc: new Float64Array(n), big: new Map() };
}

/** Account `i`'s figures as bigints, whichever path computed them. */
export function driftColumnResult(r: DriftColumnResults, i: number): { mr: bigint; tc: bigint } {
  return r.big.get(i) ?? { mr: BigInt(r.mr[i]!), tc: BigInt(r.tc[i]!) };
}

/**
 * Drift maintenance requirement and total collateral (resting orders included) of every account
 * of `cols` at the state's current prices, into `out`. Returns how many accounts took the
 * bigint path.
 */
export function evaluateDriftColumns(
  state: ReadonlyEngineState,
  cols: DriftColumns,
  out: DriftColumnResults,
): number {
  const { mr, tc, big } = out;
  big.clear();
  // Per-market constants of this evaluation: the price on Drift's grid and the largest whole
  // size whose value stays below 2^50 (0 = the price itself is out of bounds).
  const nm = cols.marketIds.length;
  const price = new Float64Array(nm);
  const maxHi = new Float64Array(nm);
  for (let i = 0; i < nm; i++) {
    const px8 = state.markets.get(cols.marketIds[i]!)!.markPx8;
    const p = px8 === undefined ? 0 : Number(px8 / 100n);
    price[i] = p;
    maxHi[i] = p > 0 && p < PRICE_MAX ? Math.floor(TERM_MAX / p) : -1;
  }
  const na = cols.assetIds.length;
  const aPrice = new Float64Array(na);
  const aMaxHi = new Float64Array(na);
  for (let i = 0; i < na; i++) {
    const px8 = state.assetPricesPx8.get(cols.assetIds[i]!);
    const p = px8 === undefined ? 0 : Number(px8 / 100n);
    aPrice[i] = p;
    aMaxHi[i] = p > 0 && p < PRICE_MAX ? Math.floor(TERM_MAX / p) : -1;
  }
  const { posStart, posMarket, posSign, posHi, posLo, posEntry, posRatio, posOrders, pnlWeight } = cols;
  const { bidHi, bidLo, bidRatio, askHi, askLo, askRatio, posCharge } = cols;
  const { spotStart, spotAsset, spotHi, spotLo, spotWeight, settlement, slow } = cols;
  let slowCount = 0;
  const n = cols.keys.length;
  for (let a = 0; a < n; a++) {
    let ok = slow[a] === 0;
    let req = 0;
    let coll = 0;
    if (ok) {
      for (let i = posStart[a]!, end = posStart[a + 1]!; i < end; i++) {
        const m = posMarket[i]!;
        const P = price[m]!;
        const lim = maxHi[m]!;
        const hi = posHi[i]!;
        if (hi > lim) {
          ok = false;
          break;
        }
        const value = mulPrice1e9(hi, posLo[i]!, P);
        if (posOrders[i] === 1) {
          if (bidHi[i]! > lim || askHi[i]! > lim) {
            ok = false;
            break;
          }
          const lb = mulPrice1e9(bidHi[i]!, bidLo[i]!, P);
          const la = mulPrice1e9(askHi[i]!, askLo[i]!, P);
          req += la >= lb ? mulWeight(la, askRatio[i]!) : mulWeight(lb, bidRatio[i]!);
          req += posCharge[i]!;
        } else {
          req += mulWeight(value, posRatio[i]!);
        }
        const pnl = (posSign[i]! < 0 ? -value : value) - posEntry[i]!;
        coll += pnl > 0 ? mulWeight(pnl, pnlWeight[m]!) : pnl;
      }
    }
    if (ok) {
      for (let i = spotStart[a]!, end = spotStart[a + 1]!; i < end; i++) {
        const s = spotAsset[i]!;
        if (spotHi[i]! > aMaxHi[s]!) {
          ok = false;
          break;
        }
        coll += mulWeight(mulPrice1e9(spotHi[i]!, spotLo[i]!, aPrice[s]!), spotWeight[i]!);
      }
      // Settlement at weight 1 (validated on Drift's grid: a settlement weight below 1 takes the bigint path).
      coll += settlement[a]!;
    }
    if (!ok) {
      slowCount++;
      const sub = state.subaccounts.get(cols.keys[a]!)!;
      const f = driftAccountFigures(state, crossView(sub), 'maintenance', true);
      mr[a] = Number.NaN;
      tc[a] = Number.NaN;
      big.set(a, { mr: f.marginRequirementQuote, tc: f.totalCollateralQuote });
      continue;
    }
    mr[a] = req;
    tc[a] = coll;
  }
  return slowCount;
}
