/**
 * Drift v2 spot liquidation (liquidate_spot) on the engine: a position-less cross scope that owes
 * an asset (a borrow) and holds collateral, below maintenance, with policy `spotLiquidation:
 * { kind: 'drift' }`. The liquidator takes over liability and receives collateral at the
 * liquidation-fee premium, sized so the freed margin covers the shortage:
 *
 *     shortage  = MM − equity                              (Drift: margin requirement − total collateral)
 *     T         = calculate_liability_transfer_to_cover_margin_shortage(shortage, assetW, 1e6 + liqFee,
 *                                                                liabW, 1e6 − discount, liabDec, liabPrice, ifFee)
 *                 capped at the borrow (all of it when the weights are equal: Drift's u128::MAX)
 *     asset     = ⌊T × liabPrice × 10^assetDec × (1e6 + liqFee) / (10^liabDec × (1e6 − discount) × assetPrice)⌋
 *                 (calculate_asset_transfer_for_liability_transfer; if more than the collateral
 *                  held, all of it and T = ⌊asset × assetPrice × 10^liabDec × (1e6 − discount) / (10^assetDec ×
 *                  (1e6 + liqFee) × liabPrice)⌋)
 *     IF fee    = ⌊T × ifFee / 1e6⌋                        (in the liability asset)
 *
 * Weights are the maintenance ones of the drift-v2 arithmetic (ppm on Drift's 1e-4 grid, the
 * liability's with its size premium), prices Drift's 1e6 (px8 / 100, floored), the shortage in
 * 1e-6 quote. The liquidator pays T of the liability asset to the scope (it may go negative: it
 * takes the borrow over, within its own initial margin); the scope pays the IF fee to the
 * insurance fund out of it, so its borrow falls by T − fee, which is why the fee term sits in
 * the sizing's denominator; the collateral goes to the liquidator. Every asset is conserved.
 *
 * Bankruptcy (resolve_spot_bankruptcy): a scope that owes and holds no collateral. One step
 * clears one debt (`debtAsset`, else the largest): the insurance fund pays what it holds of the
 * asset, and the rest B is socialized through the deposit interest index —
 *
 *     δ = ⌈I × B / D⌉    (calculate_cumulative_deposit_interest_delta_to_resolve_bankruptcy)
 *
 * with I the asset's cumulative deposit interest at Drift's 1e10 (⌊deposit index / 1e17⌋ for an
 * interest-bearing asset, 1e10 otherwise) and D every other subaccount's deposits of it. Each
 * depositor's balance becomes ⌊balance × (I − δ) / I⌋ (what Drift's lowered index reads), moved
 * to the bankrupt scope; since δ rounds up they pay at least B, and the units over B go to the
 * insurance fund. With no deposits, or a debt larger than them, the waterfall takes the scope.
 *
 * Not Drift's here: the shortage is MM − equity without the liquidation margin buffer, and the
 * liquidator fee is the penalty's base `liquidatorFee` (no slot ramp) — docs/liquidation-policy.md.
 * Hand-written because it is Drift's integer arithmetic, step for step
 * (liquidation/drift-spot-sizing.ts; checked against reference/drift-v2.ts and Drift's Rust tests).
 */
import type { ScopeFigures } from '../../account/figures.ts';
import { assetPricePx8 } from '../../account/prices.ts';
import { assetWeightPpm, liabilityWeightPpm } from '../../collateral/weights.ts';
import { depositInterestDelta, liabilityTransferToCover } from '../../liquidation/drift-spot-sizing.ts';
import type { ReadonlyEngineState, ReadonlySubaccount, Subaccount } from '../../model/state.ts';
import { InvariantError, PPM, pow10 } from '../../num/index.ts';
import type { CommandContext } from '../context.ts';
import { reject } from '../errors.ts';
import { emitSpotStep, requireLiquidatorMargin } from './spot-step.ts';

const PX8_ONE = 10n ** 8n;
const DRIFT_QUOTE_DECIMALS = 6;

export interface DriftSpotLiquidation {
  readonly debtAsset: string;
  readonly collateralAsset: string;
  /** Drift's margin shortage, 1e-6 quote. */
  readonly shortageQuote1e6: bigint;
  /** Liability the liquidator takes over (debt-asset units). */
  readonly liabilityTransfer: bigint;
  /** Of it, to the insurance fund (debt-asset units). */
  readonly insuranceFee: bigint;
  /** Collateral to the liquidator (collateral units). */
  readonly assetTransfer: bigint;
}

interface Holding {
  readonly id: string;
  readonly amount: bigint;
  readonly decimals: number;
  readonly price1e6: bigint;
  readonly value: bigint;
}

function holdingsOf(state: ReadonlyEngineState, sub: ReadonlySubaccount) {
  const debts: Holding[] = [];
  const collaterals: Holding[] = [];
  for (const [id, balance] of sub.balances) {
    if (balance === 0n) continue;
    const isSettlement = id === state.settlement.id;
    const px = isSettlement ? PX8_ONE : assetPricePx8(state, id);
    if (px === undefined) continue;
    const decimals = isSettlement ? state.settlement.decimals : state.assets.get(id)!.decimals;
    const amount = balance < 0n ? -balance : balance;
    const price1e6 = px / 100n;
    const h = { id, amount, decimals, price1e6, value: (amount * px) / pow10(decimals) };
    (balance < 0n ? debts : collaterals).push(h);
  }
  return { debts, collaterals };
}

