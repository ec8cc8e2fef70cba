/**
 * Which position a liquidation step closes, and what the scope would hold after closing part of
 * it: pure functions of the figures and a read-only state, shared by the partial and dYdX steps.
 * Per-position margin targets the position carrying the most maintenance requirement; portfolio
 * margin (one requirement for the whole book, where closing a hedge can raise it) targets the
 * position whose close releases the most maintenance margin per unit of notional.
 */
import { type PositionFigures, type ScopeFigures, type ScopeView, withPosition } from '../account/figures.ts';
import { PortfolioScopeRows, portfolioFiguresQuote } from '../account/portfolio-scope.ts';
import { applyTrade } from '../account/position.ts';
import type { ReadonlyEngineState } from '../model/state.ts';

/** The position carrying the most maintenance requirement (the first of equals). */
export function largestMaintenance(f: ScopeFigures): PositionFigures {
  let target = f.positions[0]!;
  for (const p of f.positions) if (p.maintenanceQuote > target.maintenanceQuote) target = p;
  return target;
}

/**
 * The position a partial step reduces. Per-position margin: the one carrying the most
 * maintenance requirement. Portfolio margin (one requirement for the book, where closing a
 * hedge can raise it): greedy by marginal requirement — the position whose full close releases
 * the most maintenance margin per unit of notional (the penalty, the step's cost, is
 * proportional to notional); positions whose close releases nothing are not candidates.
 */
export function pickTarget(
  state: ReadonlyEngineState,
  view: ScopeView,
  before: ScopeFigures,
): PositionFigures {
  const target = largestMaintenance(before);
  if (view.scope.kind !== 'cross' || !view.sub.portfolioMargin || !state.portfolio) return target;
  const mm = before.maintenanceMarginQuote;
  let best: { p: PositionFigures; released: bigint; notional: bigint } | undefined;
  // The book without each candidate: the portfolio requirement evaluate would compute, from
  // rows shared across the candidates (each priced once), not a full evaluation per candidate.
  const rows = new PortfolioScopeRows();
  for (const p of before.positions) {
    if (p.notionalQuote === 0n) continue;
    const without = withPosition(view, { market: p.market, size: 0n, entryValue: 0n }, 0n);
    const released =
      mm -
      portfolioFiguresQuote(state, without.positions, undefined, without.balances, rows).maintenanceQuote;
    if (released <= 0n) continue;
    // released / notional > best.released / best.notional, compared exactly
    if (!best || released * best.notional > best.released * p.notionalQuote)
      best = { p, released, notional: p.notionalQuote };
  }
  return best?.p ?? target;
}

/** A position after closing `qty` of it for `signedValue` quote (what the rest of the scope is evaluated with). */
export function closed(
  target: { market: string; size: bigint; entryValue: bigint },
  qty: bigint,
  signedValue: bigint,
) {
  const r = applyTrade(target.size, target.entryValue, target.size > 0n ? -qty : qty, -signedValue);
  return { market: target.market, size: r.size, entryValue: r.entryValue };
}
