/**
 * Margin ratios in ppm (1_000_000 = 100%) and how a maintenance ratio is
 * derived from configuration.
 *
 * A maintenance ratio is either its own number (`{ ratio }`) or a fraction of
 * the initial ratio (`{ fractionOfInitial }`), as dYdX v4 liquidity tiers do:
 *
 *     mmPpm = floor(initialPpm × fractionPpm / 1e6)
 *
 * (dYdX `LiquidityTier.GetMaintenanceMarginPpm`: integer ppm, rounded down).
 * Rounding the *ratio* down follows the venue; the requirement in quote units
 * computed from it is then rounded up.
 */
import type { MarginModelConfig } from '../model/config.ts';
import { InvariantError, mulDiv, PPM } from '../num/index.ts';

/** `{ ratio }` or `{ fractionOfInitial }`, ppm (as parsed by MarginModelConfigSchema). */
export type MaintenanceConfig = Extract<MarginModelConfig, { kind: 'fixed' }>['maintenance'];

/**
 * Maintenance margin ratio from a fraction of the initial ratio (dYdX's rule).
 *
 * @param initialRatioPpm initial margin ratio, ppm
 * @param fractionPpm maintenance fraction of initial, ppm (≤ 1e6)
 * @returns maintenance ratio, ppm, rounded down
 * @example maintenanceFractionPpm(150_000n, 800_000n) // 120_000n (15% × 80% = 12%)
 */
export function maintenanceFractionPpm(initialRatioPpm: bigint, fractionPpm: bigint): bigint {
  if (initialRatioPpm < 0n || fractionPpm < 0n || fractionPpm > PPM) {
    throw new InvariantError(`bad ratio: initial ${initialRatioPpm} ppm, fraction ${fractionPpm} ppm`);
  }
  return mulDiv(initialRatioPpm, fractionPpm, PPM, 'floor');
}

/**
 * The maintenance ratio a config describes, given the initial ratio it relates to.
 *
 * @param maintenance `{ ratio }` (ppm) or `{ fractionOfInitial }` (ppm)
 * @param initialRatioPpm the model's base initial ratio, ppm
 * @returns maintenance ratio, ppm
 */
export function resolveMaintenancePpm(maintenance: MaintenanceConfig, initialRatioPpm: bigint): bigint {
  return 'ratio' in maintenance
    ? maintenance.ratio
    : maintenanceFractionPpm(initialRatioPpm, maintenance.fractionOfInitial);
}
