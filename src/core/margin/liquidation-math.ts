/**
 * Liquidation arithmetic for linear margin models.
 *
 * How much of a position must a liquidator take over to cover a margin
 * shortage? Taking over base B at price P frees B·P·marginRatio of requirement,
 * but costs the account the liquidation penalty B·P·liqFee and the insurance-fund
 * fee B·P·ifFee, so the shortage is covered when
 *
 *     B · P · (marginRatio − liqFee − ifFee) ≥ shortage
 *
 * Drift protocol-v2 `calculate_base_asset_amount_to_cover_margin_shortage`
 * (programs/drift/src/math/liquidation.rs), with its integer steps kept and its
 * precisions mapped to ours (its margin ratio is 1e4 and is first scaled to the
 * 1e6 fee precision — our ratios are ppm already; its prices are 1e6, ours px8):
 *
 *     adjPx   = ⌊P × quotePrice / 1e8⌋                      (P in quote-asset terms of the oracle currency)
 *     freed   = ⌊adjPx × (marginRatio − liqFee) / 1e6⌋ − ⌊P × ifFee / 1e6⌋     px8 per whole base
 *     B(qty9) = shortage × 10^(9 + 8 − quoteDecimals) / freed     (rounded as asked; Drift floors)
 *
 * As in Drift, the IF fee term is valued at the oracle price without the quote
 * price adjustment.
 */
import {
  divRound,
  InvariantError,
  PPM,
  PRICE_DECIMALS,
  pow10,
  QTY_DECIMALS,
  type Rounding,
} from '../num/index.ts';

/** 1.0 in px8: the quote asset priced in itself. */
const ONE_PX8 = pow10(PRICE_DECIMALS);

export interface MarginShortageInput {
  /** Margin shortage (MM − equity, > 0), quote units. */
  readonly shortageQuote: bigint;
  /** Maintenance margin ratio of the position (plus any liquidation buffer), ppm. */
  readonly marginRatioPpm: bigint;
  /** Liquidation penalty paid to the liquidator, ppm of notional. */
  readonly liquidationFeePpm: bigint;
  /** Insurance-fund fee, ppm of notional. */
  readonly insuranceFundFeePpm: bigint;
  /** Oracle price of the base, px8. */
  readonly pricePx8: bigint;
  /** Price of the quote asset in the oracle's currency, px8 (default 1.0). */
  readonly quotePricePx8?: bigint;
  /** Decimals of the quote asset's smallest unit. */
  readonly quoteDecimals: number;
  /** Rounding of the final division ('floor' reproduces Drift; 'ceil' never under-covers). */
  readonly rounding: Rounding;
}

/**
 * Base amount (qty9) to take over so that the freed margin net of fees covers
 * the shortage; null when no amount can (price 0, or fees ≥ the margin ratio) —
 * Drift returns u64::MAX there: liquidate everything that is allowed.
 *
 * @example baseToCoverMarginShortage({ shortageQuote: 10_000000n, marginRatioPpm: 100_000n,
 *   liquidationFeePpm: 0n, insuranceFundFeePpm: 0n, pricePx8: 100_00000000n, quoteDecimals: 6,
 *   rounding: 'floor' }) // 1_000_000_000n (1 base unit)
 */
export function baseToCoverMarginShortage(input: MarginShortageInput): bigint | null {
  const { shortageQuote, marginRatioPpm, liquidationFeePpm, insuranceFundFeePpm, pricePx8, quoteDecimals } =
    input;
  const quotePricePx8 = input.quotePricePx8 ?? ONE_PX8;
  if (shortageQuote < 0n || pricePx8 < 0n || quotePricePx8 < 0n) throw new InvariantError('negative input');
  if (marginRatioPpm < 0n || liquidationFeePpm < 0n || insuranceFundFeePpm < 0n) {
    throw new InvariantError('negative ratio');
  }
  if (pricePx8 === 0n || marginRatioPpm <= liquidationFeePpm) return null;
  const adjPx8 = (pricePx8 * quotePricePx8) / ONE_PX8;
  const freedPx8 =
    (adjPx8 * (marginRatioPpm - liquidationFeePpm)) / PPM - (pricePx8 * insuranceFundFeePpm) / PPM;
  if (freedPx8 <= 0n) return null;
  const shift = QTY_DECIMALS + PRICE_DECIMALS - quoteDecimals;
  const numerator = shift >= 0 ? shortageQuote * pow10(shift) : shortageQuote;
  const denominator = shift >= 0 ? freedPx8 : freedPx8 * pow10(-shift);
  return divRound(numerator, denominator, input.rounding);
}
