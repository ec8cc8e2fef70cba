/**
 * Cross-partition auto-deleveraging: the pure half of the protocol (docs/cluster.md, "ADL and
 * socialized loss across partitions").
 *
 * A partition's engine runs the whole bankruptcy waterfall among its own accounts; what it still
 * writes off (its socialized-loss ledger) goes to the coordinator, which pays from the cluster's
 * insurance fund and then takes the rest from the profitable positions on the other side of the
 * bankrupt position's market in every partition, in the engine's own ADL order (profit ×
 * leverage by default: core/liquidation/adl.ts `adlQueue`, the one ranking, so a position's
 * place is the same as in a single process). Each partition publishes its ranks; the coordinator
 * merges them by score and takes from the best down.
 *
 * The bankrupt position is already closed in its partition (against the partition's own ADL and
 * its backstop at the mark), so no position is left to match: a cross-partition ADL leg moves
 * money only — the counterparty's profit, up to its free collateral, is moved into its
 * `cluster-adl` escrow subaccount (a transfer inside the counterparty's partition, so every
 * partition's ledger stays balanced), and the coordinator pays the same amount into the bankrupt
 * partition's cover account. This is the cash side of ADL at the bankruptcy price (the
 * counterparty gives up exactly the value the bankrupt position lacked); the counterparty keeps
 * its position.
 *
 * Pure: no I/O.
 */
import { crossView, evaluate } from '../core/account/figures.ts';
import { adlQueue } from '../core/liquidation/adl.ts';
import { signedValue } from '../core/margin/contract-value.ts';
import type { ReadonlyEngineState } from '../core/model/state.ts';
import { min } from '../core/num/index.ts';
import { ADL_ESCROW_SUB } from './partition.ts';

export { ADL_ESCROW_SUB };

/** The side of the bankrupt position (its counterparties are on the other side). */
export type BankruptSide = 'long' | 'short';

/** Where a written-off deficit came from: the market of the position that absorbed it. */
export interface LossContext {
  readonly market: string;
  readonly side: BankruptSide;
}

/** One counterparty a partition offers, with its place in the engine's ADL order. */
export interface AdlRank {
  readonly partition: number;
  readonly account: string;
  readonly sub: string;
  /** The engine's ranking score (larger goes first), an integer as a decimal string. */
  readonly score: string;
  /** Settlement units ADL may take: min(profit at the mark, free collateral), > 0. */
  readonly available: string;
}

/** A planned leg: take `amount` from one counterparty. */
export interface AdlLeg {
  readonly leg: number;
  readonly partition: number;
  readonly account: string;
  readonly sub: string;
  readonly amount: bigint;
}

/**
 * The counterparties a partition publishes for a bankrupt `side` position in `market`: the
 * engine's ADL queue (profitable opposing positions, best first), each with what it can give.
 * Reserved accounts and escrow subaccounts are never offered; an unknown market or one without a
 * mark offers nobody.
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
  const qd = state.settlement.decimals;
  const out: AdlRank[] = [];
  for (const c of adlQueue(state, m, side === 'long' ? 1n : -1n, '', state.policy.adlRanking)) {
    const s = state.subaccounts.get(c.sub)!;
    if (reserved.has(s.ref.account) || s.ref.sub === ADL_ESCROW_SUB) continue;
    const p = s.positions.get(market)!;
    const profit = signedValue(m.config, p.size, m.markPx8, qd, 'floor') - p.entryValue;
    const free = evaluate(state, crossView(s)).freeCollateralQuote;
    const available = min(profit, free);
    if (available <= 0n) continue;
    out.push({
      partition,
      account: s.ref.account,
      sub: s.ref.sub,
      score: String(c.score),
      available: String(available),
    });
  }
  return out;
}

/** Best first: higher score; equal scores by partition, then account, then subaccount. */
function compareRanks(a: AdlRank, b: AdlRank): number {
  const sa = BigInt(a.score);
  const sb = BigInt(b.score);
  if (sa !== sb) return sa > sb ? -1 : 1;
  if (a.partition !== b.partition) return a.partition - b.partition;
  if (a.account !== b.account) return a.account < b.account ? -1 : 1;
  return a.sub < b.sub ? -1 : a.sub > b.sub ? 1 : 0;
}

/**
 * The legs that take `need` settlement units from the merged ranks, best first, each at most
 * what its counterparty can give; Σ amounts = min(need, Σ available). Deterministic for a given
 * multiset of ranks (the order they arrive in does not matter).
 */
export function planAdl(ranks: readonly AdlRank[], need: bigint): AdlLeg[] {
  const legs: AdlLeg[] = [];
  let left = need;
  for (const r of [...ranks].sort(compareRanks)) {
    if (left <= 0n) break;
    const available = BigInt(r.available);
    if (available <= 0n) continue;
    const amount = available < left ? available : left;
    legs.push({ leg: legs.length, partition: r.partition, account: r.account, sub: r.sub, amount });
    left -= amount;
  }
  return legs;
}

interface EventLike {
  readonly type: string;
  readonly reason?: unknown;
  readonly sub?: unknown;
  readonly market?: unknown;
  readonly buyer?: unknown;
  readonly seller?: unknown;
  readonly mode?: unknown;
}

/**
 * The market and side of the last bankrupt write-off in `events` (one command's, or a journal's
 * tail). The waterfall (core/engine/liquidation/waterfall.ts) emits `liquidation_started`, the
 * write-off (`moved`, reason `socialized_loss`), then the closes, the position that absorbed the
 * deficit first: its market, and the bankrupt side (it sold: it was long). Undefined when the
 * events hold no write-off to the socialized-loss ledger followed by a close.
 */
export function lossContext(events: readonly EventLike[]): LossContext | undefined {
  let found: LossContext | undefined;
  let bankrupt: string | undefined;
  let pending = false;
  for (const e of events) {
    if (e.type === 'liquidation_started' && e.mode === 'bankrupt' && typeof e.sub === 'string') {
      bankrupt = e.sub;
      pending = false;
    } else if (e.type === 'moved' && e.reason === 'socialized_loss' && bankrupt !== undefined) {
      pending = true;
    } else if (e.type === 'traded' && pending && typeof e.market === 'string') {
      if (e.seller === bankrupt) found = { market: e.market, side: 'long' };
      else if (e.buyer === bankrupt) found = { market: e.market, side: 'short' };
      else continue;
      pending = false;
    }
  }
  return found;
}
