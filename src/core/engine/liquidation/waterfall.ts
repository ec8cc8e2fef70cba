/**
 * The bankruptcy waterfall (a scope whose net value is below zero), in order:
 * 1. seize: non-settlement collateral moves into the insurance fund;
 * 2. insurance fund: it covers what it can of the cash deficit left if every position closed at the mark
 *    (at most what the policy's `maxInsuranceLossPerWindow` leaves for the subaccount in this window);
 * 3. ADL: the largest position absorbs the rest of the deficit by closing at its bankruptcy value
 *    against the ADL queue (profitable opposing positions, core/liquidation/adl.ts), the remainder
 *    to the backstop at the mark — planned by a pure function (core/liquidation/waterfall-plan.ts);
 * 4. socialized loss: what the closes still leave negative is written off — to the
 *    socialized-loss ledger, or (Drift v2, socializeVia 'funding_index') charged to the market's
 *    open positions pro rata to size. It is recorded before the closes, so the scope never goes below 0.
 * Every step is an event.
 */
import { evaluate, type Scope, type ScopeFigures, scopeName, viewOf } from '../../account/figures.ts';
import {
  cashAfterCloses,
  type PlannedClose,
  planCloses,
  socializationPayers,
} from '../../liquidation/waterfall-plan.ts';
import { notionalValue } from '../../margin/contract-value.ts';
import { type Subaccount, subaccountKey } from '../../model/state.ts';
import { max, min } from '../../num/index.ts';
import type { CommandContext } from '../context.ts';
import type { Ledger } from '../events.ts';
import { emitTrade, insuranceLossRoom, scopeLedger } from './step.ts';

export function bankrupt(
  ctx: CommandContext,
  sub: Subaccount,
  scope: Scope,
  before: ScopeFigures,
  liquidator: Subaccount,
  timeMs: number,
): void {
  const state = ctx.state;
  const ledger = scopeLedger(sub, scope);
  ctx.emit({
    type: 'liquidation_started',
    sub: sub.key,
    scope: scopeName(scope),
    mode: 'bankrupt',
    equityQuote: before.equityQuote,
    maintenanceQuote: before.maintenanceMarginQuote,
  });
  // 1. Seize non-settlement collateral into the insurance fund (its value reduces the fund's loss).
  if (scope.kind === 'cross') seizeCollateral(ctx, sub, ledger);
  // 2. Cash deficit if every position closed at the mark; 3. the insurance fund covers what it can.
  const cashView = viewOf(state, sub, scope);
  const deficit = max(0n, -evaluate(state, cashView).netValueQuote);
  const room = insuranceLossRoom(ctx, sub.key, timeMs);
  const cover = coverFromInsurance(ctx, ledger, room === undefined ? deficit : min(deficit, room));
  const uncovered = deficit - cover;
  // 4. Plan the closes: the largest position absorbs the uncovered deficit at its bankruptcy value via ADL.
  // A cluster partition (config adlClearing): what the queue cannot take goes at the bankruptcy
  // value to a fresh clearing subaccount, for the coordinator's ADL in other partitions — unless
  // the bankrupt scope is itself a clearing subaccount (what nobody took: to the backstop).
  const clearingRef =
    state.config.adlClearing !== undefined && sub.ref.account !== state.config.adlClearing.account
      ? { account: state.config.adlClearing.account, sub: `b${state.seq}` }
      : undefined;
  const clearingKey = clearingRef === undefined ? undefined : subaccountKey(clearingRef);
  const plans = planCloses(state, sub.key, cashView, uncovered, clearingKey);
  if (clearingRef !== undefined && plans.some((p) => p.adl.some((a) => a.counterparty === clearingKey))) {
    if (!state.subaccounts.has(clearingKey!)) ctx.emit({ type: 'subaccount_opened', ref: clearingRef });
  }
  // 5. Whatever the closes leave negative is socialized (recorded before the closes so the scope never goes below 0).
  // Re-read the scope: the insurance cover above changed it (an isolated view is a copy).
  socializeLoss(ctx, sub, ledger, plans, cashAfterCloses(state, viewOf(state, sub, scope), plans));
  // 6. Execute.
  executeCloses(ctx, sub, scope, before, liquidator, timeMs, plans, room === undefined ? undefined : cover);
}

function seizeCollateral(ctx: CommandContext, sub: Subaccount, ledger: Ledger): void {
  for (const [asset, bal] of [...sub.balances]) {
    if (asset !== ctx.state.settlement.id && bal > 0n) {
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

/** Moves min(deficit, fund) from the insurance fund to the scope; returns it. */
function coverFromInsurance(ctx: CommandContext, ledger: Ledger, deficit: bigint): bigint {
  const settlement = ctx.state.settlement.id;
  const cover = min(deficit, max(0n, ctx.state.insurance.get(settlement) ?? 0n));
  if (cover > 0n)
    ctx.emit({
      type: 'moved',
      from: { kind: 'insurance' },
      to: ledger,
      asset: settlement,
      amount: cover,
      reason: 'insurance_cover',
    });
  return cover;
}

/**
 * A negative cash after the closes is written off: Drift v2 (socializeVia 'funding_index')
 * charges the open positions of the bankrupt position's market pro rata to size — the opposite
 * side, or (socializeSides 'both') every other position; otherwise the socialized-loss ledger.
 */
function socializeLoss(
  ctx: CommandContext,
  sub: Subaccount,
  ledger: Ledger,
  plans: readonly PlannedClose[],
  finalCash: bigint,
): void {
  const state = ctx.state;
  const payers = plans[0] ? socializationPayers(state, plans[0], sub.key) : undefined;
  if (finalCash < 0n && state.policy.socializeVia === 'funding_index' && payers) {
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
      asset: state.settlement.id,
      amount: -finalCash,
      reason: 'socialized_loss',
    });
  }
}

/** The planned closes as trades: ADL legs (ranked), then the rest to the backstop; one completion per market. */
function executeCloses(
  ctx: CommandContext,
  sub: Subaccount,
  scope: Scope,
  before: ScopeFigures,
  liquidator: Subaccount,
  timeMs: number,
  plans: readonly PlannedClose[],
  /** Under an insurance-loss cap: the fund's cover, recorded on the first completion. */
  cover: bigint | undefined,
): void {
  const state = ctx.state;
  let coverToRecord = cover;
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
      scope: scopeName(scope),
      market: plan.market.config.id,
      mode: 'bankrupt',
      timeMs,
      closedQty9: absSize,
      closedNotionalQuote: notionalValue(
        plan.market.config,
        absSize,
        plan.market.markPx8!,
        state.settlement.decimals,
        'ceil',
      ),
      liquidatorRewardQuote: 0n,
      insuranceFeeQuote: 0n,
      healthBeforeQuote: before.healthQuote,
      healthAfterQuote: evaluate(state, viewOf(state, sub, scope)).healthQuote,
      ...(coverToRecord !== undefined && coverToRecord > 0n ? { insuranceCoverQuote: coverToRecord } : {}),
    });
    coverToRecord = undefined;
  }
}
