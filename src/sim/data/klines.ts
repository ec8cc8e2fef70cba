/**
 * Binance kline (candlestick) CSV files, read without ever parsing a price as a float.
 *
 * Layout (Binance Data Vision, 12 columns, times in ms since the Unix epoch, UTC):
 *   open_time,open,high,low,close,volume,close_time,quote_volume,count,
 *   taker_buy_volume,taker_buy_quote_volume,ignore
 * Files come with or without that header line. Every row is validated (integer times,
 * strictly increasing open_time, close_time > open_time, plain unsigned decimals,
 * positive prices, low <= open,close <= high); the first problem throws a KlineFormatError
 * naming the file and the 1-based line.
 *
 * A replay turns each bar into a short intra-bar price path (`klinePath`): open, then the
 * extreme nearer to the open, then the other extreme, then close. That is the usual
 * backtesting assumption for OHLC data (the price reaches the closer extreme first); it
 * decides, for instance, whether a long is liquidated at the low before the high arrives.
 */
import { readFileSync } from 'node:fs';
import { compareDecimal, fractionDigits, isUnsignedDecimal, toScaled } from './decimal.ts';

/** One bar. Prices are the decimal strings exactly as published (e.g. "121662", "102497.48513403"). */
export interface Kline {
  /** Bar open time, ms since the Unix epoch (UTC). */
  readonly openTimeMs: number;
  readonly open: string;
  readonly high: string;
  readonly low: string;
  readonly close: string;
}

/** The Binance kline header line. */
export const KLINE_HEADER =
  'open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore';

const COLUMNS = KLINE_HEADER.split(',');
const INTEGER = /^(?:0|[1-9][0-9]*)$/;

/** Malformed kline input; `file` and `line` (1-based) locate the problem. */
export class KlineFormatError extends Error {
  override name = 'KlineFormatError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
  }
}

/**
 * Reads a Binance kline CSV file (with or without header) into bars, in file order.
 *
 * @example
 * const bars = readKlinesCsv('data/BTCUSD_PERP-1m-2025-10-10.csv');
 * bars[0]; // { openTimeMs: 1760054400000, open: '121662', high: '121737.53736410', ... }
 */
export function readKlinesCsv(path: string): Kline[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new KlineFormatError(path, 0, `cannot read file: ${(err as Error).message}`);
  }
  return parseKlinesCsv(text, path);
}

/** Parses kline CSV text; `source` names it in error messages. See readKlinesCsv. */
export function parseKlinesCsv(text: string, source = '<input>'): Kline[] {
  const lines = text.split('\n');
  // A final newline leaves one empty string behind; any other blank line is an error.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const out: Kline[] = [];
  let prevOpenTimeMs = -1;
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let line = lines[i]!;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (i === 0) {
      if (line.startsWith('\uFEFF')) line = line.slice(1);
      if (isHeaderLike(line)) {
        if (line.trim() !== KLINE_HEADER) {
          throw new KlineFormatError(
            source,
            lineNo,
            `unexpected header ${JSON.stringify(line)}; expected ${KLINE_HEADER}`,
          );
        }
        continue;
      }
    }
    const fail = (reason: string): never => {
      throw new KlineFormatError(source, lineNo, reason);
    };
    if (line.trim() === '') fail('blank line');
    const fields = line.split(',');
    if (fields.length !== COLUMNS.length) fail(`expected ${COLUMNS.length} columns, found ${fields.length}`);
    const [openTime, open, high, low, close, volume, closeTime, quoteVolume, count, takerBase, takerQuote] =
      fields as [string, string, string, string, string, string, string, string, string, string, string];

    const openTimeMs = parseTimeMs(openTime, 'open_time', fail);
    const closeTimeMs = parseTimeMs(closeTime, 'close_time', fail);
    if (closeTimeMs <= openTimeMs) fail(`close_time ${closeTime} is not after open_time ${openTime}`);
    if (openTimeMs <= prevOpenTimeMs)
      fail(`open_time ${openTime} does not increase (previous ${prevOpenTimeMs})`);
    prevOpenTimeMs = openTimeMs;

    const prices = { open, high, low, close };
    for (const [name, value] of Object.entries(prices)) {
      if (!isUnsignedDecimal(value)) fail(`${name} ${JSON.stringify(value)} is not a plain decimal`);
      if (compareDecimal(value, '0') <= 0) fail(`${name} ${value} is not positive`);
    }
    const amounts = {
      volume,
      quote_volume: quoteVolume,
      taker_buy_volume: takerBase,
      taker_buy_quote_volume: takerQuote,
    };
    for (const [name, value] of Object.entries(amounts)) {
      if (!isUnsignedDecimal(value)) fail(`${name} ${JSON.stringify(value)} is not a plain decimal`);
    }
    if (!INTEGER.test(count)) fail(`count ${JSON.stringify(count)} is not an integer`);
    if (compareDecimal(low, open) > 0 || compareDecimal(low, close) > 0) {
      fail(`low ${low} is above open ${open} or close ${close}`);
    }
    if (compareDecimal(high, open) < 0 || compareDecimal(high, close) < 0) {
      fail(`high ${high} is below open ${open} or close ${close}`);
    }
    out.push({ openTimeMs, open, high, low, close });
  }
  if (out.length === 0) throw new KlineFormatError(source, lines.length, 'no kline rows');
  return out;
}

/**
 * The intra-bar price path a replay walks for one bar: always four points,
 * [open, nearer extreme, farther extreme, close]. The extreme nearer to the open (exact
 * decimal distance) comes first: low first when |open - low| < |open - high|, otherwise
 * high first (so a tie visits the high first). Equal neighbouring prices are kept.
 *
 * @example
 * klinePath({ openTimeMs: 0, open: '100', high: '110', low: '95', close: '97' });
 * // ['100', '95', '110', '97']
 */
export function klinePath(k: Kline): string[] {
  const scale = Math.max(fractionDigits(k.open), fractionDigits(k.high), fractionDigits(k.low));
  const open = toScaled(k.open, scale);
  const high = toScaled(k.high, scale);
  const low = toScaled(k.low, scale);
  if (low > high) throw new RangeError(`kline at ${k.openTimeMs}: low ${k.low} above high ${k.high}`);
  const toLow = open >= low ? open - low : low - open;
  const toHigh = open >= high ? open - high : high - open;
  return toLow < toHigh ? [k.open, k.low, k.high, k.close] : [k.open, k.high, k.low, k.close];
}

/** A first line that starts with a letter is a header (data lines start with a digit). */
function isHeaderLike(line: string): boolean {
  return /^[A-Za-z_]/.test(line.trimStart());
}

function parseTimeMs(value: string, name: string, fail: (reason: string) => never): number {
  if (!INTEGER.test(value)) fail(`${name} ${JSON.stringify(value)} is not an integer`);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) fail(`${name} ${value} is out of range`);
  return n;
}
