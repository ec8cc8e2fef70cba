/**
 * Lending (Aave v3.3) on the engine: a position-less cross scope whose settlement balance is
 * negative is a loan — collateral weighted at the liquidation threshold (the asset's maintenance
 * weight) against the debt, so HF < 1 ⇔ equity < 0 = MM. With the liquidation policy `lending`:
 *
 * - `borrow` takes the settlement asset out of a subaccount past zero, within its free collateral at
 *   initial weights (Aave's LTV): a `moved` to `external` (reason `borrow`).
 * - A `liquidate` step on such a scope with equity < 0 (Aave's LiquidationLogic.executeLiquidationCall):
 *
 *       close factor = 100% if HF ≤ fullCloseBelowHealthFactor, or collateral or debt < fullCloseBelowValue;
 *                      closeFactor (50%) otherwise                          (v3.3 rules)
 *       debt to cover = debt (100%) or percentMul(debt, closeFactor)
 *       base          = ⌊debtToCover × 10^collDec × 1e8 / (collPrice × 10^debtDec)⌋
 *       collateral    = percentMul(base, 1 + bonus); if > balance: collateral = balance,
 *                       debt repaid = percentDiv(⌊collPrice × balance × 10^debtDec / (1e8 × 10^collDec)⌋, 1 + bonus)
 *       protocol fee  = percentMul(collateral − percentDiv(collateral, 1 + bonus), protocolFee)
 *
 *   (percentMul / percentDiv round half up, Aave's PercentageMath; with ratios at ppm = bps × 100
 *   they give Aave's bps results exactly.) The liquidator's settlement balance pays the repaid debt
 *   to the scope (`debt_repaid`), the scope's collateral goes to the liquidator less the protocol
 *   fee (`collateral_seized`), and the fee to the insurance fund (Aave's treasury,
 *   `liquidation_fee`). Every asset is conserved (INV-01).
 *
 * With `minLeftoverValue` (v3.3's MIN_LEFTOVER_BASE) a step that leaves some debt and some of
 * the seized collateral must leave at least that value of both (LIQUIDATION_LEAVES_DUST);
 * `debtToCover` on the command caps the debt repaid, as Aave's liquidator chooses it.
 *
 * Single debt asset (the settlement asset, price 1), one collateral per step (the command's
 * `collateralAsset`, else the largest by value). A scope with debt and no collateral left goes to
 * the bankrupt waterfall (insurance, then the socialized-loss ledger) — Aave v3.3's deficit.
 */
import { crossView, type ScopeFigures } from '../../account/figures.ts';
import { assetPricePx8 } from '../../account/prices.ts';
import { HEALTH_FACTOR_ONE, healthFactor } from '../../collateral/health-factor.ts';
import { collateralValueQuote } from '../../collateral/valuation.ts';
import type { EngineState, Subaccount } from '../../model/state.ts';
import { PPM, parseDecimalUnsafe, pow10 } from '../../num/index.ts';
import type { Command } from '../commands.ts';
import type { CommandContext } from '../context.ts';
import { reject } from '../errors.ts';
import * as fmt from '../message-units.ts';
import { guardValueOut } from '../price-trust.ts';

const PX8_ONE = 10n ** 8n;

/** value × ratio, half up (Aave's PercentageMath.percentMul, at ppm). */
export function percentMulPpm(value: bigint, ratioPpm: bigint): bigint {
  return (value * ratioPpm + PPM / 2n) / PPM;
}

/** value / ratio, half up (Aave's PercentageMath.percentDiv, at ppm). */
export function percentDivPpm(value: bigint, ratioPpm: bigint): bigint {
  return (value * PPM + ratioPpm / 2n) / ratioPpm;
}

export interface LendingLiquidation {
  readonly collateralAsset: string;
  readonly closeFactorPpm: bigint;
  readonly healthFactorWad: bigint;
  /** Debt repaid by the liquidator (settlement units). */
  readonly debtRepaid: bigint;
  /** Collateral to the liquidator (bonus included, protocol fee excluded), collateral units. */
  readonly collateralToLiquidator: bigint;
  /** Collateral to the insurance fund (the protocol's share of the bonus). */
  readonly protocolFee: bigint;
}

/**
 * The step a lending liquidation would take on a subaccount's cross scope (module header);
 * undefined when the scope holds no priced collateral (the waterfall's case).
 */
