/**
 * Price trust: what a margin scope may do while a price it depends on cannot be trusted.
 *
 * A scope is *exposed* to the markets of its positions (and, for an option position, to its
 * underlying, whose mark values it). Collateral assets take their prices from `prices`
 * commands, never from a market's oracle, so they add no oracle exposure.
 *
 * 1. **Safe mode protects the venue.** While an exposed market's oracle is in safe mode (or the
 *    operator holds the market in safe mode, force_safe_mode) —
 *    or would be at the command's time because its sources have gone quiet (the mark is
 *    stale: assessAt re-evaluates the oracle without changing it) — value may not leave the
 *    scope and risk may not grow: withdrawals, transfers out, insurance funding, isolated
 *    margin moves out of the scope, borrows and risk-increasing fills are refused with
 *    SAFE_MODE. We refuse rather than value the scope at the worse of the held mark and the
 *    last trustworthy observation: while feeds are down there is no trustworthy observation
 *    of where the price is *now*, and any finite haircut is a guess a crash can beat (a
 *    held mark 16.7 % too high let an account walk out with 70 % of its equity and come
 *    back bankrupt). Deposits, transfers in, and trades that reduce risk stay open.
 * 2. **A colluding majority is slowed, not trusted.** A scope is liquidated only if it is
 *    liquidatable with each position's mark replaced by the end of its market's credible
 *    range (../oracle/confirmation.ts) most favourable to that position: a move no
 *    independent check confirms (too recent, or contradicted by a fresh dissenting source)
 *    cannot be the cause of a liquidation.
 */
import { crossView, evaluate, isLiquidatable, type ScopeView } from '../account/figures.ts';
import type { ReadonlyEngineState, ReadonlyMarketState, ReadonlySubaccount } from '../model/state.ts';
import { assessAt } from '../oracle/oracle.ts';
import type { SafeModeReason } from '../oracle/state.ts';
import type { CommandContext } from './context.ts';
import { reject } from './errors.ts';

/** The markets a scope's value depends on, in position order, without duplicates. */
export function exposedMarkets(state: ReadonlyEngineState, view: ScopeView): string[] {
  const out = new Set<string>();
  for (const p of view.positions) {
    out.add(p.market);
    const underlying = state.markets.get(p.market)?.config.option?.underlying;
    if (underlying !== undefined) out.add(underlying);
  }
  return [...out];
}

export interface UnsafeMarket {
  readonly market: string;
  readonly reasons: readonly SafeModeReason[];
}

/** The markets among `markets` whose oracle is (or at nowMs would be) in safe mode. */
export function unsafeMarkets(
  state: ReadonlyEngineState,
  markets: Iterable<string>,
  nowMs: number,
): UnsafeMarket[] {
  const out: UnsafeMarket[] = [];
  for (const id of markets) {
    const m = state.markets.get(id);
    const oracle = m?.oracle;
    const a = oracle === undefined ? undefined : assessAt(oracle.config, oracle.state, nowMs);
    if (m?.safeModeForced) out.push({ market: id, reasons: ['operator', ...(a?.safeMode ? a.reasons : [])] });
    else if (a?.safeMode) out.push({ market: id, reasons: a.reasons });
  }
  return out;
}

/**
 * `refuseWhileUnsafe` on `market` and every market the subaccount's cross scope is exposed to,
 * without building the list when every one of them is safe (the common case, on the hot path
 * of fills and order checks); when one is not, the same refusal as the general function.
 */
export function refuseWhileCrossUnsafe(
  ctx: CommandContext,
  market: string,
  sub: ReadonlySubaccount,
  nowMs: number,
  action: string,
  scopeName: string,
): void {
  const state = ctx.state;
  let unsafe = unsafeAt(state, market, nowMs);
  if (!unsafe)
    for (const p of sub.positions.values()) {
      if (p.isolated) continue;
      // one lookup of the position's market for both questions (its own price, its underlying)
      const m = state.markets.get(p.market);
      if (marketUnsafe(m, nowMs)) unsafe = true;
      else {
        const underlying = m?.config.option?.underlying;
        if (underlying !== undefined && unsafeAt(state, underlying, nowMs)) unsafe = true;
      }
      if (unsafe) break;
    }
  if (unsafe)
    refuseWhileUnsafe(ctx, [market, ...exposedMarkets(state, crossView(sub))], nowMs, action, scopeName);
}

function unsafeAt(state: ReadonlyEngineState, id: string, nowMs: number): boolean {
  return marketUnsafe(state.markets.get(id), nowMs);
}

function marketUnsafe(m: ReadonlyMarketState | undefined, nowMs: number): boolean {
  if (m?.safeModeForced) return true;
  const oracle = m?.oracle;
  return oracle !== undefined && assessAt(oracle.config, oracle.state, nowMs).safeMode;
}

