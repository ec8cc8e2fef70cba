/**
 * Bybit's published cross-margin liquidation and bankruptcy price of an inverse long ("How to
 * calculate Liquidation Price (Inverse Contract)"), exactly on rationals: a test reference only.
 * Bybit's maintenance margin here includes the taker fee to close at the bankruptcy price, which
 * the engine does not add (the bybit-inverse preset's engine gap), so the tests compare the engine
 * with this formula at fee 0 and this formula with Bybit's worked example.
 *
 *     BP = (1 + fee)·Q / (Q/EP + balance − orderMargin)
 *     Q·(1/EP − 1/LP) = −(balance − orderMargin − Q/EP·MMR − Q·fee/BP)
 *     ⇒ LP = Q / (Q/EP + balance − orderMargin − Q·MMR/EP − Q·fee/BP)
 *
 * Source: https://help.bybit.com/hc/en-us/articles/360039261334-How-to-calculate-Liquidation-Price-Inverse-Contract-
 */
import { formatDecimal } from '../num/index.ts';
import { add, div, mul, ONE, type Rational, ratOf, sub, toScaled } from '../presets/rational.ts';

export interface BybitInverseCrossInput {
  /** Account balance in BTC. */
  readonly balance: string;
  readonly orderMargin?: string;
  /** Long position in contracts (1 USD each). */
  readonly contracts: string;
  readonly entryPrice: string;
  readonly mmr: string;
  readonly takerFee: string;
}

const str = (r: Rational) => formatDecimal(toScaled(r, 8, 'halfEven'), 8);

/** Bybit's cross liquidation and bankruptcy prices of a long (module header), to 1e-8. */
export function bybitInverseCrossPrices(i: BybitInverseCrossInput): {
  liquidationPrice: string;
  bankruptcyPrice: string;
} {
  const q = ratOf(i.contracts);
  const pv = div(q, ratOf(i.entryPrice));
  const free = sub(ratOf(i.balance), ratOf(i.orderMargin ?? '0'));
  const fee = ratOf(i.takerFee);
  const bp = div(mul(add(ONE, fee), q), add(pv, free));
  const den = sub(sub(add(pv, free), mul(pv, ratOf(i.mmr))), div(mul(q, fee), bp));
  return { liquidationPrice: str(div(q, den)), bankruptcyPrice: str(bp) };
}
