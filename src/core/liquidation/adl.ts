/**
 * Auto-deleveraging queue: which opposing positions give up their profit first
 * when a bankrupt position cannot be absorbed by the insurance fund. Ranking is
 * pluggable; the default is profit% × effective leverage (as published by the
 * large perpetual venues). Scores are exact integers so the order is deterministic.
 */
import { crossView, evaluate, isolatedView } from '../account/figures.ts';
import { notionalValue, signedValue } from '../margin/contract-value.ts';
import type { LiquidationPolicy } from '../model/engine-config.ts';
import type { ReadonlyEngineState, ReadonlyMarketState } from '../model/state.ts';
import { mulDiv } from '../num/index.ts';

export interface AdlCandidate {
  readonly sub: string;
  /** |size| available to deleverage, qty9. */
  readonly available: bigint;
  /** Ranking score, larger goes first (scaled by 1e12). */
  readonly score: bigint;
}

const SCALE = 10n ** 12n;

/**
 * Opposing, profitable positions in `market` (opposite sign to `bankruptSide`),
 * ranked best-first, excluding `exclude` and the ADL clearing account's subaccounts.
 */
export function adlQueue(
  state: ReadonlyEngineState,
  market: ReadonlyMarketState,
  bankruptSide: 1n | -1n,
  exclude: string,
  ranking: LiquidationPolicy['adlRanking'],
): AdlCandidate[] {
  const mark = market.markPx8!;
  const qd = state.settlement.decimals;
  const out: AdlCandidate[] = [];
  // an ADL clearing account's positions are ADL in flight (engine-config adlClearing): never ranked
  const clearing = state.config.adlClearing?.account;
  for (const key of market.holders) {
    if (key === exclude) continue;
    const s = state.subaccounts.get(key)!;
    if (s.ref.account === clearing) continue;
    const p = s.positions.get(market.config.id)!;
    if (p.size === 0n || (p.size > 0n ? 1n : -1n) === bankruptSide) continue;
    const pnl = signedValue(market.config, p.size, mark, qd, 'floor') - p.entryValue;
    if (pnl <= 0n) continue;
    const notional = notionalValue(market.config, p.size, mark, qd, 'ceil');
    const equity = evaluate(state, p.isolated ? isolatedView(state, s, p.market) : crossView(s)).equityQuote;
    const eq = equity > 0n ? equity : 1n;
    const entry = p.entryValue < 0n ? -p.entryValue : p.entryValue;
    let score: bigint;
    if (ranking === 'profit') score = pnl * SCALE;
    else if (ranking === 'leverage') score = mulDiv(notional, SCALE, eq, 'floor');
    else score = mulDiv(pnl * notional, SCALE, (entry > 0n ? entry : 1n) * eq, 'floor');
    out.push({ sub: key, available: p.size < 0n ? -p.size : p.size, score });
  }
  // Stable sort: equal scores keep holder order (deterministic on replay).
  return out.sort((a, b) => (a.score === b.score ? 0 : a.score > b.score ? -1 : 1));
}
