/**
 * A user's (or venue's) leverage cap on one market: the initial requirement is
 * at least notional / maxLeverage. Only IM is raised — the cap limits how much
 * a user may open, it does not move the liquidation trigger (MM).
 */

import type { MarginRequirement } from '../model/margin-model.ts';
import { divRound, InvariantError, PPM } from '../num/index.ts';

/**
 * @param req requirement from the market's margin model, quote units
 * @param notionalQuote the position's notional, quote units
 * @param maxLeverage leverage cap in ppm (20x = 20_000_000n); undefined = no cap
 * @returns IM' = max(IM, ⌈notional × 1e6 / maxLeverage⌉), MM unchanged
 * @example applyLeverageCap({ initialQuote: 10n, maintenanceQuote: 5n }, 1_000n, 20_000_000n) // IM 50n, MM 5n
 */
export function applyLeverageCap(
  req: MarginRequirement,
  notionalQuote: bigint,
  maxLeverage: bigint | undefined,
): MarginRequirement {
  if (maxLeverage === undefined) return req;
  if (maxLeverage <= 0n) throw new InvariantError(`leverage cap must be positive, got ${maxLeverage} ppm`);
  const capIm = divRound(notionalQuote * PPM, maxLeverage, 'ceil');
  return capIm <= req.initialQuote ? req : { initialQuote: capIm, maintenanceQuote: req.maintenanceQuote };
}
