/**
 * The exact scan as a CandidateFinder (stateless): the reference finder the fast ones are
 * property-tested against. The scan itself is pure reading of the state and lives below the
 * engine (core/liquidation/exact-scan.ts), where `Engine.liquidatable()` also calls it.
 */
import { exactLiquidatable } from '../liquidation/exact-scan.ts';
import type { CandidateFinder } from './finder.ts';

export { exactLiquidatable };

/** The exact scan as a CandidateFinder (stateless). */
export const exactScan: CandidateFinder = {
  name: 'exact-scan',
  liquidatable: exactLiquidatable,
};
