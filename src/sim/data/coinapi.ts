/**
 * CoinAPI OHLCV JSON files (the ETH crash days of data/, see data/SOURCE.md), read into the
 * same `Kline` bars as Binance CSV files, without ever parsing a price as a float.
 *
 * The file is a JSON array of objects with `time_period_start` (ISO 8601, UTC, 7 decimals of
 * seconds), `price_open`, `price_high`, `price_low`, `price_close` and a few volume fields.
 * `JSON.parse` would turn the prices into float64 and lose their published digits, so the
 * prices are taken from the text as the literals the file wrote (e.g. `3375.690000000`);
 * `JSON.parse` only checks that the file is well-formed and counts the bars. Bars must be
 * contiguous and evenly spaced, with low ≤ open, close ≤ high; the first problem throws a
 * `KlineFormatError` naming the file and the bar.
 */
import { readFileSync } from 'node:fs';
import { compareDecimal, isUnsignedDecimal } from './decimal.ts';
import { type Kline, KlineFormatError } from './klines.ts';

const BAR =
  /"time_period_start"\s*:\s*"([^"]+)"[^}]*?"price_open"\s*:\s*([0-9.]+)\s*,[^}]*?"price_high"\s*:\s*([0-9.]+)\s*,[^}]*?"price_low"\s*:\s*([0-9.]+)\s*,[^}]*?"price_close"\s*:\s*([0-9.]+)\s*[,}]/g;

/** Parses CoinAPI OHLCV JSON text into bars, in file order; `source` names it in errors. */
export function parseCoinApiOhlcvJson(text: string, source = '<input>'): Kline[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new KlineFormatError(source, 0, `not JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed) || parsed.length === 0)
    throw new KlineFormatError(source, 0, 'expected a non-empty JSON array of bars');
  const out: Kline[] = [];
  for (const m of text.matchAll(BAR)) {
    const bar = out.length + 1;
    const fail = (reason: string): never => {
      throw new KlineFormatError(source, bar, reason);
    };
    const [, start, open, high, low, close] = m as unknown as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const openTimeMs = Date.parse(start);
    if (!Number.isFinite(openTimeMs)) fail(`time_period_start ${JSON.stringify(start)} is not a date`);
    for (const [name, v] of Object.entries({ open, high, low, close })) {
      if (!isUnsignedDecimal(v)) fail(`price_${name} ${JSON.stringify(v)} is not a plain decimal`);
      if (compareDecimal(v, '0') <= 0) fail(`price_${name} ${v} is not positive`);
    }
    if (compareDecimal(low, open) > 0 || compareDecimal(low, close) > 0)
      fail(`price_low ${low} is above open ${open} or close ${close}`);
    if (compareDecimal(high, open) < 0 || compareDecimal(high, close) < 0)
      fail(`price_high ${high} is below open ${open} or close ${close}`);
    out.push({ openTimeMs, open, high, low, close });
  }
  if (out.length !== parsed.length)
    throw new KlineFormatError(source, out.length + 1, `read ${out.length} bars of ${parsed.length}`);
  const step = out.length > 1 ? out[1]!.openTimeMs - out[0]!.openTimeMs : 0;
  for (let i = 1; i < out.length; i++)
    if (out[i]!.openTimeMs - out[i - 1]!.openTimeMs !== step || step <= 0)
      throw new KlineFormatError(source, i + 1, 'bars are not evenly spaced and increasing');
  return out;
}

/** Reads a CoinAPI OHLCV JSON file (see the module header). */
export function readCoinApiOhlcvJson(path: string): Kline[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new KlineFormatError(path, 0, `cannot read file: ${(err as Error).message}`);
  }
  return parseCoinApiOhlcvJson(text, path);
}
