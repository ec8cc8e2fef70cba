/**
 * The calculator's input as JSON (the `plimsoll liq-price --file` form and
 * examples/liq-price-*.json): zod-validated, amounts and prices as decimal
 * strings (JSON numbers are refused, as everywhere money crosses the API).
 */
import { z } from 'zod';
import type { LiquidationPriceInput } from './liquidation-price.ts';

const decimal = z.string({ error: 'must be a decimal string (e.g. "1.5"), not a JSON number' });
const amounts = z.record(z.string(), decimal);

export const CalculatorPositionSchema = z.strictObject({
  market: z.string(),
  side: z.enum(['long', 'short']).optional(),
  size: decimal,
  entryPrice: decimal,
  mode: z.enum(['cross', 'isolated']).optional(),
  isolatedMargin: decimal.optional(),
  leverage: decimal.optional(),
});

export const WhatIfSchema = z.strictObject({
  addCollateral: decimal.optional(),
  reduce: z.strictObject({ market: z.string(), size: decimal }).optional(),
  moveOtherMarkets: decimal.optional(),
});

export const LiquidationPriceInputSchema = z.strictObject({
  description: z.string().optional(),
  /** A preset id: binance-usdm, bybit-usdt, dydx-v4, drift-v2, hyperliquid, aave-v3, mango-v4. */
  preset: z.string(),
  /** Optional engine configuration replacing the preset's (EngineConfigSchema input). */
  config: z.unknown().optional(),
  walletBalance: decimal.optional(),
  collateral: amounts.optional(),
  assetPrices: amounts.optional(),
  positions: z.array(CalculatorPositionSchema).optional(),
  marks: amounts.optional(),
  market: z.string().optional(),
  whatIf: WhatIfSchema.optional(),
  debt: decimal.optional(),
  asset: z.string().optional(),
});

/** Validates parsed JSON; returns the calculator input or a readable list of issues. */
export function parseLiquidationPriceInput(
  raw: unknown,
): { ok: true; value: LiquidationPriceInput } | { ok: false; issues: string } {
  const r = LiquidationPriceInputSchema.safeParse(raw);
  if (!r.success) return { ok: false, issues: z.prettifyError(r.error) };
  const { description: _d, config, ...rest } = r.data;
  return { ok: true, value: { ...rest, ...(config === undefined ? {} : { config: config as never }) } };
}
