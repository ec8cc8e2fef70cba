/**
 * The bankruptcy waterfall (a scope whose net value is below zero), in order:
 * 1. seize: non-settlement collateral moves into the insurance fund;
 * 2. insurance fund: it covers what it can of the cash deficit left if every position closed at the mark;
 * 3. ADL: the largest position absorbs the rest of the deficit by closing at its bankruptcy value
 *    against the ADL queue (profitable opposing positions, core/liquidation/adl.ts), the remainder
 *    to the backstop at the mark;
 * 4. socialized loss: what the closes still leave negative is written off — to the
 *    socialized-loss ledger, or (Drift v2, socializeVia 'funding_index') charged to the market's
 *    open positions pro rata to size. It is recorded before the closes, so the scope never goes below 0.
 * Every step is an event.
 */
import { evaluate, type Scope, type ScopeFigures, scopeName, viewOf } from '../../account/figures.ts';
import { applyTrade, positionValue } from '../../account/position.ts';
import { adlQueue } from '../../liquidation/adl.ts';
import type { MarketState, Position, Subaccount } from '../../model/state.ts';
import { max, min, mulDiv } from '../../num/index.ts';
import type { CommandContext } from '../context.ts';
import { emitTrade, scopeLedger } from './step.ts';

interface PlannedClose {
  readonly market: MarketState;
  readonly position: Position;
  readonly side: bigint;
  readonly absSize: bigint;
  /** Closes to ADL counterparties at the bankruptcy value, then the rest to the backstop at the mark. */
  readonly adl: { counterparty: string; qty: bigint; value: bigint; score: bigint }[];
  readonly backstopQty: bigint;
  readonly backstopValue: bigint;
}

