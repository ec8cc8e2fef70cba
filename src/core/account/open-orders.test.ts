/**
 * The open-order reservation's parts against the venues' published formulas and worked
 * examples (sources in open-orders.ts):
 * - Binance USDⓈ-M FAQ "Cost Required to Open a Position": mark 9,259.84, order price
 *   9,253.30, 1 BTC: open loss of the long order 0, of the short order 6.54.
 * - Bybit "Order Cost" worked example: 1 BTC at 10,000 USD, taker fee 0.075 %:
 *   fee to open = 7.5 USDT.
 * - Drift v2 `worst_case_base_asset_amount`: the larger in magnitude of base + open bids and
 *   base + open asks (asks negative); the numbers below are worked by hand.
 */
import { describe, expect, it } from 'vitest';
import {
  marketReservation,
  type OrderLite,
  openingFeeQuote,
  openingLossQuote,
  worstCaseSizes,
} from './open-orders.ts';

const QD = 6; // USDT/USDC at 6 decimals
const px = (s: string) => BigInt(Math.round(Number(s) * 100)) * 1_000_000n; // exact for 2-decimal inputs
const qty = (n: number) => BigInt(n * 1000) * 1_000_000n; // qty9 for multiples of 0.001

describe('open loss (Binance)', () => {
  it('long order priced below the mark has no open loss', () => {
    expect(openingLossQuote('buy', qty(1), px('9253.30'), px('9259.84'), QD)).toBe(0n);
  });
  it('short order priced below the mark loses mark − price per unit: 6.54', () => {
    expect(openingLossQuote('sell', qty(1), px('9253.30'), px('9259.84'), QD)).toBe(6_540_000n);
  });
  it('long order priced above the mark loses price − mark per unit', () => {
    // 0.5 × (9,259.84 − 9,253.30) = 3.27
    expect(openingLossQuote('buy', qty(0.5), px('9259.84'), px('9253.30'), QD)).toBe(3_270_000n);
  });
});

describe('fee to open (Bybit)', () => {
  it('1 BTC at 10,000 with a 0.075 % taker fee reserves 7.5', () => {
    expect(openingFeeQuote(qty(1), px('10000'), 750n, QD)).toBe(7_500_000n);
  });
});

describe('worst case of the book (Drift)', () => {
  it('bids and asks do not add: the worse side counts', () => {
    // base +1, bids 2, asks 5: all bids → +3, all asks → −4; the worst case is −4.
    expect(worstCaseSizes(qty(1), qty(2), qty(5))).toEqual({ allBids: qty(3), allAsks: -qty(4) });
  });

  it('reserves IM(worse case) − IM(position) at a flat 10 % IM on the mark notional', () => {
    const mark = px('100');
    // IM at 10 % of |size| × 100 = 10 per unit, in quote units.
    const im = (q: bigint) => ((q < 0n ? -q : q) * 10n * 1_000_000n) / 1_000_000_000n;
    const orders: OrderLite[] = [
      { id: 'b', market: 'M', side: 'buy', size: qty(2), pricePx8: px('99'), reduceOnly: false },
      { id: 'a', market: 'M', side: 'sell', size: qty(5), pricePx8: px('101'), reduceOnly: false },
      // reduce-only reserves nothing, whatever its size
      { id: 'r', market: 'M', side: 'sell', size: qty(1), pricePx8: px('90'), reduceOnly: true },
    ];
    const r = marketReservation(qty(1), orders, mark, 0n, QD, im);
    // worst |−4| → IM 40; position +1 → IM 10; increment 30. Both orders priced better than the mark.
    expect(r.worstCaseQuote).toBe(30_000_000n);
    expect(r.openingLossQuote).toBe(0n);
    expect(r.totalQuote).toBe(30_000_000n);
  });

  it('an order that only closes the position reserves no IM, just its fee', () => {
    const im = (q: bigint) => ((q < 0n ? -q : q) * 10n * 1_000_000n) / 1_000_000_000n;
    const sell: OrderLite = {
      id: 's',
      market: 'M',
      side: 'sell',
      size: qty(1),
      pricePx8: px('100'),
      reduceOnly: false,
    };
    // position +1, ask 1: all asks → 0, IM falls; the worst case is the position itself.
    // fee 0.05 % of 100 = 0.05
    const r = marketReservation(qty(1), [sell], px('100'), 500n, QD, im);
    expect(r.worstCaseQuote).toBe(0n);
    expect(r.openingFeeQuote).toBe(50_000n);
  });
});
