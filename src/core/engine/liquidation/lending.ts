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
 * Several debt assets (any asset with a negative balance: the settlement asset after `borrow`,
 * another after `borrow … asset`), valued at their prices: the health factor is Σ collateral × LT
 * over the total debt, and one step repays one debt asset (the command's `debtAsset`, else the
 * largest debt by value) for one collateral (`collateralAsset`, else the largest by value), as
 * Aave's liquidationCall(collateral, debt). The close factor follows v3.3 on the chosen reserves:
 * 100% unless that collateral and that debt are both worth ≥ fullCloseBelowValue and HF >
 * fullCloseBelowHealthFactor; then at most closeFactor × the TOTAL debt's value of this debt.
 * An account in an e-mode category (`set_emode`) has its category's LT and bonus on the
 * category's collateral (collateral/weights.ts).
 *
 * A scope with debt and no collateral left goes to the bankrupt waterfall (insurance, then the
 * socialized-loss ledger) — Aave v3.3's deficit.
 */
import { crossView, type ScopeFigures } from '../../account/figures.ts';
import { assetPricePx8 } from '../../account/prices.ts';
import { HEALTH_FACTOR_ONE, healthFactor } from '../../collateral/health-factor.ts';
import { collateralValueQuote } from '../../collateral/valuation.ts';
import { assetWeightPpm, eModeCategoryOf, liquidationBonusPpm } from '../../collateral/weights.ts';
import { InlineMap2 } from '../../model/inline-map.ts';
import type { EngineState, Subaccount } from '../../model/state.ts';
import { formatDecimal, PPM, parseDecimalUnsafe, pow10 } from '../../num/index.ts';
import type { Command } from '../commands.ts';
import type { CommandContext } from '../context.ts';
import { reject } from '../errors.ts';
import * as fmt from '../message-units.ts';
import { guardValueOut } from '../price-trust.ts';
import { emitSpotStep, requireLiquidatorMargin } from './spot-step.ts';

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
  readonly debtAsset: string;
  readonly closeFactorPpm: bigint;
  readonly healthFactorWad: bigint;
  /** Debt repaid by the liquidator (debt-asset units). */
  readonly debtRepaid: bigint;
  /** Collateral to the liquidator (bonus included, protocol fee excluded), collateral units. */
  readonly collateralToLiquidator: bigint;
  /** Collateral to the insurance fund (the protocol's share of the bonus). */
  readonly protocolFee: bigint;
}

interface Reserve {
  readonly id: string;
  /** |balance|, asset units. */
  readonly amount: bigint;
  readonly decimals: number;
  readonly pricePx8: bigint;
  /** Value at full weight, quote units (collateral floored, debt rounded up as Aave's mulDivCeil). */
  readonly valueQuote: bigint;
  /** Liquidation threshold (collateral only), ppm. */
  readonly lt: bigint;
}

/** The scope's debts (negative balances) and priced collaterals (positive non-settlement balances). */
function reservesOf(state: EngineState, sub: Subaccount): { debts: Reserve[]; collaterals: Reserve[] } {
  const settlement = state.settlement;
  const qd = settlement.decimals;
  const debts: Reserve[] = [];
  const collaterals: Reserve[] = [];
  for (const [id, balance] of sub.balances) {
    if (balance === 0n) continue;
    const isSettlement = id === settlement.id;
    if (isSettlement && balance > 0n) continue;
    const px = isSettlement ? PX8_ONE : assetPricePx8(state, id);
    if (px === undefined) continue;
    const asset = isSettlement ? settlement : state.assets.get(id)!;
    const value = collateralValueQuote({
      balance,
      assetDecimals: asset.decimals,
      pricePx8: px,
      weightPpm: PPM,
      sizeHaircutFactorPpm: 0n,
      quoteDecimals: qd,
    });
    const amount = balance < 0n ? -balance : balance;
    if (balance < 0n)
      debts.push({ id, amount, decimals: asset.decimals, pricePx8: px, valueQuote: -value, lt: 0n });
    else
      collaterals.push({
        id,
        amount,
        decimals: asset.decimals,
        pricePx8: px,
        valueQuote: value,
        lt: assetWeightPpm(state.config, sub, asset, 'maintenance'),
      });
  }
  return { debts, collaterals };
}