function pick(list: readonly Holding[], named: string | undefined, what: string): Holding {
  if (named !== undefined) {
    const h = list.find((x) => x.id === named);
    if (!h) reject('INSUFFICIENT_BALANCE', `the scope holds no priced ${named} ${what}`);
    return h;
  }
  let best = list[0]!;
  for (const h of list) if (h.value > best.value || (h.value === best.value && h.id < best.id)) best = h;
  return best;
}

function assetOf(state: ReadonlyEngineState, id: string) {
  return id === state.settlement.id ? state.settlement : state.assets.get(id)!;
}

/**
 * The step liquidate_spot would take on a position-less cross scope (module header); undefined
 * when the scope owes nothing or holds no priced collateral (the waterfall's case).
 */
export function planDriftSpotLiquidation(
  state: ReadonlyEngineState,
  sub: ReadonlySubaccount,
  before: ScopeFigures,
  debtAsset?: string,
  collateralAsset?: string,
): DriftSpotLiquidation | undefined {
  const spot = state.policy.spotLiquidation;
  const penalty = state.policy.penalty;
  if (!spot) return undefined;
  if (penalty.kind !== 'drift')
    reject('MALFORMED_COMMAND', "spotLiquidation 'drift' needs the liquidation penalty 'drift'");
  const { debts, collaterals } = holdingsOf(state, sub);
  if (debts.length === 0) {
    if (debtAsset !== undefined) reject('INSUFFICIENT_BALANCE', `the scope owes no ${debtAsset}`);
    return undefined;
  }
  const debt = pick(debts, debtAsset, 'debt');
  if (collaterals.length === 0) return undefined;
  const coll = pick(collaterals, collateralAsset, 'collateral');
  if (debt.price1e6 === 0n || coll.price1e6 === 0n)
    reject('NO_PRICE', 'a zero price cannot size a spot liquidation');

  const qd = state.settlement.decimals;
  const gap = before.maintenanceMarginQuote - before.equityQuote;
  // To Drift's 1e-6 quote, rounded up: never under-cover.
  const shortage =
    qd >= DRIFT_QUOTE_DECIMALS
      ? (gap + pow10(qd - DRIFT_QUOTE_DECIMALS) - 1n) / pow10(qd - DRIFT_QUOTE_DECIMALS)
      : gap * pow10(DRIFT_QUOTE_DECIMALS - qd);
  const liqFee = penalty.liquidatorFee;
  const assetMult = PPM + liqFee;
  const liabMult = PPM - spot.liabilityDiscount;
  const assetW = assetWeightPpm(state.config, sub, assetOf(state, coll.id), 'maintenance');
  const liabW = liabilityWeightPpm(assetOf(state, debt.id), -debt.amount, 'maintenance');
  const sized = liabilityTransferToCover({
    shortage1e6: shortage,
    assetWeight1e4: assetW / 100n,
    assetMultiplier1e6: assetMult,
    liabilityWeight1e4: liabW / 100n,
    liabilityMultiplier1e6: liabMult,
    liabilityDecimals: debt.decimals,
    liabilityPrice1e6: debt.price1e6,
    ifFee1e6: spot.ifLiquidationFee,
  });
  let liability = sized === null || sized > debt.amount ? debt.amount : sized;
  const aUnit = pow10(coll.decimals);
  const lUnit = pow10(debt.decimals);
  let asset = (liability * debt.price1e6 * aUnit * assetMult) / (lUnit * liabMult * coll.price1e6);
  if (asset > coll.amount) {
    asset = coll.amount;
    liability = (asset * coll.price1e6 * lUnit * liabMult) / (aUnit * assetMult * debt.price1e6);
  }
  const fee = (liability * spot.ifLiquidationFee) / PPM;
  return {
    debtAsset: debt.id,
    collateralAsset: coll.id,
    shortageQuote1e6: shortage,
    liabilityTransfer: liability,
    insuranceFee: fee,
    assetTransfer: asset,
  };
}

/**
 * Drift spot liquidation step (module header). Returns false, having emitted nothing, when the
 * scope holds no collateral (the caller's waterfall takes it).
 */