export function bankrupt(
  ctx: CommandContext,
  sub: Subaccount,
  scope: Scope,
  before: ScopeFigures,
  liquidator: Subaccount,
  timeMs: number,
): void {
  const state = ctx.state;
  const qd = state.settlement.decimals;
  const settlement = state.settlement.id;
  const ledger = scopeLedger(sub, scope);
  const name = scopeName(scope);
  ctx.emit({
    type: 'liquidation_started',
    sub: sub.key,
    scope: name,
    mode: 'bankrupt',
    equityQuote: before.equityQuote,
    maintenanceQuote: before.maintenanceMarginQuote,
  });

  // 1. Seize non-settlement collateral into the insurance fund (its value reduces the fund's loss).
  if (scope.kind === 'cross') {
    for (const [asset, bal] of [...sub.balances]) {
      if (asset !== settlement && bal > 0n) {
        ctx.emit({
          type: 'moved',
          from: ledger,
          to: { kind: 'insurance' },
          asset,
          amount: bal,
          reason: 'collateral_seized',
        });
      }
    }
  }
  // 2. Cash deficit if every position closed at the mark.
  const cashView = viewOf(state, sub, scope);
  const cash = evaluate(state, cashView).netValueQuote;
  const deficit = max(0n, -cash);
  // 3. Insurance fund covers what it can.
  const cover = min(deficit, max(0n, state.insurance.get(settlement) ?? 0n));
  if (cover > 0n)
    ctx.emit({
      type: 'moved',
      from: { kind: 'insurance' },
      to: ledger,
      asset: settlement,
      amount: cover,
      reason: 'insurance_cover',
    });
  let uncovered = deficit - cover;

  // 4. Plan the closes: the largest position absorbs the uncovered deficit at its bankruptcy value via ADL.
  const positions = [...cashView.positions].map(
    (p) => state.subaccounts.get(sub.key)!.positions.get(p.market)!,
  );
  positions.sort((a, b) => {
    const na = a.size < 0n ? -a.size : a.size;
    const nb = b.size < 0n ? -b.size : b.size;
    const va = positionValue(na, state.markets.get(a.market)!.markPx8!, qd, 'floor');
    const vb = positionValue(nb, state.markets.get(b.market)!.markPx8!, qd, 'floor');
    return va === vb ? (a.market < b.market ? -1 : 1) : va > vb ? -1 : 1;
  });
  const plans: PlannedClose[] = [];
  for (const p of positions) {
    const market = state.markets.get(p.market)!;
    const side = p.size > 0n ? 1n : -1n;
    const absSize = side * p.size;
    const atMark = positionValue(absSize, market.markPx8!, qd, 'halfEven');
    const adl: PlannedClose['adl'] = [];
    let rest = absSize;
    let restValue = atMark;
    if (uncovered > 0n) {
      // Bankruptcy value: a long sells for more, a short buys back for less, by the deficit.
      const bkrValue = side > 0n ? atMark + uncovered : max(0n, atMark - uncovered);
      let valueLeft = bkrValue;
      for (const cand of adlQueue(state, market, side as 1n | -1n, sub.key, state.policy.adlRanking)) {
        if (rest === 0n) break;
        const q = min(rest, cand.available);
        const v = q === rest ? valueLeft : mulDiv(bkrValue, q, absSize, 'halfEven');
        adl.push({ counterparty: cand.sub, qty: q, value: v, score: cand.score });
        rest -= q;
        valueLeft -= v;
      }
      const absorbed = absSize - rest;
      uncovered = absorbed === absSize ? 0n : uncovered - mulDiv(uncovered, absorbed, absSize, 'floor');
      restValue = rest === absSize ? atMark : mulDiv(atMark, rest, absSize, 'halfEven');
    }
    plans.push({ market, position: p, side, absSize, adl, backstopQty: rest, backstopValue: restValue });
  }

  // 5. Whatever the closes leave negative is socialized (recorded before the closes so the scope never goes below 0).
  // Re-read the scope: the insurance cover above changed it (an isolated view is a copy).
  let finalCash = evaluate(state, { ...viewOf(state, sub, scope), positions: [] }).netValueQuote;
  for (const plan of plans) {
    let size = plan.side * plan.absSize;
    let entry = plan.position.entryValue;
    const legs = [
      ...plan.adl.map((a) => [a.qty, a.value] as const),
      [plan.backstopQty, plan.backstopValue] as const,
    ];
    for (const [q, v] of legs) {
      if (q === 0n) continue;
      const r = applyTrade(size, entry, -plan.side * q, -plan.side * v);
      size = r.size;
      entry = r.entryValue;
      finalCash += r.realized;
    }
  }
  const payers = plans[0] ? socializationPayers(ctx, plans[0], sub.key) : undefined;
  if (finalCash < 0n && state.policy.socializeVia === 'funding_index' && payers) {
    // Drift v2: the open positions of the bankrupt position's market pay, pro rata to size —
    // the opposite side, or (socializeSides 'both') every other position, long and short.
    ctx.emit({
      type: 'loss_socialized',
      market: plans[0]!.market.config.id,
      side: payers,
      to: ledger,
      amount: -finalCash,
      ...(payers === 'both' ? { exclude: sub.key } : {}),
    });
  } else if (finalCash < 0n) {
    ctx.emit({
      type: 'moved',
      from: { kind: 'socialized' },
      to: ledger,
      asset: settlement,
      amount: -finalCash,
      reason: 'socialized_loss',
    });
  }

  // 6. Execute.
  for (const plan of plans) {
    for (const a of plan.adl) {
      ctx.emit({
        type: 'adl_ranked',
        market: plan.market.config.id,
        bankrupt: sub.key,
        counterparty: a.counterparty,
        score: a.score,
      });
      emitTrade(ctx, plan.market, sub.key, a.counterparty, plan.side, a.qty, a.value, 'adl');
    }
    emitTrade(
      ctx,
      plan.market,
      sub.key,
      liquidator.key,
      plan.side,
      plan.backstopQty,
      plan.backstopValue,
      'backstop',
    );
    const absSize = plan.absSize;
    ctx.emit({
      type: 'liquidation_completed',
      sub: sub.key,
      scope: name,
      market: plan.market.config.id,
      mode: 'bankrupt',
      timeMs,
      closedQty9: absSize,
      closedNotionalQuote: positionValue(absSize, plan.market.markPx8!, qd, 'ceil'),
      liquidatorRewardQuote: 0n,
      insuranceFeeQuote: 0n,
      healthBeforeQuote: before.healthQuote,
      healthAfterQuote: evaluate(state, viewOf(state, sub, scope)).healthQuote,
    });
  }
}

/** Who pays a socialized loss under the policy, or undefined when nobody can (→ the ledger). */
function socializationPayers(
  ctx: CommandContext,
  plan: PlannedClose,
  bankruptKey: string,
): 'long' | 'short' | 'both' | undefined {
  const id = plan.market.config.id;
  const both = ctx.state.policy.socializeSides === 'both';
  for (const key of plan.market.holders) {
    if (key === bankruptKey) continue;
    const size = ctx.state.subaccounts.get(key)!.positions.get(id)!.size;
    if (both && size !== 0n) return 'both';
    if (plan.side > 0n ? size < 0n : size > 0n) return plan.side > 0n ? 'short' : 'long';
  }
  return undefined;
}
