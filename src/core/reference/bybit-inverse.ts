/**
 * Bybit's published cross-margin liquidation and bankruptcy price of an inverse long ("How to
 * calculate Liquidation Price (Inverse Contract)"), exactly on rationals: a test reference only.
 * Bybit's maintenance margin here includes the taker fee to close at the bankruptcy price; the
 * bybit-inverse preset's `closeFeeInMaintenance` makes the engine add it, and the tests compare
 * the engine with this formula and this formula with Bybit's worked example. The short mirrors
 * the long with the short bankruptcy price MCS (on BitMEX's contract, Bybit's fee) publishes,
 * BP = 0.99925·Q / (Q/EP − available balance):
 *
 *     BP = (1 + fee)·Q / (Q/EP + balance − orderMargin)
 *     Q·(1/EP − 1/LP) = −(balance − orderMargin − Q/EP·MMR − Q·fee/BP)
 *     ⇒ LP = Q / (Q/EP + balance − orderMargin − Q·MMR/EP − Q·fee/BP)
 *     short: BP = (1 − fee)·Q / (Q/EP − free),  LP = Q / (Q/EP − free + Q·MMR/EP + Q·fee/BP)
 *
 * MCS: https://help.mycoinstory.com/hc/en-us/articles/360040683032-Bankruptcy-Price
 * Source: https://help.bybit.com/hc/en-us/articles/360039261334-How-to-calculate-Liquidation-Price-Inverse-Contract-
 */
import { formatDecimal } from '../num/index.ts';
import { add, div, mul, ONE, type Rational, ratOf, sub, toScaled } from '../presets/rational.ts';

export interface BybitInverseCrossInput {
  /** Account balance in BTC. */
  readonly balance: string;
  readonly orderMargin?: string;
  /** Position in contracts (1 USD each). */
  readonly contracts: string;
  /** Default long (Bybit's example); a short mirrors it (module header). */
  readonly side?: 'long' | 'short';
  readonly entryPrice: string;
  readonly mmr: string;
  readonly takerFee: string;
}

const str = (r: Rational) => formatDecimal(toScaled(r, 8, 'halfEven'), 8);

/** Bybit's cross liquidation and bankruptcy prices (module header), to 1e-8; null when ≤ 0. */
export function bybitInverseCrossPrices(i: BybitInverseCrossInput): {
  liquidationPrice: string | null;
  bankruptcyPrice: string | null;
} {
  const q = ratOf(i.contracts);
  const pv = div(q, ratOf(i.entryPrice));
  const free = sub(ratOf(i.balance), ratOf(i.orderMargin ?? '0'));
  const fee = ratOf(i.takerFee);
  const positive = (r: Rational) => r.n > 0n;
  if (i.side !== 'short') {
    const bp = div(mul(add(ONE, fee), q), add(pv, free));
    const den = sub(sub(add(pv, free), mul(pv, ratOf(i.mmr))), div(mul(q, fee), bp));
    return { liquidationPrice: positive(den) ? str(div(q, den)) : null, bankruptcyPrice: str(bp) };
  }
  const bpDen = sub(pv, free);
  if (!positive(bpDen)) return { liquidationPrice: null, bankruptcyPrice: null };
  const bp = div(mul(sub(ONE, fee), q), bpDen);
  const den = add(add(bpDen, mul(pv, ratOf(i.mmr))), div(mul(q, fee), bp));
  return { liquidationPrice: str(div(q, den)), bankruptcyPrice: str(bp) };
}
