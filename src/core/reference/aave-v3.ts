/**
 * Aave v3.3's `liquidationCall` (LiquidationLogic.sol with PercentageMath), as the protocol states
 * it: the debt a liquidator may repay (close factor), the collateral it receives with the bonus,
 * and the protocol's share of the bonus — half-up basis-point arithmetic. A test reference only:
 * the engine's lending liquidation (engine/liquidation/lending.ts) is checked against it.
 */
import { pow10 } from '../num/index.ts';
import { PERCENTAGE_FACTOR } from '../presets/aave-v3.ts';

const HALF_PERCENT = 5_000n;

/** value × percentage / 1e4, half up (PercentageMath.percentMul). */
export function percentMul(value: bigint, percentageBps: bigint): bigint {
  return (value * percentageBps + HALF_PERCENT) / PERCENTAGE_FACTOR;
}

/** value × 1e4 / percentage, half up (PercentageMath.percentDiv). */
export function percentDiv(value: bigint, percentageBps: bigint): bigint {
  return (value * PERCENTAGE_FACTOR + percentageBps / 2n) / percentageBps;
}

export interface LiquidationCallInput {
  /** Debt the liquidator offers to repay, debt-asset smallest units (already capped by the close factor). */
  readonly debtToCover: bigint;
  /** Oracle prices in the base currency (any common scale, e.g. USD × 1e8). */
  readonly debtPrice: bigint;
  readonly collateralPrice: bigint;
  readonly debtDecimals: number;
  readonly collateralDecimals: number;
  /** The user's balance of the collateral asset, smallest units. */
  readonly userCollateralBalance: bigint;
  /** Liquidation bonus in bps, > 1e4 (10500 = 5% bonus). */
  readonly liquidationBonusBps: bigint;
  /** Protocol's share of the bonus, bps (1000 = 10%); 0 for none. */
  readonly liquidationProtocolFeeBps: bigint;
}

export interface LiquidationCallResult {
  /** Collateral sent to the liquidator (bonus included, protocol fee excluded). */
  readonly collateralToLiquidator: bigint;
  /** Debt actually repaid (less than offered when the collateral runs out). */
  readonly debtRepaid: bigint;
  /** Collateral sent to the treasury: protocol fee share of the bonus. */
  readonly protocolFee: bigint;
}

/**
 * Collateral seized for a debt repayment (LiquidationLogic._calculateAvailableCollateralToLiquidate,
 * Aave v3.0.1+), exactly as Aave rounds:
 *
 *     base = debtPrice × debtToCover × 10^collDec / (collPrice × 10^debtDec)        (floor)
 *     max  = percentMul(base, bonus)
 *     if max > balance: collateral = balance, debt = percentDiv(collPrice × balance × 10^debtDec / (debtPrice × 10^collDec), bonus)
 *     else collateral = max, debt = debtToCover
 *     fee  = percentMul(collateral − percentDiv(collateral, bonus), protocolFee);  liquidator gets collateral − fee
 */
export function liquidationCall(i: LiquidationCallInput): LiquidationCallResult {
  const collUnit = pow10(i.collateralDecimals);
  const debtUnit = pow10(i.debtDecimals);
  const base = (i.debtPrice * i.debtToCover * collUnit) / (i.collateralPrice * debtUnit);
  const maxCollateral = percentMul(base, i.liquidationBonusBps);
  let collateral: bigint;
  let debt: bigint;
  if (maxCollateral > i.userCollateralBalance) {
    collateral = i.userCollateralBalance;
    debt = percentDiv(
      (i.collateralPrice * collateral * debtUnit) / (i.debtPrice * collUnit),
      i.liquidationBonusBps,
    );
  } else {
    collateral = maxCollateral;
    debt = i.debtToCover;
  }
  let fee = 0n;
  if (i.liquidationProtocolFeeBps !== 0n) {
    const bonusCollateral = collateral - percentDiv(collateral, i.liquidationBonusBps);
    fee = percentMul(bonusCollateral, i.liquidationProtocolFeeBps);
  }
  return { collateralToLiquidator: collateral - fee, debtRepaid: debt, protocolFee: fee };
}