export function liquidateDriftSpot(
  ctx: CommandContext,
  sub: Subaccount,
  before: ScopeFigures,
  liquidator: Subaccount,
  debtAsset: string | undefined,
  collateralAsset: string | undefined,
): boolean {
  const state = ctx.state;
  if (debtAsset !== undefined) ctx.asset(debtAsset);
  if (collateralAsset !== undefined) ctx.asset(collateralAsset);
  const plan = planDriftSpotLiquidation(state, sub, before, debtAsset, collateralAsset);
  if (!plan) return false;
  if (plan.liabilityTransfer === 0n && plan.assetTransfer === 0n)
    reject('NOT_LIQUIDATABLE', 'the spot liquidation would transfer nothing');
  requireLiquidatorMargin(
    ctx,
    liquidator,
    { asset: plan.debtAsset, amount: plan.liabilityTransfer },
    { asset: plan.collateralAsset, amount: plan.assetTransfer },
  );
  const owed = -(sub.balances.get(plan.debtAsset) ?? 0n);
  const ledger = { kind: 'balance', sub: sub.key } as const;
  emitSpotStep(
    ctx,
    sub.key,
    plan.liabilityTransfer - plan.insuranceFee >= owed ? 'full' : 'partial',
    before,
    [
      {
        from: { kind: 'balance', sub: liquidator.key },
        to: ledger,
        asset: plan.debtAsset,
        amount: plan.liabilityTransfer,
        reason: 'debt_repaid',
      },
      {
        from: ledger,
        to: { kind: 'insurance' },
        asset: plan.debtAsset,
        amount: plan.insuranceFee,
        reason: 'liquidation_fee',
      },
      {
        from: ledger,
        to: { kind: 'balance', sub: liquidator.key },
        asset: plan.collateralAsset,
        amount: plan.assetTransfer,
        reason: 'collateral_seized',
      },
    ],
  );
  return true;
}

/** One spot bankruptcy resolution (module header); what it moves. */
export interface DriftSpotBankruptcy {
  readonly debtAsset: string;
  readonly debt: bigint;
  readonly insuranceCover: bigint;
  /** Drift's cumulative deposit interest (1e10) before and its step δ. */
  readonly depositInterest1e10: bigint;
  readonly delta1e10: bigint;
  /** What each depositor pays, by subaccount key (state order). */
  readonly charges: ReadonlyArray<readonly [string, bigint]>;
  /** Σ charges − the socialized debt (rounding), to the insurance fund. */
  readonly surplus: bigint;
}

const DRIFT_INTEREST_ONE = 10n ** 10n;
const RAY_PER_1E10 = 10n ** 17n;

/** The resolution resolve_spot_bankruptcy would make; undefined = the waterfall's case. */
export function planDriftSpotBankruptcy(
  state: ReadonlyEngineState,
  sub: ReadonlySubaccount,
  debtAsset?: string,
): DriftSpotBankruptcy | undefined {
  if (!state.policy.spotLiquidation) return undefined;
  const { debts, collaterals } = holdingsOf(state, sub);
  if (debts.length === 0 || collaterals.length > 0) return undefined;
  const debt = pick(debts, debtAsset, 'debt');
  const fund = state.insurance.get(debt.id) ?? 0n;
  const insuranceCover = fund <= 0n ? 0n : fund < debt.amount ? fund : debt.amount;
  const rest = debt.amount - insuranceCover;
  const depositors: [string, bigint][] = [];
  let deposits = 0n;
  for (const [key, s] of state.subaccounts) {
    const b = s.balances.get(debt.id) ?? 0n;
    if (key !== sub.key && b > 0n) {
      depositors.push([key, b]);
      deposits += b;
    }
  }
  if (rest > 0n && rest > deposits) return undefined;
  const index = state.interest?.get(debt.id)?.depositIndex;
  const I = index === undefined ? DRIFT_INTEREST_ONE : index / RAY_PER_1E10;
  const delta = rest === 0n ? 0n : depositInterestDelta(rest, I, deposits);
  const charges: [string, bigint][] = [];
  let paid = 0n;
  if (delta > 0n)
    for (const [key, b] of depositors) {
      const charge = b - (b * (I - delta)) / I;
      if (charge > 0n) charges.push([key, charge]);
      paid += charge;
    }
  return {
    debtAsset: debt.id,
    debt: debt.amount,
    insuranceCover,
    depositInterest1e10: I,
    delta1e10: delta,
    charges,
    surplus: paid - rest,
  };
}

/** Spot bankruptcy step (module header); false, having emitted nothing, for the waterfall's case. */
export function resolveDriftSpotBankruptcy(
  ctx: CommandContext,
  sub: Subaccount,
  before: ScopeFigures,
  debtAsset: string | undefined,
): boolean {
  const plan = planDriftSpotBankruptcy(ctx.state, sub, debtAsset);
  if (!plan) return false;
  if (plan.surplus < 0n) throw new InvariantError('depositors paid less than the socialized debt');
  const ledger = { kind: 'balance', sub: sub.key } as const;
  emitSpotStep(ctx, sub.key, 'full', before, [
    {
      from: { kind: 'insurance' },
      to: ledger,
      asset: plan.debtAsset,
      amount: plan.insuranceCover,
      reason: 'insurance_cover',
    },
    ...[...plan.charges].map(([key, charge]) => ({
      from: { kind: 'balance', sub: key } as const,
      to: ledger,
      asset: plan.debtAsset,
      amount: charge,
      reason: 'socialized_loss' as const,
    })),
    {
      from: ledger,
      to: { kind: 'insurance' },
      asset: plan.debtAsset,
      amount: plan.surplus,
      reason: 'insurance_funding',
    },
  ]);
  return true;
}
