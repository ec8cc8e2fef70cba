/**
 * Open-interest-scaled initial margin (dYdX v4 "OIMF", liquidity tiers).
 *
 * Each market has a lower and an upper open-interest cap (quote notional). The
 * initial margin fraction rises linearly from its base to 100% as the market's
 * open interest OI goes from the lower to the upper cap:
 *
 *     scale = clamp((OI − lower) / (upper − lower), 0, 1)
 *     IMF   = base + scale × (1 − base)
 *
 * upper = 0 disables scaling (both caps 0 in dYdX's configs); lower > upper is a
 * configuration error. Two roundings, as dYdX documents them:
 *  - the adjusted IMF *reported in ppm* is rounded DOWN (`GetAdjustedInitialMarginPpm`);
 *  - the IM in quote units is computed from the exact rational IMF and rounded
 *    UP, and never exceeds the notional itself (`GetInitialMarginQuoteQuantums`).
 */
import { divRound, InvariantError, min, PPM } from '../num/index.ts';

function checkCaps(lowerQuote: bigint, upperQuote: bigint, basePpm: bigint): void {
  if (lowerQuote < 0n || upperQuote < 0n) throw new InvariantError('negative open-interest cap');
  if (upperQuote !== 0n && lowerQuote > upperQuote)
    throw new InvariantError('open-interest lower cap > upper cap');
  if (basePpm < 0n || basePpm > PPM) throw new InvariantError(`base IMF ${basePpm} ppm outside [0, 1e6]`);
}

/** Where OI sits between the caps: 'base' (no scaling), 'full' (100%) or a fraction to scale by. */
function scaling(oiQuote: bigint, lowerQuote: bigint, upperQuote: bigint): 'base' | 'full' | 'between' {
  if (upperQuote === 0n || oiQuote <= lowerQuote) return 'base';
  if (oiQuote >= upperQuote) return 'full';
  return 'between';
}

/**
 * OI-adjusted initial margin fraction, ppm, rounded down.
 *
 * @param baseInitialPpm base initial margin fraction, ppm
 * @param openInterestQuote market open interest valued at the oracle, quote units
 * @param lowerCapQuote open interest where scaling starts, quote units
 * @param upperCapQuote open interest where IMF reaches 100%, quote units (0 = no scaling)
 * @example oiAdjustedInitialPpm(200_000n, 1_234_567n, 1_000_000n, 2_000_000n) // 387_653n
 */
export function oiAdjustedInitialPpm(
  baseInitialPpm: bigint,
  openInterestQuote: bigint,
  lowerCapQuote: bigint,
  upperCapQuote: bigint,
): bigint {
  checkCaps(lowerCapQuote, upperCapQuote, baseInitialPpm);
  switch (scaling(openInterestQuote, lowerCapQuote, upperCapQuote)) {
    case 'base':
      return baseInitialPpm;
    case 'full':
      return PPM;
    case 'between':
      return (
        baseInitialPpm +
        divRound(
          (openInterestQuote - lowerCapQuote) * (PPM - baseInitialPpm),
          upperCapQuote - lowerCapQuote,
          'floor',
        )
      );
  }
}

/**
 * Initial margin in quote units with OI scaling: ⌈notional × IMF⌉ on the exact
 * rational IMF, capped at the notional.
 *
 *     IM = ⌈notional × (base × (U − L) + (OI − L) × (1e6 − base)) / (1e6 × (U − L))⌉
 *
 * @param notionalQuote position notional, quote units (≥ 0)
 * @param baseInitialPpm base initial margin fraction, ppm
 * @param openInterestQuote market open interest, quote units
 * @param lowerCapQuote lower cap, quote units
 * @param upperCapQuote upper cap, quote units (0 = no scaling)
 * @example oiScaledInitialMarginQuote(500_000n, 200_000n, 1_500_000_000_000n, 1_000_000_000_000n, 2_000_000_000_000n) // 300_000n
 */
export function oiScaledInitialMarginQuote(
  notionalQuote: bigint,
  baseInitialPpm: bigint,
  openInterestQuote: bigint,
  lowerCapQuote: bigint,
  upperCapQuote: bigint,
): bigint {
  checkCaps(lowerCapQuote, upperCapQuote, baseInitialPpm);
  switch (scaling(openInterestQuote, lowerCapQuote, upperCapQuote)) {
    case 'base':
      return divRound(notionalQuote * baseInitialPpm, PPM, 'ceil');
    case 'full':
      return notionalQuote;
    case 'between': {
      const span = upperCapQuote - lowerCapQuote;
      const imfNumerator =
        baseInitialPpm * span + (openInterestQuote - lowerCapQuote) * (PPM - baseInitialPpm);
      return min(notionalQuote, divRound(notionalQuote * imfNumerator, PPM * span, 'ceil'));
    }
  }
}
