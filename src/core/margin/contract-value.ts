/**
 * What a position is worth, for both contract types: the one place that branches on them.
 *
 * Linear (USDT-, USDC-margined): a size counts base units and a position of s at price p is worth
 * s·p in the quote, which is the settlement asset (margin/notional.ts).
 *
 * Inverse (coin-margined: BitMEX XBTUSD, Deribit BTC-PERPETUAL, Binance COIN-M, Bybit inverse): a
 * size counts contracts, each worth a fixed `contractValue` of the quote currency (USD; 1 on
 * BitMEX, 10 on Deribit, 100 on Binance COIN-M BTCUSD), and the settlement asset is the base coin.
 * n contracts at price p are worth n·cv / p coins, and a long gains n·cv·(1/entry − 1/mark).
 *
 * The engine keeps one convention for both: a trade of signed size Δ at price p has the signed
 * value v(Δ, p), the position's entry value is the sum of its trades' values, and the unrealized
 * PnL is v(size, mark) − entry value. With v(Δ, p) = −Δ·cv/p for an inverse market that PnL is
 * exactly the venues' n·cv·(1/entry − 1/mark), the entry price |size|·cv / |entry value| is the
 * harmonic average the venues publish (total contracts × cv / Σ(contracts × cv / price)), and the
 * position arithmetic (account/position.ts), funding, expiry and the liquidation steps conserve
 * every unit as they do for linear markets — a long's entry value is negative, which nothing reads
 * as a sign of the side.
 *
 * Scales (n qty9 = n/1e9 contracts, cv and p px8, the result in settlement units 10^-qd):
 *     coins = (n/1e9)·(cv/1e8) / (p/1e8) = n·cv / (1e9·p),  units = n·cv·10^qd / (1e9·p),
 * one exact product and a single rounding in the caller's direction.
 */
import {
  abs,
  divRound,
  InvariantError,
  pow10,
  QTY_DECIMALS,
  type Rounding,
  roundToStep,
} from '../num/index.ts';
import { notionalQuote, signedValueQuote, valueDivisor } from './notional.ts';

/** The fields of a market's configuration that say how it is valued (absent: linear). */
export interface ContractTerms {
  readonly contractType?: 'linear' | 'inverse' | undefined;
  /** Quote (USD) per contract, px8; inverse markets only. */
  readonly contractValue?: bigint | undefined;
}

export function isInverse(t: ContractTerms): boolean {
  return t.contractType === 'inverse';
}

function inverseCv(t: ContractTerms): bigint {
  const cv = t.contractValue;
  if (cv === undefined || cv <= 0n)
    throw new InvariantError('an inverse market needs a positive contractValue');
  return cv;
}

const QTY_ONE = pow10(QTY_DECIMALS);

function checkPrice(px8: bigint): void {
  if (px8 <= 0n) throw new InvariantError(`an inverse market is valued at a positive price, got ${px8}`);
}

/**
 * Signed value of a trade or position of `sizeQty9` at `px8` in settlement units: linear s·p,
 * inverse −s·cv/p (module header). 'floor' is the conservative direction for a PnL.
 */
export function signedValue(
  t: ContractTerms,
  sizeQty9: bigint,
  px8: bigint,
  quoteDecimals: number,
  rounding: Rounding,
): bigint {
  if (!isInverse(t)) return signedValueQuote(sizeQty9, px8, quoteDecimals, rounding);
  checkPrice(px8);
  return divRound(-sizeQty9 * inverseCv(t) * pow10(quoteDecimals), QTY_ONE * px8, rounding);
}

/** |size| valued at `px8` in settlement units (≥ 0): the notional requirements are taken on. */
export function notionalValue(
  t: ContractTerms,
  sizeQty9: bigint,
  px8: bigint,
  quoteDecimals: number,
  rounding: Rounding,
): bigint {
  if (!isInverse(t)) return notionalQuote(sizeQty9, px8, quoteDecimals, rounding);
  checkPrice(px8);
  return divRound(abs(sizeQty9) * inverseCv(t) * pow10(quoteDecimals), QTY_ONE * px8, rounding);
}

/**
 * The price at which |size| is worth `valueUnits` (> 0): linear value/size, inverse size·cv/value.
 * An inverse position's entry price (|size|, |entry value|) is the harmonic average of its fills.
 */
export function priceOfValue(
  t: ContractTerms,
  absSizeQty9: bigint,
  valueUnits: bigint,
  quoteDecimals: number,
  rounding: Rounding,
): bigint {
  const size = abs(absSizeQty9);
  const value = abs(valueUnits);
  if (!isInverse(t)) {
    if (size === 0n) throw new InvariantError('price of a zero size');
    return divRound(value * valueDivisor(quoteDecimals), size, rounding);
  }
  if (value === 0n) throw new InvariantError('price of a zero value');
  return divRound(size * inverseCv(t) * pow10(quoteDecimals), QTY_ONE * value, rounding);
}

/**
 * The size (a multiple of `stepQty9`) worth `valueUnits` at `px8`: linear value/p, inverse
 * value·p/cv. The liquidation step turns a notional it may close into a size with it.
 */
export function sizeOfValue(
  t: ContractTerms,
  valueUnits: bigint,
  px8: bigint,
  quoteDecimals: number,
  stepQty9: bigint,
  rounding: Rounding,
): bigint {
  const raw = !isInverse(t)
    ? divRound(valueUnits * valueDivisor(quoteDecimals), px8, rounding)
    : divRound(valueUnits * QTY_ONE * px8, inverseCv(t) * pow10(quoteDecimals), rounding);
  return roundToStep(raw, stepQty9, rounding);
}

/**
 * The step of a market's cumulative funding index (whole settlement per whole size unit × 1e18)
 * for a funding rate (1e9) at the mark: linear rate·p (a long pays rate × its notional in quote),
 * inverse rate·cv/p (it pays rate × its notional in coin, Binance COIN-M's "nominal value of
 * positions × funding rate"). Rounded half-even; payments are then balanced exactly by evolve.
 */
export function fundingIndexDelta18(t: ContractTerms, rate9: bigint, markPx8: bigint): bigint {
  // linear: rate (1e9) × price (1e8) × 10 → 1e18.
  if (!isInverse(t)) return rate9 * markPx8 * 10n;
  checkPrice(markPx8);
  // inverse: (rate9/1e9)·(cv/1e8)/(p/1e8)·1e18 = rate9·cv·1e9 / p.
  return divRound(rate9 * inverseCv(t) * QTY_ONE, markPx8, 'halfEven');
}

/**
 * The sign of a buy's value: +1 linear (a buyer's entry value grows by what it pays), −1 inverse
 * (v(Δ, p) = −Δ·cv/p). Liquidation steps carry a close's value as a magnitude and sign it with
 * this: the signed value of a trade of direction d (±1) worth |v| is d · buySign · |v|.
 */
export function buySign(t: ContractTerms): 1n | -1n {
  return isInverse(t) ? -1n : 1n;
}

/**
 * A position's average entry price, px8, rounded down: |entry value| / |size| (linear), or
 * |size|·cv / |entry value| (inverse: the harmonic average of its fills). 0 when either is 0.
 */
export function entryPricePx8(
  t: ContractTerms,
  sizeQty9: bigint,
  entryValue: bigint,
  quoteDecimals: number,
): bigint {
  if (sizeQty9 === 0n || entryValue === 0n) return 0n;
  return priceOfValue(t, sizeQty9, entryValue, quoteDecimals, 'floor');
}
