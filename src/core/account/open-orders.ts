/**
 * The initial margin reserved for resting orders ("open order margin"), per market, exact.
 *
 * Venues charge initial margin for orders before they fill, so a trader cannot place more
 * than the account can carry if everything fills, and an order priced through the mark
 * cannot open a position that is liquidatable at once. The rule here combines three
 * published ones:
 *
 * - Worst case of the book (Drift v2, `PerpPosition::worst_case_base_asset_amount` in
 *   drift-labs/protocol-v2 `programs/drift/src/state/user.rs`, used by
 *   `math/margin.rs::calculate_perp_position_value_and_pnl`): the size the position would
 *   have if all resting bids filled (position + bids) or all resting asks filled
 *   (position − asks), whichever is worse. We reserve IM(worse) − IM(position): the
 *   increment over what the position already pays. Bids and asks do not add up, because at
 *   most one side can fill against the market moving one way.
 * - Open loss (Binance USDⓈ-M, "How to Calculate the Cost Required to Open a Position in
 *   Perpetual Futures Contracts", binance.com/en/support/faq/87fa7ee33b574f7084d42bd2ce2e463b):
 *   open loss = size × |min(0, direction × (mark − order price))|: a buy above the mark or a
 *   sell below it starts at a loss, which is reserved in full (per order, on every order).
 * - Fee to open (Bybit, "Order Cost", bybit.com/en/help-center/article/Order-Cost-USDT-Contract):
 *   order cost = initial margin + fee to open + fee to close; we reserve the fee to open at the
 *   taker rate on the order's limit notional, so a fill of the order cannot be refused for the
 *   fee it pays. (The fee to close is left to the maintenance requirement, as today.)
 *
 * Reduce-only orders reserve nothing: they can only shrink the position. The reservation is an
 * initial-margin figure only: it lowers free collateral, never equity or maintenance, so it
 * never brings a liquidation closer.
 *
 * Every amount rounds the way the fill would book it (entry value half-even, mark value
 * floored, fee ceiled), so a full fill at the limit price at an unchanged mark never costs
 * more than its reservation released.
 */
import { type ContractTerms, isInverse, notionalValue, signedValue } from '../margin/contract-value.ts';
import { mulDivPow10 } from '../margin/safe-int.ts';
import { mulDiv, PPM } from '../num/index.ts';

const LINEAR: ContractTerms = {};

/** An order as the reservation sees it (a resting order, or a hypothetical one). */
export interface OrderLite {
  readonly id: string;
  readonly market: string;
  readonly side: 'buy' | 'sell';
  readonly size: bigint;
  readonly pricePx8: bigint;
  readonly reduceOnly: boolean;
}

/** The sizes a market's position would have if all bids, or all asks, filled. */
export function worstCaseSizes(
  positionSize: bigint,
  bidsQty9: bigint,
  asksQty9: bigint,
): { allBids: bigint; allAsks: bigint } {
  return { allBids: positionSize + bidsQty9, allAsks: positionSize - asksQty9 };
}

/**
 * Binance's open loss of one order in settlement units: what the order would lose at once at
 * the mark, with the fill's own rounding (buy: entry half-even − mark value floored; sell:
 * mark value ceiled − entry half-even). 0 when the order is priced at or better than the mark.
 */
export function openingLossQuote(
  side: 'buy' | 'sell',
  sizeQty9: bigint,
  limitPx8: bigint,
  markPx8: bigint,
  quoteDecimals: number,
  terms: ContractTerms = LINEAR,
): bigint {
  // The fill's entry value (half-even) less the position's value at the mark (floored): for a
  // linear sell this is ⌈size·mark⌉ − size·limit, as the fill and the figures round.
  const signed = side === 'buy' ? sizeQty9 : -sizeQty9;
  const loss =
    signedValue(terms, signed, limitPx8, quoteDecimals, 'halfEven') -
    signedValue(terms, signed, markPx8, quoteDecimals, 'floor');
  return loss > 0n ? loss : 0n;
}

/** Bybit's fee to open: the taker fee on the limit notional, rounded as the fill rounds it. */
export function openingFeeQuote(
  sizeQty9: bigint,
  limitPx8: bigint,
  takerFeePpm: bigint,
  quoteDecimals: number,
  terms: ContractTerms = LINEAR,
): bigint {
  const value = notionalValue(terms, sizeQty9, limitPx8, quoteDecimals, 'halfEven');
  return mulDiv(value, takerFeePpm, PPM, 'ceil');
}

export interface MarketReservation {
  /** IM(worse of position + bids, position − asks) − IM(position), ≥ 0. */
  readonly worstCaseQuote: bigint;
  readonly openingLossQuote: bigint;
  readonly openingFeeQuote: bigint;
  /** The sum of the three: what this market's orders reserve. */
  readonly totalQuote: bigint;
}

/**
 * A market's orders as the reservation sums them: the sizes of all bids and of all asks, and the
 * opening losses and fees, over its orders that can fill (not reduce-only, size > 0). Sums, so an
 * order can be added to them later (a hypothetical order, account/figures-cache.ts) and the
 * reservation is the same as over the whole list.
 */
export interface OrderSums {
  bids: bigint;
  asks: bigint;
  loss: bigint;
  fee: bigint;
}