/** The named reserve, or the largest by value (ties: the smaller id). */
function pick(list: readonly Reserve[], named: string | undefined, what: string): Reserve {
  if (named !== undefined) {
    const r = list.find((x) => x.id === named);
    if (!r) reject('INSUFFICIENT_BALANCE', `the scope holds no priced ${named} ${what}`);
    return r;
  }
  let best = list[0]!;
  for (const r of list)
    if (r.valueQuote > best.valueQuote || (r.valueQuote === best.valueQuote && r.id < best.id)) best = r;
  return best;
}

/**
 * The step a lending liquidation would take on a subaccount's cross scope (module header);
 * undefined when the scope holds no debt or no priced collateral (the waterfall's case).
 */
export function planLendingLiquidation(
  state: EngineState,
  sub: Subaccount,
  collateralAsset?: string,
  debtToCoverCap?: bigint,
  debtAsset?: string,
): LendingLiquidation | undefined {
  const policy = state.policy.lending;
  if (!policy) return undefined;
  const qd = state.settlement.decimals;
  const { debts, collaterals } = reservesOf(state, sub);
  if (debts.length === 0) {
    if (debtAsset !== undefined) reject('INSUFFICIENT_BALANCE', `the scope owes no ${debtAsset}`);
    return undefined;
  }
  const debtReserve = pick(debts, debtAsset, 'debt');
  if (collaterals.length === 0) return undefined;
  const target = pick(collaterals, collateralAsset, 'collateral');

  const totalDebt = debts.reduce((s, d) => s + d.valueQuote, 0n);
  const hf = healthFactor(
    collaterals.map((c) => ({ valueQuote: c.valueQuote, liquidationThresholdPpm: c.lt })),
    totalDebt,
  );
  const threshold = parseDecimalUnsafe(policy.fullCloseBelowValue, qd);
  const debt = debtReserve.amount;
  const debtUnit = pow10(debtReserve.decimals);
  const quoteUnit = pow10(qd);
  // v3.3: 100% of this debt unless this collateral and this debt are both ≥ the threshold and
  // HF > 0.95; then at most closeFactor × the total debt's value, in this debt asset (floored).
  const partial =
    target.valueQuote >= threshold &&
    debtReserve.valueQuote >= threshold &&
    hf * PPM > policy.fullCloseBelowHealthFactor * HEALTH_FACTOR_ONE;
  let maxDebt = debt;
  if (partial) {
    const capQuote = percentMulPpm(totalDebt, policy.closeFactor);
    if (debtReserve.valueQuote > capQuote)
      maxDebt = (capQuote * debtUnit * PX8_ONE) / (debtReserve.pricePx8 * quoteUnit);
  }
  const closeFactorPpm = partial ? policy.closeFactor : PPM;
  const debtToCover = debtToCoverCap !== undefined && debtToCoverCap < maxDebt ? debtToCoverCap : maxDebt;

  const asset = state.assets.get(target.id)!;
  const bonusFactor = PPM + liquidationBonusPpm(state.config, sub, asset);
  const collUnit = pow10(asset.decimals);
  const base = (debtReserve.pricePx8 * debtToCover * collUnit) / (target.pricePx8 * debtUnit);
  const maxCollateral = percentMulPpm(base, bonusFactor);
  let collateral = maxCollateral;
  let debtRepaid = debtToCover;
  if (maxCollateral > target.amount) {
    collateral = target.amount;
    debtRepaid = percentDivPpm(
      (target.pricePx8 * collateral * debtUnit) / (debtReserve.pricePx8 * collUnit),
      bonusFactor,
    );
  }
  const feeShare = asset.liquidationProtocolFee ?? 0n;
  const protocolFee =
    feeShare === 0n ? 0n : percentMulPpm(collateral - percentDivPpm(collateral, bonusFactor), feeShare);
  if (policy.minLeftoverValue !== undefined && debtRepaid < debt && collateral < target.amount) {
    // Aave v3.3 (LiquidationLogic, "to prevent accumulation of dust"): either all the debt, or all
    // the collateral, or at least MIN_LEFTOVER_BASE of both left, each valued at its price, floored.
    const minLeft = parseDecimalUnsafe(policy.minLeftoverValue, qd);
    const worth = (r: Reserve, amount: bigint) =>
      collateralValueQuote({
        balance: amount,
        assetDecimals: r.decimals,
        pricePx8: r.pricePx8,
        weightPpm: PPM,
        sizeHaircutFactorPpm: 0n,
        quoteDecimals: qd,
      });
    const debtLeft = worth(debtReserve, debt - debtRepaid);
    const collateralLeft = worth(target, target.amount - collateral);
    if (debtLeft < minLeft || collateralLeft < minLeft)
      reject(
        'LIQUIDATION_LEAVES_DUST',
        `the step would leave ${fmt.quote(state, debtLeft)} of ${debtReserve.id} debt and ${fmt.quote(state, collateralLeft)} of ${target.id}; ` +
          `repay all the debt, take all of that collateral, or leave at least ${policy.minLeftoverValue} of both`,
      );
  }
  return {
    collateralAsset: target.id,
    debtAsset: debtReserve.id,
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
  debtAsset?: string,
): boolean {
  const state = ctx.state;
  if (collateralAsset !== undefined) ctx.asset(collateralAsset);
  const debtConfig = debtAsset === undefined ? undefined : ctx.asset(debtAsset);
  const cap =
    debtToCover === undefined ? undefined : ctx.positiveAmount(debtToCover, debtConfig ?? state.settlement);
  const plan = planLendingLiquidation(state, sub, collateralAsset, cap, debtAsset);
  if (!plan) return false;
  if (debtToCover !== undefined && debtAsset === undefined && plan.debtAsset !== state.settlement.id)
    reject(
      'MALFORMED_COMMAND',
      `debtToCover needs debtAsset when the debt repaid is not ${state.settlement.id}`,
    );
  // The liquidator pays from its balance of the debt asset and must stay within its initial margin.
  const paying = liquidator.balances.get(plan.debtAsset) ?? 0n;
  if (paying < plan.debtRepaid)
    reject(
      'INSUFFICIENT_BALANCE',
      `liquidator ${plan.debtAsset} balance ${paying} < debt to repay ${plan.debtRepaid}`,
    );
  requireLiquidatorMargin(
    ctx,
    liquidator,
    { asset: plan.debtAsset, amount: plan.debtRepaid },
    { asset: plan.collateralAsset, amount: plan.collateralToLiquidator },
  );
  const debt = -(sub.balances.get(plan.debtAsset) ?? 0n);
  const ledger = { kind: 'balance', sub: sub.key } as const;
  emitSpotStep(ctx, sub.key, plan.debtRepaid === debt ? 'full' : 'partial', before, [
    {
      from: { kind: 'balance', sub: liquidator.key },
      to: ledger,
      asset: plan.debtAsset,
      amount: plan.debtRepaid,
      reason: 'debt_repaid',
    },
    {
      from: ledger,
      to: { kind: 'balance', sub: liquidator.key },
      asset: plan.collateralAsset,
      amount: plan.collateralToLiquidator,
      reason: 'collateral_seized',
    },
    {
      from: ledger,
      to: { kind: 'insurance' },
      asset: plan.collateralAsset,
      amount: plan.protocolFee,
      reason: 'liquidation_fee',
    },
  ]);
  return true;
}

type BorrowCmd = Extract<Command, { type: 'borrow' }>;

/**
 * `borrow`: `asset` (default the settlement asset) out of the subaccount past zero, within free
 * collateral at initial weights (Aave's LTV). The settlement asset needs policy `lending`; another
 * asset a `liabilityWeight` (NOT_BORROWABLE) and a price (NO_PRICE: an unpriced debt would count
 * for nothing). In an e-mode category only its borrowable assets (EMODE_MISMATCH).
 */
export function borrow(ctx: CommandContext, c: BorrowCmd): void {
  const state = ctx.state;
  const settlement = state.settlement;
  const assetId = c.asset ?? settlement.id;
  const isSettlement = assetId === settlement.id;
  const asset = isSettlement ? settlement : ctx.asset(assetId);
  if (isSettlement && !state.policy.lending)
    reject('MALFORMED_COMMAND', 'borrowing needs the lending liquidation policy (policy.lending)');
  if (!isSettlement && asset.liabilityWeight === undefined)
    reject('NOT_BORROWABLE', `${assetId} has no liabilityWeight: it cannot be borrowed`);
  const amount = ctx.positiveAmount(c.amount, asset);
  ctx.checkTime(c.timeMs);
  const sub = ctx.subaccount(c.subaccount);
  if (!isSettlement && assetPricePx8(state, assetId) === undefined)
    reject('NO_PRICE', `no price for ${assetId}: a debt in it could not be valued`);
  const category = eModeCategoryOf(state.config, sub);
  if (category && !category.borrowableAssets.includes(assetId))
    reject('EMODE_MISMATCH', `${assetId} is not borrowable in e-mode category ${category.id}`);
  const after = isSettlement
    ? crossView(sub, -amount)
    : {
        ...crossView(sub),
        balances: InlineMap2.from(sub.balances).set(assetId, (sub.balances.get(assetId) ?? 0n) - amount),
      };
  guardValueOut(ctx, crossView(sub), after, c.timeMs, 'borrow');
  const f = ctx.figures(after);
  if (f.freeCollateralQuote < 0n)
    reject(
      'INSUFFICIENT_MARGIN',
      `free collateral after borrowing ${formatDecimal(amount, asset.decimals)} ${assetId} would be ${fmt.quote(state, f.freeCollateralQuote)}`,
    );
  ctx.emit({
    type: 'moved',
    from: { kind: 'balance', sub: sub.key },
    to: { kind: 'external' },
    asset: assetId,
    amount,
    reason: 'borrow',
  });
}

type SetEModeCmd = Extract<Command, { type: 'set_emode' }>;

/**
 * `set_emode` (Aave's setUserEMode): enter a category of the engine's `eModeCategories`, or leave
 * (0). Every asset the subaccount owes must be borrowable in the new category, and its health
 * factor must stay ≥ 1 (equity ≥ maintenance) under the new weights.
 */
export function setEMode(ctx: CommandContext, c: SetEModeCmd): void {
  const state = ctx.state;
  const sub = ctx.subaccount(c.subaccount);
  if ((sub.eModeCategory ?? 0) === c.category) return;
  const category =
    c.category === 0 ? undefined : state.config.eModeCategories?.find((e) => e.id === c.category);
  if (c.category !== 0 && !category)
    reject('EMODE_MISMATCH', `no e-mode category ${c.category} in this engine's configuration`);
  if (category)
    for (const [id, balance] of sub.balances)
      if (balance < 0n && !category.borrowableAssets.includes(id))
        reject(
          'EMODE_MISMATCH',
          `${sub.key} owes ${id}, which is not borrowable in e-mode category ${category.id}`,
        );
  const next = { ...sub, eModeCategory: c.category === 0 ? undefined : c.category };
  const after = ctx.figures(crossView(next));
  if (after.equityQuote < after.maintenanceMarginQuote)
    reject(
      'INSUFFICIENT_MARGIN',
      `${sub.key}: equity ${fmt.quote(state, after.equityQuote)} would be below maintenance ${fmt.quote(state, after.maintenanceMarginQuote)} in e-mode ${c.category}`,
    );
  ctx.emit({ type: 'emode_set', sub: sub.key, category: c.category });
}
