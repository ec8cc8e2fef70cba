/**
 * Markets, assets, prices and the insurance fund on the wire (public reads), every figure a decimal
 * string: prices at 8 places, sizes at 9, rates and fees as fractions.
 */
import { z } from 'zod';
import { insuranceFund } from '../../core/engine/loss-ledger.ts';
import type { ReadonlyEngineState, ReadonlyMarketState } from '../../core/model/state.ts';
import {
  formatDecimal,
  PPM_DECIMALS,
  PRICE_DECIMALS,
  QTY_DECIMALS,
  RATE_DECIMALS,
} from '../../core/num/index.ts';

const dec = z.string();
export const WireMarketSchema = z.object({
  symbol: z.string(),
  type: z.enum(['perpetual', 'future', 'option']),
  base: z.string(),
  settle: z.string(),
  markPrice: dec.nullable(),
  fundingRate: dec,
  lastFundingTime: z.number().nullable(),
  openInterest: dec,
  takerFee: dec,
  makerFee: dec,
  expiry: z.number().nullable(),
  settlementPrice: dec.nullable(),
  liquidationsPaused: z.boolean(),
  /** Safe mode forced by the operator (PUT /v1/markets/:symbol/safe-mode). */
  safeModeForced: z.boolean(),
  oracle: z
    .object({ safeMode: z.boolean(), indexReliable: z.boolean(), indexPrice: dec.nullable() })
    .nullable(),
});
export type WireMarket = z.infer<typeof WireMarketSchema>;

const px = (v: bigint | null | undefined) =>
  v === null || v === undefined ? null : formatDecimal(v, PRICE_DECIMALS);

export function wireMarket(state: ReadonlyEngineState, m: ReadonlyMarketState): WireMarket {
  const c = m.config;
  return {
    symbol: c.id,
    type: c.kind,
    base: c.base,
    settle: state.settlement.id,
    markPrice: px(m.markPx8),
    fundingRate: formatDecimal(m.lastFundingRate9, RATE_DECIMALS),
    lastFundingTime: m.lastFundingMs === 0 ? null : m.lastFundingMs,
    openInterest: formatDecimal(m.openInterestQty9, QTY_DECIMALS),
    takerFee: formatDecimal(c.takerFee, PPM_DECIMALS),
    makerFee: formatDecimal(c.makerFee, PPM_DECIMALS),
    expiry: c.expiryMs ?? null,
    settlementPrice: px(m.settledPx8),
    liquidationsPaused: m.liquidationsPaused,
    safeModeForced: m.safeModeForced,
    oracle: m.oracle
      ? {
          safeMode: m.oracle.state.safeMode.active,
          indexReliable: m.oracle.state.index.reliable,
          indexPrice: px(m.oracle.state.index.pricePx8),
        }
      : null,
  };
}

export const WireAssetSchema = z.object({
  asset: z.string(),
  decimals: z.number().int(),
  initialWeight: dec,
  maintenanceWeight: dec,
  price: dec.nullable(),
  settlement: z.boolean(),
});

export function wireAssets(state: ReadonlyEngineState): z.infer<typeof WireAssetSchema>[] {
  return [...state.assets.values()].map((a) => {
    const settlement = a.id === state.settlement.id;
    return {
      asset: a.id,
      decimals: a.decimals,
      initialWeight: formatDecimal(a.initialWeight, PPM_DECIMALS),
      maintenanceWeight: formatDecimal(a.maintenanceWeight, PPM_DECIMALS),
      price: settlement ? '1' : px(state.assetPricesPx8.get(a.id)),
      settlement,
    };
  });
}

export const WireInsuranceSchema = z.object({
  /** Per asset, whole units. */
  balances: z.record(z.string(), dec),
  /** Total written off to the socialized-loss ledger so far (≥ 0, settlement asset). */
  socializedLossTotal: dec,
  settlementAsset: z.string(),
});

/** The insurance fund view of docs/risk-views.md. */
export function wireInsurance(state: ReadonlyEngineState): z.infer<typeof WireInsuranceSchema> {
  return insuranceFund(state);
}
