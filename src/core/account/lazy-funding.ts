/**
 * Lazy funding (engine config `fundingSettlement: 'lazy'`, docs/funding-and-interest.md): a
 * funding tick only advances the market's cumulative funding index of each side (Drift's
 * cumulative_funding_rate_long/short, dYdX's funding index); a position keeps the index of its
 * side at its last settlement, and what it owes or is owed since then,
 *
 *   credit = floor(−size × (index_now − index_at_settle) / 10^(9 + 18 − settlement decimals)),
 *
 * is carried inside its unrealized PnL until it settles (a trade in the market, a liquidation,
 * or `settle_funding`). A rising index makes longs pay (size > 0: credit < 0) and shorts
 * receive, as the venues and the eager rule (engine/evolve.ts) have it; an inverse market's
 * index is in coin per contract (margin/contract-value.ts), so the same formula holds.
 *
 * Rounding never creates money: every position is credited the floor of its exact claim (a
 * payer pays the ceiling, a receiver gets the floor). Settled funding passes through the
 * market's funding pool; since longs and shorts are equal at every instant, the exact claims of
 * all positions sum to zero, so the pool always holds at least what the open positions would be
 * credited now, and once no position is left it holds only rounding, swept to the fee pool.
 *
 * Pure reads of the state; evolve does the writing.
 */
import type {
  ReadonlyEngineState,
  ReadonlyMarketState,
  ReadonlyPosition,
  ReadonlySubaccount,
} from '../model/state.ts';
import { divRound, FUNDING_INDEX_DECIMALS, pow10, QTY_DECIMALS } from '../num/index.ts';

/** Whether the engine settles funding lazily (through the per-side indexes). */
export function lazyFunding(state: Pick<ReadonlyEngineState, 'config'>): boolean {
  return state.config.fundingSettlement === 'lazy';
}

/** The cumulative index of the side a signed size is on (idx18); a flat position reads the long side. */
export function sideIndex(market: ReadonlyMarketState, size: bigint): bigint {
  return size < 0n ? (market.fundingIndexShort ?? market.fundingIndex) : market.fundingIndex;
}

/** 10^(9 + 18 − d): size (qty9) × index step (idx18) → settlement units of d decimals. */
export function fundingDivisor(settlementDecimals: number): bigint {
  return pow10(QTY_DECIMALS + FUNDING_INDEX_DECIMALS - settlementDecimals);
}

/** What a position of `size` is credited for an index step `delta18` (< 0: it pays), rounded down. */
export function fundingCredit(size: bigint, delta18: bigint, settlementDecimals: number): bigint {
  return divRound(-size * delta18, fundingDivisor(settlementDecimals), 'floor');
}

/** The funding a stored position has not settled yet (settlement units; < 0: it owes). 0 when eager. */
export function pendingFundingQuote(
  state: ReadonlyEngineState,
  market: ReadonlyMarketState,
  p: ReadonlyPosition,
): bigint {
  if (!lazyFunding(state) || p.size === 0n) return 0n;
  const delta = sideIndex(market, p.size) - p.fundingIndex;
  return delta === 0n ? 0n : fundingCredit(p.size, delta, state.settlement.decimals);
}

/**
 * The unsettled funding of a scope, read from the subaccount's stored positions (not the
 * view's, which may be hypothetical): settling moves exactly this amount into the scope's cash,
 * so a hypothetical trade that would settle it leaves the scope's value unchanged.
 */
export function scopePendingFundingQuote(
  state: ReadonlyEngineState,
  sub: ReadonlySubaccount,
  scope: { readonly kind: 'cross' } | { readonly kind: 'isolated'; readonly market: string },
): bigint {
  if (!lazyFunding(state)) return 0n;
  let total = 0n;
  if (scope.kind === 'isolated') {
    const p = sub.positions.get(scope.market);
    if (p?.isolated) total += pendingFundingQuote(state, state.markets.get(p.market)!, p);
    return total;
  }
  for (const p of sub.positions.values()) {
    if (p.isolated) continue;
    total += pendingFundingQuote(state, state.markets.get(p.market)!, p);
  }
  return total;
}
