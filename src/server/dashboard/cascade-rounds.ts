/**
 * The liquidation cascade's rounds after the first, as `GET /v1/risk/cascade` answers them: the
 * float model (analytics/liquidity/cascade-preview.ts, a parametric book whose depth defaults to a
 * share of open interest) decides which positions each round liquidates and at what price; the
 * sizes and notionals of those positions are then summed exactly here. One function for the
 * single process and the cluster's gateway (which runs it over the union of the partitions'
 * positions), so the two answer with the same figures.
 */
import { previewCascade } from '../../analytics/liquidity/cascade-preview.ts';
import { parametricDepthSource } from '../../analytics/liquidity/depth-model.ts';
import { valueDivisor } from '../../core/margin/notional.ts';
import { formatDecimal } from '../../core/num/index.ts';
import { PRICE_DECIMALS, QTY_DECIMALS } from '../../core/num/units.ts';

/**
 * The cascade preview's default book, scaled to the market: within k % of the mark,
 * DEPTH_SHARE_OF_OPEN_INTEREST × open interest × k^0.85 base units on each side. The shape
 * and the share come from Binance BTCUSDT on 2025-10-10: median bid depth 2,521 / 5,810 /
 * 8,355 / 9,348 / 10,051 BTC within 1..5 % of the mid before the crash (data/BTCUSDT-bookDepth-
 * 2025-10-10.csv, fitted by 2,500 × k^0.85) against an open interest of the order of 90,000 BTC.
 */
export const DEPTH_SHARE_OF_OPEN_INTEREST = 2_500 / 90_000;
export const DEFAULT_DEPTH_EXPONENT = 0.85;

/** A position with a liquidation price: side, size (qty9), liquidation price (px8). */
export interface CascadePosition {
  readonly side: 'long' | 'short';
  readonly sizeQty9: bigint;
  readonly liqPx8: bigint;
}

const qty = (v: bigint) => formatDecimal(v, QTY_DECIMALS);
const px = (v: bigint) => formatDecimal(v, PRICE_DECIMALS);

/** Size the positions' liquidations sell (longs) and buy (shorts). */
export function cascadeSizes(rs: readonly CascadePosition[]) {
  let sell = 0n;
  let buy = 0n;
  for (const r of rs) {
    if (r.side === 'long') sell += r.sizeQty9;
    else buy += r.sizeQty9;
  }
  return { sellSize: qty(sell), buySize: qty(buy) };
}

/** Σ size × liquidation price, in settlement units (each term rounded down, as the map's bands). */
export function notionalAtLiquidation(rs: readonly CascadePosition[], quoteDecimals: number): bigint {
  const div = valueDivisor(quoteDecimals);
  let t = 0n;
  for (const r of rs) t += (r.sizeQty9 * r.liqPx8) / div;
  return t;
}

/** The depth model's parameters: the request's, else the default from open interest. */
export function cascadeDepth(openInterestQty9: bigint, depthPerPct?: number, exponent?: number) {
  return {
    depthPerPct:
      depthPerPct ?? (Number(openInterestQty9) / 10 ** QTY_DECIMALS) * DEPTH_SHARE_OF_OPEN_INTEREST,
    exponent: exponent ?? DEFAULT_DEPTH_EXPONENT,
  };
}

/** The rounds after the first: `afterCascade` of the cascade answer. */
export function cascadeRounds<R extends CascadePosition>(
  rows: readonly R[],
  scopeOf: (r: R) => string,
  markPx8: bigint,
  targetPx8: bigint,
  depth: { readonly depthPerPct: number; readonly exponent: number },
  quoteDecimals: number,
) {
  const preview = previewCascade(
    rows.map((r) => ({
      side: r.side,
      size: Number(r.sizeQty9) / 10 ** QTY_DECIMALS,
      liqPx: Number(r.liqPx8),
    })),
    Number(targetPx8),
    parametricDepthSource({ depthPerPct: Math.max(depth.depthPerPct, 1e-9), exponent: depth.exponent }),
  );
  const modelPx = (x: number) => px(BigInt(Math.max(1, Math.round(x))));
  const notional = (rs: readonly R[]) =>
    formatDecimal(notionalAtLiquidation(rs, quoteDecimals), quoteDecimals);
  const cascaded = preview.rounds.flatMap((rd) => rd.positions.map((i) => rows[i]!));
  return {
    positions: cascaded.length,
    scopes: new Set(cascaded.map(scopeOf)).size,
    ...cascadeSizes(cascaded),
    notionalAtLiquidationPrices: notional(cascaded),
    rounds: preview.rounds.length,
    finalPrice: modelPx(preview.finalPx),
    finalMovePct: (preview.finalPx / Number(markPx8) - 1) * 100,
    truncated: preview.truncated,
    byRound: preview.rounds.map((rd) => {
      const rs = rd.positions.map((i) => rows[i]!);
      return {
        round: rd.round,
        triggerPrice: modelPx(rd.triggerPx),
        positions: rs.length,
        ...cascadeSizes(rs),
        notionalAtLiquidationPrices: notional(rs),
        priceAfter: modelPx(rd.priceAfter),
      };
    }),
  };
}