export function planLendingLiquidation(
  state: EngineState,
  sub: Subaccount,
  collateralAsset?: string,
  debtToCoverCap?: bigint,
): LendingLiquidation | undefined {
  const policy = state.policy.lending;
  if (!policy) return undefined;
  const settlement = state.settlement;
  const qd = settlement.decimals;
  const debt = -(sub.balances.get(settlement.id) ?? 0n);
  if (debt <= 0n) return undefined;
  const collaterals: { id: string; balance: bigint; pricePx8: bigint; valueQuote: bigint; lt: bigint }[] = [];
  for (const [id, balance] of sub.balances) {
    if (id === settlement.id || balance <= 0n) continue;
    const px = assetPricePx8(state, id);
    if (px === undefined) continue;
    const asset = state.assets.get(id)!;
    const valueQuote = collateralValueQuote({
      balance,
      assetDecimals: asset.decimals,
      pricePx8: px,
      weightPpm: PPM,
      sizeHaircutFactorPpm: 0n,
      quoteDecimals: qd,
    });
    collaterals.push({ id, balance, pricePx8: px, valueQuote, lt: asset.maintenanceWeight });
  }
  if (collaterals.length === 0) return undefined;
  let target = collaterals[0]!;
  if (collateralAsset !== undefined) {
    const c = collaterals.find((x) => x.id === collateralAsset);
    if (!c) reject('INSUFFICIENT_BALANCE', `the scope holds no priced ${collateralAsset} collateral`);
    target = c;
  } else {
    for (const c of collaterals)
      if (c.valueQuote > target.valueQuote || (c.valueQuote === target.valueQuote && c.id < target.id))
        target = c;
  }

  const hf = healthFactor(
    collaterals.map((c) => ({ valueQuote: c.valueQuote, liquidationThresholdPpm: c.lt })),
    debt,
  );
  const threshold = parseDecimalUnsafe(policy.fullCloseBelowValue, qd);
  const totalCollateral = collaterals.reduce((s, c) => s + c.valueQuote, 0n);
  const full =
    hf * PPM <= policy.fullCloseBelowHealthFactor * HEALTH_FACTOR_ONE ||
    totalCollateral < threshold ||
    debt < threshold;
  const closeFactorPpm = full ? PPM : policy.closeFactor;
  const maxDebt = full ? debt : percentMulPpm(debt, closeFactorPpm);
  const debtToCover = debtToCoverCap !== undefined && debtToCoverCap < maxDebt ? debtToCoverCap : maxDebt;

  const asset = state.assets.get(target.id)!;
  const bonusFactor = PPM + (asset.liquidationBonus ?? 0n);
  const collUnit = pow10(asset.decimals);
  const debtUnit = pow10(qd);
  const base = (PX8_ONE * debtToCover * collUnit) / (target.pricePx8 * debtUnit);
  const maxCollateral = percentMulPpm(base, bonusFactor);
  let collateral = maxCollateral;
  let debtRepaid = debtToCover;
  if (maxCollateral > target.balance) {
    collateral = target.balance;
    debtRepaid = percentDivPpm((target.pricePx8 * collateral * debtUnit) / (PX8_ONE * collUnit), bonusFactor);
  }
  const feeShare = asset.liquidationProtocolFee ?? 0n;
  const protocolFee =
    feeShare === 0n ? 0n : percentMulPpm(collateral - percentDivPpm(collateral, bonusFactor), feeShare);
  if (policy.minLeftoverValue !== undefined && debtRepaid < debt && collateral < target.balance) {
    // Aave v3.3 (LiquidationLogic, "to prevent accumulation of dust"): either all the debt, or all
    // the collateral, or at least MIN_LEFTOVER_BASE of both left. The debt is the settlement asset
    // (price 1); the collateral left is valued at its price, floored, as Aave does.
    const minLeft = parseDecimalUnsafe(policy.minLeftoverValue, qd);
    const debtLeft = debt - debtRepaid;
    const collateralLeft = collateralValueQuote({
      balance: target.balance - collateral,
      assetDecimals: asset.decimals,
      pricePx8: target.pricePx8,
      weightPpm: PPM,
      sizeHaircutFactorPpm: 0n,
      quoteDecimals: qd,
    });
    if (debtLeft < minLeft || collateralLeft < minLeft)
      reject(
        'LIQUIDATION_LEAVES_DUST',
        `the step would leave ${fmt.quote(state, debtLeft)} of debt and ${fmt.quote(state, collateralLeft)} of ${target.id}; ` +
          `repay all the debt, take all of that collateral, or leave at least ${policy.minLeftoverValue} of both`,
      );
  }
  return {
    collateralAsset: target.id,
    closeFactorPpm,
    healthFactorWad: hf,
    debtRepaid,
    collateralToLiquidator: collateral - protocolFee,
    protocolFee,
  };
}

