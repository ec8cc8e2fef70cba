/**
 * Cross-partition auto-deleveraging: the pure half of the protocol (docs/cluster.md, "ADL and
 * socialized loss across partitions").
 *
 * A partition's engine runs the bankruptcy waterfall among its own accounts; what its own ADL
 * queue cannot take it closes, at the bankruptcy value, to a fresh subaccount of the partition's
 * ADL clearing account (engine config `adlClearing`, here `cluster-adl`): the bankrupt position is
 * closed exactly as in a single process, and the clearing subaccount holds the quantity still to
 * be deleveraged. The coordinator then moves that quantity to the top-ranked opposite positions
 * in every partition (the engine's own ADL order, core/liquidation/adl.ts `adlQueue`, so a
 * position's place is the one it would have in a single process): each leg is a pair of
 * `adl_leg` commands, one in the counterparty's partition (its position reduced by q at the
 * bankruptcy value, the partition's pair subaccount `cluster-adl/0` taking the other side) and
 * one in the bankrupt's partition (the clearing subaccount's position reduced by the same q at
 * the same value, against that partition's pair subaccount). The two pair subaccounts end with
 * equal and opposite positions at the same value: per market, Σ over the cluster is zero.
 *
 * Pure: no I/O.
 */
import { adlQueue } from '../core/liquidation/adl.ts';
import type { ReadonlyEngineState } from '../core/model/state.ts';
import { mulDiv } from '../core/num/index.ts';
import { ADL_CLEARING_ACCOUNT, ADL_PAIR_SUB } from './partition.ts';

export { ADL_CLEARING_ACCOUNT, ADL_PAIR_SUB };

/** The side of the bankrupt position (its counterparties are on the other side). */
export type BankruptSide = 'long' | 'short';

/** One counterparty a partition offers, with its place in the engine's ADL order. */
export interface AdlRank {
  readonly partition: number;
  readonly account: string;
  readonly sub: string;
  /** The engine's ranking score (larger goes first), an integer as a decimal string. */
  readonly score: string;
  /** |position| in base units at 9 decimals (what ADL may close), an integer string > 0. */
  readonly size: string;
}

/** A planned leg: close `size` (qty9) of one counterparty's position for `value` settlement units. */
export interface AdlLeg {
  readonly partition: number;
  readonly account: string;
  readonly sub: string;
  readonly size: bigint;
  readonly value: bigint;
}

/**
 * The counterparties a partition publishes for a bankrupt `side` position in `market`: the
 * engine's ADL queue (profitable opposing positions, best first) with their sizes. Reserved
 * accounts (the cover account, the clearing account) are never offered; an unknown market or one
 * without a mark offers nobody.
 */
export function publishRanks(
  state: ReadonlyEngineState,
  partition: number,
  market: string,
  side: BankruptSide,
  reserved: ReadonlySet<string> = new Set(),
): AdlRank[] {
  const m = state.markets.get(market);
  if (!m || m.markPx8 === undefined) return [];
  const out: AdlRank[] = [];
  for (const c of adlQueue(state, m, side === 'long' ? 1n : -1n, '', state.policy.adlRanking)) {
    const s = state.subaccounts.get(c.sub)!;
    if (reserved.has(s.ref.account) || s.ref.account === ADL_CLEARING_ACCOUNT) continue;
    out.push({
      partition,
      account: s.ref.account,
      sub: s.ref.sub,
      score: String(c.score),
      size: String(c.available),
    });
  }
  return out;
}

/** Best first: higher score; equal scores by partition, then account, then subaccount. */
export function compareRanks(a: AdlRank, b: AdlRank): number {
  const sa = BigInt(a.score);
  const sb = BigInt(b.score);
  if (sa !== sb) return sa > sb ? -1 : 1;
  if (a.partition !== b.partition) return a.partition - b.partition;
  if (a.account !== b.account) return a.account < b.account ? -1 : 1;
  return a.sub < b.sub ? -1 : a.sub > b.sub ? 1 : 0;
}

/**
 * The legs that place `size` (qty9) of a clearing position worth `value` (its entry value, the
 * bankruptcy value; settlement units, unsigned) with the merged ranks, best first, each at most
 * the counterparty's size: Σ sizes = min(size, Σ rank sizes). Values pro rata to size, rounded
 * half-even as the engine's waterfall rounds its ADL legs; a plan that places all of `size` gives
 * its last leg the rest of `value`, so Σ values = value. Deterministic for a given multiset of
 * ranks (the order they arrive in does not matter).
 */
export function planAdl(ranks: readonly AdlRank[], size: bigint, value: bigint): AdlLeg[] {
  const legs: AdlLeg[] = [];
  if (size <= 0n) return legs;
  let left = size;
  let valueLeft = value;
  for (const r of [...ranks].sort(compareRanks)) {
    if (left <= 0n) break;
    const available = BigInt(r.size);
    if (available <= 0n) continue;
    const q = available < left ? available : left;
    const v = q === left ? valueLeft : mulDiv(value, q, size, 'halfEven');
    legs.push({ partition: r.partition, account: r.account, sub: r.sub, size: q, value: v });
    left -= q;
    valueLeft -= v;
  }
  return legs;
}