/** The command's time, or the engine's when it gives none. */
export function commandNow(state: ReadonlyEngineState, timeMs: number | undefined): number {
  return Math.max(timeMs ?? 0, state.timeMs);
}

/**
 * Refuses with SAFE_MODE when any of `markets` has no trustworthy price at nowMs.
 * @param action what was asked, for the message ("withdrawal", "risk-increasing fill", …)
 */
export function refuseWhileUnsafe(
  ctx: CommandContext,
  markets: Iterable<string>,
  nowMs: number,
  action: string,
  scopeName: string,
): void {
  const unsafe = unsafeMarkets(ctx.state, markets, nowMs);
  const first = unsafe[0];
  if (first === undefined) return;
  reject(
    'SAFE_MODE',
    `${scopeName}: ${action} refused while ${first.market} has no trustworthy price (${first.reasons.join(', ')})`,
    { markets: unsafe.map((u) => u.market), reasons: [...first.reasons] },
  );
}

/**
 * Each oracle-priced position's mark replaced by the end of its credible range least
 * favourable to it (a long at the low end, a short at the high end), where that differs
 * from the mark; empty when every range is just the mark.
 */
export function adverseMarks(
  state: ReadonlyEngineState,
  view: ScopeView,
  nowMs: number,
): Map<string, bigint> {
  return rangeMarks(state, view, nowMs, 'adverse').marks;
}

function rangeMarks(
  state: ReadonlyEngineState,
  view: ScopeView,
  nowMs: number,
  side: 'favourable' | 'adverse',
): { marks: Map<string, bigint>; moved: string[] } {
  const marks = new Map<string, bigint>();
  const moved: string[] = [];
  for (const p of view.positions) {
    const m = state.markets.get(p.market);
    if (m?.oracle === undefined || m.markPx8 === undefined || p.size === 0n) continue;
    const range = assessAt(m.oracle.config, m.oracle.state, nowMs).confirmation;
    if (range === null) continue;
    const high = p.size > 0n === (side === 'favourable');
    const px = high ? range.highPx8 : range.lowPx8;
    if (px === m.markPx8) continue;
    marks.set(p.market, px);
    moved.push(p.market);
  }
  return { marks, moved };
}

/**
 * Refuses (INSUFFICIENT_MARGIN) taking value out of a scope when, after it, the scope's
 * free collateral would be negative at the credible prices least favourable to it: profit
 * from a move nothing has confirmed yet cannot leave the venue.
 * @param after the scope as it would be after the removal
 */
export function refuseAtAdversePrices(
  ctx: CommandContext,
  after: ScopeView,
  nowMs: number,
  action: string,
): void {
  const marks = adverseMarks(ctx.state, after, nowMs);
  if (marks.size === 0) return;
  const f = evaluate(ctx.state, after, marks);
  if (f.freeCollateralQuote < 0n)
    reject(
      'INSUFFICIENT_MARGIN',
      `${action}: free collateral would be negative at the credible prices of ${[...marks.keys()].join(', ')} (the last move is not confirmed yet)`,
      { markets: [...marks.keys()] },
    );
}

/**
 * Both guards on value leaving a scope: refused while an exposed market has no trustworthy
 * price, and refused when the scope after it would be short at the credible prices least
 * favourable to it.
 */
export function guardValueOut(
  ctx: CommandContext,
  before: ScopeView,
  after: ScopeView,
  timeMs: number | undefined,
  action: string,
): void {
  const now = commandNow(ctx.state, timeMs);
  refuseWhileUnsafe(ctx, exposedMarkets(ctx.state, before), now, action, before.sub.key);
  refuseAtAdversePrices(ctx, after, now, action);
}

export interface LiquidationHold {
  readonly message: string;
  readonly details: { reason: 'safe_mode' | 'unconfirmed_move'; markets: string[] };
}

/**
 * Why a liquidatable scope must not be liquidated at nowMs, or null when it may be: a
 * market it is exposed to has no trustworthy price, or the scope is not liquidatable at
 * the credible prices most favourable to it.
 */
export function liquidationHold(
  state: ReadonlyEngineState,
  view: ScopeView,
  nowMs: number,
): LiquidationHold | null {
  const unsafe = unsafeMarkets(state, exposedMarkets(state, view), nowMs);
  if (unsafe.length > 0) {
    const markets = unsafe.map((u) => u.market);
    return {
      message: `${markets.join(', ')} in oracle safe mode: liquidations wait for a sound price`,
      details: { reason: 'safe_mode', markets },
    };
  }
  const { marks, moved } = rangeMarks(state, view, nowMs, 'favourable');
  if (marks.size === 0 || isLiquidatable(evaluate(state, view, marks))) return null;
  return {
    message: `not liquidatable at the credible prices of ${moved.join(', ')}: the move is not confirmed yet`,
    details: { reason: 'unconfirmed_move', markets: moved },
  };
}
