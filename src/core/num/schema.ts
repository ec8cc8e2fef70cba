/**
 * Schemas for the decimal strings and ids of configurations and commands (zod): a decimal string
 * becomes a fixed-point bigint at a given scale (ppm ratios, px8 prices, qty9 sizes, rate9
 * rates), refusing floats, NaN and exponents; ids are short names of letters, digits and _ . : -.
 * The one codec every configuration (markets, assets, oracle, engine) and command uses.
 */
import { z } from 'zod';
import { PPM_DECIMALS, PRICE_DECIMALS, parseDecimal, QTY_DECIMALS, RATE_DECIMALS } from './index.ts';

/** A decimal string parsed to an integer at `decimals` scale; refuses floats, NaN, exponents. */
export function decimalAt(decimals: number, what: string) {
  return z.string().transform((text, ctx) => {
    const r = parseDecimal(text, decimals);
    if (!r.ok) {
      ctx.addIssue({ code: 'custom', message: `${what}: ${r.issue.reason}` });
      return z.NEVER;
    }
    return r.value;
  });
}
/** A ratio given as a decimal fraction ("0.05" = 5%) → parts per million. */
export const ratioPpm = (what: string, maxPpm = 10_000_000n) =>
  decimalAt(PPM_DECIMALS, what).refine(
    (v) => v >= 0n && v <= maxPpm,
    `${what} must be in [0, ${maxPpm} ppm]`,
  );
export const pricePx8 = (what: string) =>
  decimalAt(PRICE_DECIMALS, what).refine(
    (v) => v > 0n && v < 10n ** 24n,
    `${what} must be positive and sane`,
  );
export const qty9 = (what: string) =>
  decimalAt(QTY_DECIMALS, what).refine((v) => v > 0n && v < 10n ** 27n, `${what} must be positive and sane`);
export const rate9 = (what: string) => decimalAt(RATE_DECIMALS, what);
/** Names that would reach an object's prototype if used as a key (refused as ids and map keys). */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export const id = z
  .string()
  .min(1)
  .max(64)
  // one regex (no extra check on the hot path): the reserved names are excluded by the lookahead
  .regex(
    /^(?!(?:__proto__|constructor|prototype)$)[A-Za-z0-9_.:-]+$/,
    'ids use letters, digits and _ . : - (and are not __proto__, constructor or prototype)',
  );
