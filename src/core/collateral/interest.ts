/**
 * Interest-bearing balances (docs/funding-and-interest.md), the pure arithmetic: a kinked
 * utilization curve for the borrow rate, the deposit rate it pays, the cumulative deposit and
 * borrow indexes (Aave's liquidityIndex / variableBorrowIndex, Drift's
 * cumulative_deposit_interest / cumulative_borrow_interest) and scaled balances.
 *
 * Units: rates, utilization and indexes are rays (27 decimals, as Aave's WadRayMath); rates are
 * per year of 365 days (Aave's and Drift's SECONDS_PER_YEAR / ONE_YEAR), applied linearly over
 * each accrual (Drift's rule; Aave compounds the borrow index, and frequent accruals compound).
 *
 * The borrow rate (Aave v3's DefaultReserveInterestRateStrategy, aave.com docs):
 *   U ≤ U*:  R = base + slope1 · U / U*
 *   U > U*:  R = base + slope1 + slope2 · (U − U*) / (1 − U*)
 * Drift's curve (optimal_utilization, optimal_borrow_rate, max_borrow_rate) is the same with
 * base 0, slope1 = optimal rate, slope2 = max rate − optimal rate. The deposit rate is
 * R · U · (1 − protocol share).
 *
 * Rounding never creates money, and the protocol takes what rounding leaves: utilization and the
 * deposit rate and index round down, the borrow rate and index round up; a deposit's balance is
 * its scaled balance × the deposit index rounded down, a debt's is rounded up (larger). Because
 * deposits earn D · R · U · (1 − share) ≤ B · R, where U ≤ B / D, what borrowers pay covers
 * what depositors receive, and the rest is the protocol's (engine/evolve.ts books it).
 */
import { type InterestConfig, RAY } from '../model/interest-config.ts';
import { divRound } from '../num/index.ts';

export { RAY };
/** A year of 365 days in ms (rates are per year). */
export const YEAR_MS = 365n * 24n * 3600n * 1000n;
/**
 * Scaled balances carry 18 more digits than the asset: with an index below 10^18 (always),
 * a balance scaled and read back at the same index is the same balance to the unit.
 */
export const SCALED_EXTRA = 10n ** 18n;

/** Borrows / deposits (ray), rounded down and capped at 1; 0 without borrows, 1 with borrows and no deposits. */
export function utilizationRay(deposits: bigint, borrows: bigint): bigint {
  if (borrows <= 0n) return 0n;
  if (deposits <= 0n || borrows >= deposits) return RAY;
  return divRound(borrows * RAY, deposits, 'floor');
}

/** The yearly borrow rate at utilization U (ray), rounded up. */
export function borrowRateRay(c: InterestConfig, u: bigint): bigint {
  const opt = c.optimalUtilization;
  if (u <= opt) return c.baseRate + divRound(c.slope1 * u, opt, 'ceil');
  return c.baseRate + c.slope1 + divRound(c.slope2 * (u - opt), RAY - opt, 'ceil');
}

/** The yearly deposit rate R · U · (1 − share) (ray), rounded down. */
export function depositRateRay(c: InterestConfig, borrowRate: bigint, u: bigint): bigint {
  return divRound(borrowRate * u * (RAY - c.protocolShare), RAY * RAY, 'floor');
}

/** The index after `elapsedMs` at a yearly rate, linear over the interval: up for borrows, down for deposits. */
export function nextIndex(
  index: bigint,
  rate: bigint,
  elapsedMs: bigint,
  side: 'deposit' | 'borrow',
): bigint {
  const rounding = side === 'borrow' ? 'ceil' : 'floor';
  const growth = divRound(rate * elapsedMs, YEAR_MS, rounding);
  return divRound(index * (RAY + growth), RAY, rounding);
}

/**
 * The scaled balance that reads back as `balance` (deposit index for ≥ 0, borrow index for < 0):
 * rounded away from the reading's rounding, so the round trip is exact.
 */
export function toScaled(balance: bigint, depositIndex: bigint, borrowIndex: bigint): bigint {
  if (balance >= 0n) return divRound(balance * RAY * SCALED_EXTRA, depositIndex, 'ceil');
  return -divRound(-balance * RAY * SCALED_EXTRA, borrowIndex, 'floor');
}

/** A scaled balance's amount now: deposits rounded down, debts rounded up (in size). */
export function fromScaled(scaled: bigint, depositIndex: bigint, borrowIndex: bigint): bigint {
  if (scaled >= 0n) return divRound(scaled * depositIndex, RAY * SCALED_EXTRA, 'floor');
  return -divRound(-scaled * borrowIndex, RAY * SCALED_EXTRA, 'ceil');
}

/** The rates and new indexes of one accrual over `elapsedMs` with the given total deposits and borrows. */
export function accrual(
  c: InterestConfig,
  indexes: { depositIndex: bigint; borrowIndex: bigint },
  totals: { deposits: bigint; borrows: bigint },
  elapsedMs: bigint,
): {
  utilization: bigint;
  borrowRate: bigint;
  depositRate: bigint;
  depositIndex: bigint;
  borrowIndex: bigint;
} {
  const utilization = utilizationRay(totals.deposits, totals.borrows);
  const borrowRate = borrowRateRay(c, utilization);
  const depositRate = depositRateRay(c, borrowRate, utilization);
  return {
    utilization,
    borrowRate,
    depositRate,
    depositIndex: nextIndex(indexes.depositIndex, depositRate, elapsedMs, 'deposit'),
    borrowIndex: nextIndex(indexes.borrowIndex, borrowRate, elapsedMs, 'borrow'),
  };
}