/** Adds one order's terms to `sums` (nothing for a reduce-only order or a size ≤ 0). */
export function addOrderTerms(
  sums: OrderSums,
  o: OrderLite,
  markPx8: bigint,
  takerFeePpm: bigint,
  quoteDecimals: number,
  terms: ContractTerms = LINEAR,
): void {
  if (o.reduceOnly || o.size <= 0n) return;
  if (o.side === 'buy') sums.bids += o.size;
  else sums.asks += o.size;
  if (safeOrderTerms && safeLossAndFee(o, markPx8, takerFeePpm, quoteDecimals, terms)) {
    if (SAFE_TERMS.loss !== 0) sums.loss += BigInt(SAFE_TERMS.loss);
    if (SAFE_TERMS.fee !== 0) sums.fee += BigInt(SAFE_TERMS.fee);
    return;
  }
  sums.loss += openingLossQuote(o.side, o.size, o.pricePx8, markPx8, quoteDecimals, terms);
  sums.fee += openingFeeQuote(o.size, o.pricePx8, takerFeePpm, quoteDecimals, terms);
}

let safeOrderTerms = true;
/** Turns the safe-integer order terms off (the bigint functions above answer) or back on: for tests. */
export function setSafeOrderTerms(on: boolean): void {
  safeOrderTerms = on;
}

const SAFE_LIMIT = 2n ** 52n; // mulDivPow10's operand bound
const SAFE_TERMS = { loss: 0, fee: 0 };

/**
 * openingLossQuote and openingFeeQuote of a linear order (size > 0) in safe-integer arithmetic
 * (margin/safe-int.ts: each a·b / 10^k with one rounding, exactly), written to SAFE_TERMS; false
 * when the market is inverse or an operand or result does not fit, and the bigint functions
 * answer. Why: a pre-trade check adds one order's terms, some twelve allocating bigint
 * operations; here two conversions. open-orders.prop.test.ts compares the two on random orders.
 */
function safeLossAndFee(
  o: OrderLite,
  markPx8: bigint,
  takerFeePpm: bigint,
  quoteDecimals: number,
  terms: ContractTerms,
): boolean {
  if (isInverse(terms) || !Number.isInteger(quoteDecimals) || quoteDecimals < 0 || quoteDecimals > 17)
    return false;
  const px = o.pricePx8;
  if (o.size >= SAFE_LIMIT || px < 0n || px >= SAFE_LIMIT || markPx8 < 0n || markPx8 >= SAFE_LIMIT)
    return false;
  if (takerFeePpm < 0n || takerFeePpm >= SAFE_LIMIT) return false;
  const k = 17 - quoteDecimals; // qty9 × px8 → quote units (margin/notional.ts)
  const size = Number(o.size);
  const signed = o.side === 'buy' ? size : -size;
  // the fill's entry value (half-even) less the value at the mark (floored), at least 0
  const loss =
    mulDivPow10(signed, Number(px), k, 'halfEven') - mulDivPow10(signed, Number(markPx8), k, 'floor');
  // the taker fee on the limit notional (half-even), ceiled
  const fee = mulDivPow10(mulDivPow10(size, Number(px), k, 'halfEven'), Number(takerFeePpm), 6, 'ceil');
  // NaN (did not fit) fails isSafeInteger too
  if (!Number.isSafeInteger(loss) || !Number.isSafeInteger(fee)) return false;
  SAFE_TERMS.loss = Math.max(loss, 0);
  SAFE_TERMS.fee = fee;
  return true;
}

export const NO_RESERVATION: MarketReservation = Object.freeze({
  worstCaseQuote: 0n,
  openingLossQuote: 0n,
  openingFeeQuote: 0n,
  totalQuote: 0n,
});

/**
 * The reservation from a market's order sums and the position's initial margin at its size
 * (`base`), at size + bids (`imBids`, read only when bids > 0) and at size − asks (`imAsks`,
 * read only when asks > 0).
 */
export function reservationFromSums(
  sums: OrderSums,
  base: bigint,
  imBids: bigint,
  imAsks: bigint,
): MarketReservation {
  if (sums.bids === 0n && sums.asks === 0n) return NO_RESERVATION;
  let worst = base;
  if (sums.bids > 0n && imBids > worst) worst = imBids;
  if (sums.asks > 0n && imAsks > worst) worst = imAsks;
  const worstCaseQuote = worst - base;
  return {
    worstCaseQuote,
    openingLossQuote: sums.loss,
    openingFeeQuote: sums.fee,
    totalQuote: worstCaseQuote + sums.loss + sums.fee,
  };
}

/**
 * The reservation of one market's orders for a subaccount.
 * @param initialAt the position's initial margin at a signed size (at the mark, with the
 *   subaccount's leverage cap); called for the position and the two worst cases, so the
 *   increment is measured on one basis.
 */
export function marketReservation(
  positionSize: bigint,
  orders: Iterable<OrderLite>,
  markPx8: bigint,
  takerFeePpm: bigint,
  quoteDecimals: number,
  initialAt: (sizeQty9: bigint) => bigint,
  terms: ContractTerms = LINEAR,
): MarketReservation {
  const sums: OrderSums = { bids: 0n, asks: 0n, loss: 0n, fee: 0n };
  for (const o of orders) addOrderTerms(sums, o, markPx8, takerFeePpm, quoteDecimals, terms);
  if (sums.bids === 0n && sums.asks === 0n) return NO_RESERVATION;
  const { allBids, allAsks } = worstCaseSizes(positionSize, sums.bids, sums.asks);
  const base = initialAt(positionSize);
  const imBids = sums.bids > 0n ? initialAt(allBids) : 0n;
  const imAsks = sums.asks > 0n ? initialAt(allAsks) : 0n;
  return reservationFromSums(sums, base, imBids, imAsks);
}
