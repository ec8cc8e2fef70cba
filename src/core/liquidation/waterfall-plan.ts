/**
 * The plan of a bankrupt scope's closes (the ADL stage of the bankruptcy waterfall), a pure
 * function of a read-only state: after the insurance fund has covered what it can, the largest
 * position absorbs the uncovered deficit by closing at its bankruptcy value against the ADL
 * queue (./adl.ts); what the queue cannot take, and every other position, closes to the backstop
 * at the mark. Also what the plan leaves for socialization: the scope's cash after every close,
 * and who pays a socialized loss under the policy. The engine's waterfall
 * (engine/liquidation/waterfall.ts) records the plan as events.
 */
import { evaluate, type ScopeView } from '../account/figures.ts';
import { applyTrade } from '../account/position.ts';
import { buySign, notionalValue } from '../margin/contract-value.ts';
import type { ReadonlyEngineState, ReadonlyMarketState, ReadonlyPosition } from '../model/state.ts';
import { max, min, mulDiv } from '../num/index.ts';
import { adlQueue } from './adl.ts';

export interface PlannedClose {
  readonly market: ReadonlyMarketState;
  readonly position: ReadonlyPosition;
  readonly side: bigint;
  readonly absSize: bigint;
  /** Closes to ADL counterparties at the bankruptcy value, then the rest to the backstop at the mark. */
  readonly adl: { counterparty: string; qty: bigint; value: bigint; score: bigint }[];
  readonly backstopQty: bigint;
  readonly backstopValue: bigint;
}

/**
 * The closes of every position of the scope, largest notional first (ties by market id); the
 * first ones absorb `uncovered` (quote units) at their bankruptcy value through ADL.
 */
export function planCloses(
  state: ReadonlyEngineState,
  subKey: string,
  cashView: ScopeView,
  uncoveredDeficit: bigint,
  /**
   * An ADL clearing subaccount (engine-config adlClearing): it takes what the queue cannot, at
   * the bankruptcy value, as the queue's last counterparty (a cluster's link to other partitions).
   */
  clearing?: string,
): PlannedClose[] {
  const qd = state.settlement.decimals;
  let uncovered = uncoveredDeficit;
  const positions = [...cashView.positions].map(
    (p) => state.subaccounts.get(subKey)!.positions.get(p.market)!,
  );
  positions.sort((a, b) => {
    const na = a.size < 0n ? -a.size : a.size;
    const nb = b.size < 0n ? -b.size : b.size;
    const ma = state.markets.get(a.market)!;
    const mb = state.markets.get(b.market)!;
    const va = notionalValue(ma.config, na, ma.markPx8!, qd, 'floor');
    const vb = notionalValue(mb.config, nb, mb.markPx8!, qd, 'floor');
    return va === vb ? (a.market < b.market ? -1 : 1) : va > vb ? -1 : 1;
  });
  const plans: PlannedClose[] = [];
  for (const p of positions) {
    const market = state.markets.get(p.market)!;
    const side = p.size > 0n ? 1n : -1n;
    const absSize = side * p.size;
    const atMark = notionalValue(market.config, absSize, market.markPx8!, qd, 'halfEven');
    // The liquidatee's close has the signed value −ks·|value| (margin/contract-value.ts).
    const ks = buySign(market.config) * side;
    // An inverse close needs a value > 0 (its price is size·cv / value).
    const least = market.config.contractType === 'inverse' ? 1n : 0n;
    const adl: PlannedClose['adl'] = [];
    let rest = absSize;
    let restValue = atMark;
    if (uncovered > 0n) {
      // Bankruptcy value: a long sells for more, a short buys back for less, by the deficit.
      const bkrValue = ks > 0n ? atMark + uncovered : max(least, atMark - uncovered);
      let valueLeft = bkrValue;
      for (const cand of adlQueue(state, market, side as 1n | -1n, subKey, state.policy.adlRanking)) {
        if (rest === 0n) break;
        const q = min(rest, cand.available);
        const v = max(least, q === rest ? valueLeft : mulDiv(bkrValue, q, absSize, 'halfEven'));
        adl.push({ counterparty: cand.sub, qty: q, value: v, score: cand.score });
        rest -= q;
        valueLeft -= v;
      }
      if (rest > 0n && clearing !== undefined && clearing !== subKey) {
        adl.push({ counterparty: clearing, qty: rest, value: max(least, valueLeft), score: 0n });
        rest = 0n;
      }
      const absorbed = absSize - rest;
      uncovered = absorbed === absSize ? 0n : uncovered - mulDiv(uncovered, absorbed, absSize, 'floor');
      restValue = rest === absSize ? atMark : mulDiv(atMark, rest, absSize, 'halfEven');
    }
    if (rest > 0n && restValue < least) restValue = least;
    plans.push({ market, position: p, side, absSize, adl, backstopQty: rest, backstopValue: restValue });
  }
  return plans;
}

/** The scope's cash after every planned close (`view` without its positions plus each close's realized PnL). */
export function cashAfterCloses(
  state: ReadonlyEngineState,
  view: ScopeView,
  plans: readonly PlannedClose[],
): bigint {
  let finalCash = evaluate(state, { ...view, positions: [] }).netValueQuote;
  for (const plan of plans) {
    let size = plan.side * plan.absSize;
    let entry = plan.position.entryValue;
    const legs = [
      ...plan.adl.map((a) => [a.qty, a.value] as const),
      [plan.backstopQty, plan.backstopValue] as const,
    ];
    for (const [q, v] of legs) {
      if (q === 0n) continue;
      const r = applyTrade(size, entry, -plan.side * q, -buySign(plan.market.config) * plan.side * v);
      size = r.size;
      entry = r.entryValue;
      finalCash += r.realized;
    }
  }
  return finalCash;
}

/** Who pays a socialized loss under the policy, or undefined when nobody can (→ the ledger). */
export function socializationPayers(
  state: ReadonlyEngineState,
  plan: PlannedClose,
  bankruptKey: string,
): 'long' | 'short' | 'both' | undefined {
  const id = plan.market.config.id;
  const both = state.policy.socializeSides === 'both';
  for (const key of plan.market.holders) {
    if (key === bankruptKey) continue;
    const size = state.subaccounts.get(key)!.positions.get(id)!.size;
    if (both && size !== 0n) return 'both';
    if (plan.side > 0n ? size < 0n : size > 0n) return plan.side > 0n ? 'short' : 'long';
  }
  return undefined;
}