/**
 * Lending liquidation step (module header). Returns false, having emitted nothing, when the scope
 * holds no collateral (the caller's waterfall takes it).
 */
export function liquidateLending(
  ctx: CommandContext,
  sub: Subaccount,
  before: ScopeFigures,
  liquidator: Subaccount,
  collateralAsset: string | undefined,
  debtToCover?: string,
): boolean {
  const state = ctx.state;
  const settlement = state.settlement.id;
  if (collateralAsset !== undefined) ctx.asset(collateralAsset);
  const cap = debtToCover === undefined ? undefined : ctx.positiveAmount(debtToCover, state.settlement);
  const plan = planLendingLiquidation(state, sub, collateralAsset, cap);
  if (!plan) return false;
  // The liquidator pays from its settlement balance and must stay within its own initial margin.
  const paying = liquidator.balances.get(settlement) ?? 0n;
  if (paying < plan.debtRepaid)
    reject('INSUFFICIENT_BALANCE', `liquidator balance ${paying} < debt to repay ${plan.debtRepaid}`);
  const balances = new Map(liquidator.balances);
  balances.set(settlement, paying - plan.debtRepaid);
  balances.set(
    plan.collateralAsset,
    (balances.get(plan.collateralAsset) ?? 0n) + plan.collateralToLiquidator,
  );
  if (ctx.figures({ ...crossView(liquidator), balances }).freeCollateralQuote < 0n)
    reject('LIQUIDATOR_INSUFFICIENT_MARGIN', 'the liquidator would fall below its initial margin');

  const debt = -(sub.balances.get(settlement) ?? 0n);
  ctx.emit({
    type: 'liquidation_started',
    sub: sub.key,
    scope: 'cross',
    mode: plan.debtRepaid === debt ? 'full' : 'partial',
    equityQuote: before.equityQuote,
    maintenanceQuote: before.maintenanceMarginQuote,
  });
  const ledger = { kind: 'balance', sub: sub.key } as const;
  if (plan.debtRepaid > 0n)
    ctx.emit({
      type: 'moved',
      from: { kind: 'balance', sub: liquidator.key },
      to: ledger,
      asset: settlement,
      amount: plan.debtRepaid,
      reason: 'debt_repaid',
    });
  if (plan.collateralToLiquidator > 0n)
    ctx.emit({
      type: 'moved',
      from: ledger,
      to: { kind: 'balance', sub: liquidator.key },
      asset: plan.collateralAsset,
      amount: plan.collateralToLiquidator,
      reason: 'collateral_seized',
    });
  if (plan.protocolFee > 0n)
    ctx.emit({
      type: 'moved',
      from: ledger,
      to: { kind: 'insurance' },
      asset: plan.collateralAsset,
      amount: plan.protocolFee,
      reason: 'liquidation_fee',
    });
  return true;
}

type BorrowCmd = Extract<Command, { type: 'borrow' }>;

/** `borrow`: the settlement asset out of the subaccount past zero, within free collateral (LTV). */
export function borrow(ctx: CommandContext, c: BorrowCmd): void {
  const state = ctx.state;
  if (!state.policy.lending)
    reject('MALFORMED_COMMAND', 'borrowing needs the lending liquidation policy (policy.lending)');
  const amount = ctx.positiveAmount(c.amount, state.settlement);
  ctx.checkTime(c.timeMs);
  const sub = ctx.subaccount(c.subaccount);
  guardValueOut(ctx, crossView(sub), crossView(sub, -amount), c.timeMs, 'borrow');
  const f = ctx.figures(crossView(sub, -amount));
  if (f.freeCollateralQuote < 0n)
    reject(
      'INSUFFICIENT_MARGIN',
      `free collateral after borrowing ${fmt.quote(state, amount)} would be ${fmt.quote(state, f.freeCollateralQuote)}`,
    );
  ctx.emit({
    type: 'moved',
    from: { kind: 'balance', sub: sub.key },
    to: { kind: 'external' },
    asset: state.settlement.id,
    amount,
    reason: 'borrow',
  });
}
