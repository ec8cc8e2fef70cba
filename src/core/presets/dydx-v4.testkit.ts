/** Shared by the dYdX preset tests: the test perpetuals' tier and the vector-group filter. */
import type { LiquidityTier } from './dydx-v4.ts';

type Any = Record<string, unknown>;
/** The cases of one group of a vector file. */
export const group = (cases: readonly { group?: string }[], g: string) =>
  cases.filter((c) => c.group === g) as unknown as { name: string; inputs: Any; expected: Any }[];

/** dYdX's test perpetuals: IMF 20%, maintenance 50% of it (10%), no OI scaling. */
export const TEST_TIER: LiquidityTier = {
  name: 'test 20/10',
  initialMarginPpm: 200_000n,
  maintenanceFractionPpm: 500_000n,
  openInterestLowerCap: '0',
  openInterestUpperCap: '0',
};
