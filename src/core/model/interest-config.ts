/**
 * The configuration of an interest-bearing asset (zod): its borrow-rate curve, as yearly rates in
 * rays (27 decimals), and the protocol's share of interest. The arithmetic is
 * collateral/interest.ts; this sits in the model so asset configurations can name it.
 */
import { z } from 'zod';
import { decimalAt } from '../num/schema.ts';

/** 1.0 in ray (27 decimals). */
export const RAY = 10n ** 27n;

const rayRate = (what: string, max: bigint) =>
  decimalAt(27, what).refine((v) => v >= 0n && v <= max, `${what} must be in [0, ${max / RAY}]`);

/** An asset's interest: the borrow-rate curve (yearly rates) and the protocol's share of interest. */
export const InterestConfigSchema = z
  .object({
    /** Borrow rate at zero utilization (Aave baseVariableBorrowRate, Drift min_borrow_rate). */
    baseRate: rayRate('interest.baseRate', 100n * RAY).prefault('0'),
    /** Rate added from zero to optimal utilization (Aave variableRateSlope1, Drift optimal_borrow_rate). */
    slope1: rayRate('interest.slope1', 100n * RAY),
    /** Rate added from optimal to full utilization (Aave variableRateSlope2, Drift max − optimal rate). */
    slope2: rayRate('interest.slope2', 100n * RAY),
    /** The kink, strictly between 0 and 1 (Aave optimalUsageRatio, Drift optimal_utilization). */
    optimalUtilization: decimalAt(27, 'interest.optimalUtilization').refine(
      (v) => v > 0n && v < RAY,
      'interest.optimalUtilization must be strictly between 0 and 1',
    ),
    /** Share of borrowers' interest kept by the protocol (Aave reserveFactor, Drift insurance factor). */
    protocolShare: rayRate('interest.protocolShare', RAY).prefault('0'),
  })
  .strict();
export type InterestConfig = z.output<typeof InterestConfigSchema>;
export type InterestConfigInput = z.input<typeof InterestConfigSchema>;
