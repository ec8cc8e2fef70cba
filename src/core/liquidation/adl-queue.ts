/**
 * The auto-deleveraging queue as a venue shows it: per market and side, every position with
 * its place in the queue and a 1–5 indicator (Binance's "ADL indicator" lights, the quantile of
 * its LeveragePnL ranking, https://www.binance.com/en/support/faq/360033525471; Bybit's "ADL
 * Ranking", https://help.bybit.com/hc/en-us/articles/900000031623). The order is the one the
 * engine's ADL uses (./adl.ts `adlQueue`, the one ranking): when a short goes bankrupt, the long
 * queue is taken from rank 1 on, and the other way round.
 *
 * Indicator: the quantile of the rank among the n queued positions of the side,
 * 5 − ⌊(rank − 1) × 5 / n⌋ — the first fifth shows 5, the last fifth 1. A position ADL does not
 * take (not in profit at the mark) is listed with rank null and indicator 0.
 */
import { signedValue } from '../margin/contract-value.ts';
import type { ReadonlyEngineState, ReadonlyMarketState } from '../model/state.ts';
import { formatDecimal, QTY_DECIMALS } from '../num/index.ts';
import { adlQueue } from './adl.ts';

export interface AdlQueueEntry {
  /** 1 = deleveraged first; null when ADL would not take this position (no profit at the mark). */
  readonly rank: number | null;
  /** 5 (first fifth of the queue) … 1 (last fifth); 0 when not in the queue. */
  readonly indicator: 0 | 1 | 2 | 3 | 4 | 5;
  readonly account: string;
  readonly sub: string;
  readonly size: string;
  readonly unrealizedPnl: string;
  /** The ranking score (larger goes first), as a decimal; null when not in the queue. */
  readonly score: string | null;
}

export interface MarketAdlQueue {
  readonly market: string;
  /** The policy's ranking: profit × leverage (default), profit, or leverage. */
  readonly ranking: string;
  /** Long positions, in the order ADL takes them when a short position goes bankrupt. */
  readonly long: AdlQueueEntry[];
  /** Short positions, in the order ADL takes them when a long position goes bankrupt. */
  readonly short: AdlQueueEntry[];
}

/** An ADL queue asked for a market the engine does not have. */
export class UnknownMarketError extends Error {
  override name = 'UnknownMarketError';
  readonly code = 'UNKNOWN_MARKET';
}

/** Scores are integers scaled by 1e12 (./adl.ts). */
const SCORE_DECIMALS = 12;

function sideQueue(state: ReadonlyEngineState, market: ReadonlyMarketState, side: 1n | -1n): AdlQueueEntry[] {
  const qd = state.settlement.decimals;
  const mark = market.markPx8!;
  // Positions on `side` are the counterparties of a bankrupt position on the other side.
  const queued = adlQueue(state, market, side === 1n ? -1n : 1n, '', state.policy.adlRanking);
  const n = queued.length;
  const out: AdlQueueEntry[] = queued.map((c, i) => {
    const s = state.subaccounts.get(c.sub)!;
    const p = s.positions.get(market.config.id)!;
    return {
      rank: i + 1,
      indicator: (5 - Math.floor((i * 5) / n)) as AdlQueueEntry['indicator'],
      account: s.ref.account,
      sub: s.ref.sub,
      size: formatDecimal(c.available, QTY_DECIMALS),
      unrealizedPnl: formatDecimal(signedValue(market.config, p.size, mark, qd, 'floor') - p.entryValue, qd),
      score: formatDecimal(c.score, SCORE_DECIMALS),
    };
  });
  const inQueue = new Set(queued.map((c) => c.sub));
  for (const key of market.holders) {
    if (inQueue.has(key)) continue;
    const s = state.subaccounts.get(key)!;
    const p = s.positions.get(market.config.id)!;
    if (p.size === 0n || (p.size > 0n ? 1n : -1n) !== side) continue;
    out.push({
      rank: null,
      indicator: 0,
      account: s.ref.account,
      sub: s.ref.sub,
      size: formatDecimal(p.size < 0n ? -p.size : p.size, QTY_DECIMALS),
      unrealizedPnl: formatDecimal(signedValue(market.config, p.size, mark, qd, 'floor') - p.entryValue, qd),
      score: null,
    });
  }
  return out;
}

/**
 * The ADL queue of one market, or of every market with a mark (in configuration order).
 *
 * @throws UnknownMarketError when `market` is given and unknown
 */
export function adlQueueView(state: ReadonlyEngineState, market?: string): MarketAdlQueue[] {
  let markets: ReadonlyMarketState[];
  if (market !== undefined) {
    const m = state.markets.get(market);
    if (!m) throw new UnknownMarketError(`unknown market ${JSON.stringify(market)}`);
    markets = [m];
  } else markets = [...state.markets.values()];
  return markets
    .filter((m) => m.markPx8 !== undefined)
    .map((m) => ({
      market: m.config.id,
      ranking: state.policy.adlRanking,
      long: sideQueue(state, m, 1n),
      short: sideQueue(state, m, -1n),
    }));
}
