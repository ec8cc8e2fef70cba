/**
 * Health factor of a lending-style account (Aave v3):
 *
 *     HF = Σ (collateral_i × liquidationThreshold_i) / totalDebt
 *
 * with every amount in one reference currency (here: quote units). An account
 * is liquidatable when HF < 1. The result is an 18-decimal fixed-point number
 * ("wad", 1e18 = 1.0), computed from the exact sum and rounded DOWN (the
 * account never looks healthier than it is; Aave's on-chain wadDiv rounds half
 * up, so it may differ by one wad unit). With no debt the factor is unbounded:
 * HEALTH_FACTOR_NO_DEBT (uint256 max, as Aave returns on chain).
 */
import { divRound, InvariantError, PPM } from '../num/index.ts';

/** Decimals of a health factor (wad). */
export const HEALTH_FACTOR_DECIMALS = 18;
/** HF = 1.0: below it the account may be liquidated. */
export const HEALTH_FACTOR_ONE = 10n ** 18n;
/** HF of an account without debt (type(uint256).max, Aave's on-chain value). */
export const HEALTH_FACTOR_NO_DEBT = 2n ** 256n - 1n;

export interface ThresholdedCollateral {
  /** Collateral value, quote (reference currency) units, ≥ 0. */
  readonly valueQuote: bigint;
  /** Liquidation threshold, ppm (Aave bps × 100; 82.5% = 825_000n). */
  readonly liquidationThresholdPpm: bigint;
}

/**
 * Health factor, wad (1e18 = 1.0), rounded down.
 *
 * @param collaterals collateral values (quote units) with their liquidation thresholds (ppm)
 * @param debtQuote total debt, quote units (≥ 0)
 * @returns HF at 18 decimals; HEALTH_FACTOR_NO_DEBT when debt is 0
 * @example healthFactor([{ valueQuote: 100n, liquidationThresholdPpm: 500_000n }], 50n) // 1e18 (1.0)
 */
export function healthFactor(collaterals: readonly ThresholdedCollateral[], debtQuote: bigint): bigint {
  if (debtQuote < 0n) throw new InvariantError(`negative debt ${debtQuote}`);
  let weighted = 0n; // quote units × ppm
  for (const c of collaterals) {
    if (c.valueQuote < 0n || c.liquidationThresholdPpm < 0n)
      throw new InvariantError('negative collateral input');
    weighted += c.valueQuote * c.liquidationThresholdPpm;
  }
  if (debtQuote === 0n) return HEALTH_FACTOR_NO_DEBT;
  return divRound(weighted * HEALTH_FACTOR_ONE, PPM * debtQuote, 'floor');
}
