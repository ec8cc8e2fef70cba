/**
 * Aave v3.3's `liquidationCall` (LiquidationLogic.sol with PercentageMath), as the protocol states
 * it: the debt a liquidator may repay (close factor), the collateral it receives with the bonus,
 * and the protocol's share of the bonus — half-up basis-point arithmetic. A test reference only:
 * the engine's lending liquidation (engine/liquidation/lending.ts) is checked against it.
 *
 * Also the borrowing power of aave-utilities' user summary (packages/math-utils,
 * generate-raw-user-summary: available borrows = Σ collateral × LTV − debt, at least 0), the
 * counterpart of the engine's free collateral at initial (LTV) weights.
 *
 * Sources: https://github.com/aave-dao/aave-v3-origin (LiquidationLogic.sol),
 * https://github.com/aave/aave-utilities (test/vectors/aave_v3_health_factor.json).
 */
import { divRound, InvariantError, PPM, pow10 } from '../num/index.ts';

/** Aave's PercentageMath: basis points, 1e4 = 100%. */
export const PERCENTAGE_FACTOR = 10_000n;
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

export interface LtvCollateral {
  /** Collateral value, quote units, ≥ 0. */
  readonly valueQuote: bigint;
  /** Loan-to-value ratio, ppm. */
  readonly ltvPpm: bigint;
}

/**
 * Borrowing power left: max(0, ⌊Σ value × ltv⌋ − debt), quote units.
 *
 * @param collaterals collateral values (quote units) with loan-to-value ratios (ppm)
 * @param debtQuote total debt, quote units (≥ 0)
 */
export function availableBorrowsQuote(collaterals: readonly LtvCollateral[], debtQuote: bigint): bigint {
  if (debtQuote < 0n) throw new InvariantError(`negative debt ${debtQuote}`);
  let weighted = 0n;
  for (const c of collaterals) {
    if (c.valueQuote < 0n || c.ltvPpm < 0n) throw new InvariantError('negative collateral input');
    weighted += c.valueQuote * c.ltvPpm;
  }
  const capacity = divRound(weighted, PPM, 'floor');
  return capacity > debtQuote ? capacity - debtQuote : 0n;
}
