/**
 * Gemini trade files (Tardis.dev `trades` datasets, gzip CSV), read exactly.
 *
 * Columns: exchange,symbol,timestamp,local_timestamp,id,side,price,amount — timestamps in
 * µs since the epoch (exchange time, then receive time), price in USD per BTC, amount in
 * BTC, both as published decimal strings. Each trade becomes one `price` observation of
 * the given source at floor(timestamp / 1000) ms, with the amount as its volume.
 *
 * Tardis writes tiny amounts in exponent form ("7.3e-7", 114 of the 24,706 BTCUSD trades of
 * 2025-10-10; no price is). They are rewritten as plain decimals by moving the point in the
 * digit string ("0.00000073"), exactly: no float is involved.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { OracleInputRaw } from '../../core/oracle/index.ts';
import { isUnsignedDecimal } from '../data/decimal.ts';

export const GEMINI_TRADES_HEADER = 'exchange,symbol,timestamp,local_timestamp,id,side,price,amount';

export interface Trade {
  /** Exchange timestamp, ms (floor of the file's µs). */
  readonly timeMs: number;
  /** Price as published ("121758.75"). */
  readonly price: string;
  /** Amount in base units as published ("0.01428928"). */
  readonly amount: string;
  readonly side: 'buy' | 'sell';
}

export class TradeFileError extends Error {
  override name = 'TradeFileError';
}

/** Reads a gzip (or plain) Gemini trades CSV into trades, in file order (validated). */
export function readGeminiTrades(path: string): Trade[] {
  const bytes = readFileSync(path);
  const text = path.endsWith('.gz') ? gunzipSync(bytes).toString('utf8') : bytes.toString('utf8');
  return parseGeminiTrades(text, path);
}

export function parseGeminiTrades(text: string, source = '<input>'): Trade[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if ((lines[0] ?? '').replace(/\r$/, '') !== GEMINI_TRADES_HEADER) {
    throw new TradeFileError(`${source}:1: expected header ${GEMINI_TRADES_HEADER}`);
  }
  const out: Trade[] = [];
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i]!.replace(/\r$/, '').split(',');
    const fail = (why: string): never => {
      throw new TradeFileError(`${source}:${i + 1}: ${why}`);
    };
    if (f.length !== 8) fail(`expected 8 columns, found ${f.length}`);
    const [, , ts, , , side, price, amount] = f as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    if (!/^[0-9]{1,16}$/.test(ts)) fail(`timestamp ${JSON.stringify(ts)} is not µs`);
    if (side !== 'buy' && side !== 'sell') fail(`side ${JSON.stringify(side)}`);
    if (!isUnsignedDecimal(price)) fail(`price ${JSON.stringify(price)} is not a plain decimal`);
    const plainAmount = plainDecimal(amount);
    if (plainAmount === null) fail(`amount ${JSON.stringify(amount)} is not a decimal`);
    out.push({
      timeMs: Math.floor(Number(ts) / 1000),
      price,
      amount: plainAmount as string,
      side: side as 'buy' | 'sell',
    });
  }
  return out;
}

/** Trades as `price` observations of `source`. */
export function tradesToObservations(source: string, trades: readonly Trade[]): OracleInputRaw[] {
  return trades.map((t) => ({ source, price: t.price, timestampMs: t.timeMs, volume: t.amount }));
}

/**
 * An unsigned decimal in plain or exponent notation as a plain decimal string, exactly
 * ("7.3e-7" → "0.00000073", "1.5E3" → "1500"); null when it is neither.
 */
export function plainDecimal(text: string): string | null {
  if (isUnsignedDecimal(text)) return text;
  const m = /^([0-9]+)(?:\.([0-9]+))?[eE]([+-]?[0-9]{1,3})$/.exec(text);
  if (m === null) return null;
  const [, intPart, frac = '', expText] = m as unknown as [string, string, string | undefined, string];
  const digits = intPart + frac;
  const point = intPart.length + Number(expText); // position of the decimal point in `digits`
  let whole: string;
  let fraction: string;
  if (point <= 0) {
    whole = '0';
    fraction = '0'.repeat(-point) + digits;
  } else if (point >= digits.length) {
    whole = digits + '0'.repeat(point - digits.length);
    fraction = '';
  } else {
    whole = digits.slice(0, point);
    fraction = digits.slice(point);
  }
  whole = whole.replace(/^0+(?=[0-9])/, '');
  fraction = fraction.replace(/0+$/, '');
  return fraction === '' ? whole : `${whole}.${fraction}`;
}
