/**
 * Real price histories for volatility research, read into float64 close series.
 *
 * Prices are parsed as JS numbers here on purpose: these series feed statistics (returns,
 * variances), never a money movement (DESIGN §3, "risk screening may be float64").
 *
 * Files (in data/, copied byte for byte from the shared collection; provenance in
 * data/SOURCE.md):
 * - `BTCUSD_1d_candles_full.csv`: BTC/USD daily, Bitstamp until 2015-07-21 then Coinbase;
 *   header `timestamp,open,close,volume,unix_timestamp,high,low`, oldest first, unix seconds.
 * - `Bitstamp_BTCUSD_1h.csv`, `BTCUSDT_Binance_futures_data_hour.csv`: CryptoDataDownload
 *   exports: a banner line, then `unix,date,symbol,open,high,low,close,...`, newest first;
 *   `unix` is seconds or milliseconds (both occur; told apart by magnitude).
 *
 * - `Binance_BTCUSDT_d.csv`, `Binance_ETHUSDT_d.csv`: Binance spot daily (CryptoDataDownload),
 *   the joint BTC/ETH history of historical VaR (`--model var`).
 *
 * Every reader checks that bars are evenly spaced (no gap, no duplicate) and prices positive,
 * and throws naming the file and line otherwise.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository's data/ directory. */
export const VOL_DATA_DIR = fileURLToPath(new URL('../../../data/', import.meta.url));

/** A close-price series on a regular grid. */
export interface CloseSeries {
  /** Bar open times, Unix seconds, increasing by `stepSec`. */
  readonly timeSec: Float64Array;
  /** Close prices. */
  readonly close: Float64Array;
  readonly stepSec: number;
}

/** Malformed history file. */
export class HistoryFormatError extends Error {
  override name = 'HistoryFormatError';
}

function checkGrid(file: string, times: number[], closes: number[], stepSec: number): CloseSeries {
  for (let i = 0; i < times.length; i++) {
    if (!(closes[i]! > 0 && Number.isFinite(closes[i]!)))
      throw new HistoryFormatError(`${file}: bar ${i}: close must be a positive number`);
    if (i > 0 && times[i]! - times[i - 1]! !== stepSec)
      throw new HistoryFormatError(
        `${file}: bar ${i}: expected a ${stepSec}s step, got ${times[i]! - times[i - 1]!}s (gap or duplicate)`,
      );
  }
  return { timeSec: Float64Array.from(times), close: Float64Array.from(closes), stepSec };
}

/**
 * Reads the Coinbase/Bitstamp daily candle file (`BTCUSD_1d_candles_full.csv`).
 * @param fromSec keep bars opening at or after this Unix time (default: all)
 */
export function readDailyCandles(path: string, fromSec = Number.NEGATIVE_INFINITY): CloseSeries {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/);
  const header = lines[0]?.trim();
  if (header !== 'timestamp,open,close,volume,unix_timestamp,high,low')
    throw new HistoryFormatError(`${path}:1: unexpected header ${header}`);
  const times: number[] = [];
  const closes: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const f = line.split(',');
    const t = Number(f[4]);
    const c = Number(f[2]);
    if (!Number.isInteger(t) || !Number.isFinite(c))
      throw new HistoryFormatError(`${path}:${i + 1}: bad row`);
    if (t < fromSec) continue;
    times.push(t);
    closes.push(c);
  }
  return checkGrid(path, times, closes, 86_400);
}

/**
 * Reads a CryptoDataDownload export (banner, header, newest first) into an oldest-first
 * series on a `stepSec` grid (3600 for hourly files).
 */
export function readCddCloses(path: string, stepSec: number): CloseSeries {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/);
  const headerAt = lines.findIndex((l) => l.toLowerCase().startsWith('unix,'));
  if (headerAt < 0) throw new HistoryFormatError(`${path}: no 'unix,...' header line`);
  const cols = lines[headerAt]!.split(',').map((c) => c.trim().toLowerCase());
  const iUnix = cols.indexOf('unix');
  const iClose = cols.indexOf('close');
  if (iUnix < 0 || iClose < 0) throw new HistoryFormatError(`${path}:${headerAt + 1}: no unix/close columns`);
  const rows: [number, number][] = [];
  for (let i = headerAt + 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const f = line.split(',');
    let t = Number(f[iUnix]);
    const c = Number(f[iClose]);
    if (!Number.isFinite(t) || !Number.isFinite(c)) throw new HistoryFormatError(`${path}:${i + 1}: bad row`);
    if (t > 1e11) t = t / 1000; // milliseconds
    rows.push([Math.round(t), c]);
  }
  rows.sort((a, b) => a[0] - b[0]);
  // The exports repeat the bar at their format change (seconds → milliseconds) with the same
  // close: such exact repeats are dropped; a repeated bar with another close is an error.
  const unique = rows.filter((r, i) => {
    if (i === 0 || r[0] !== rows[i - 1]![0]) return true;
    if (r[1] !== rows[i - 1]![1])
      throw new HistoryFormatError(
        `${path}: two bars at ${r[0]} with different closes ${rows[i - 1]![1]} and ${r[1]}`,
      );
    return false;
  });
  return checkGrid(
    path,
    unique.map((r) => r[0]),
    unique.map((r) => r[1]),
    stepSec,
  );
}

/** Log returns r_i = ln(c_{i+1}/c_i) (length n - 1). */
export function logReturns(close: ArrayLike<number>): Float64Array {
  const out = new Float64Array(Math.max(0, close.length - 1));
  for (let i = 1; i < close.length; i++) out[i - 1] = Math.log(close[i]! / close[i - 1]!);
  return out;
}

/** Daily returns and realised variances built from an intraday series. */
export interface DailyFromIntraday {
  /** UTC day start (Unix seconds) of each day. */
  readonly daySec: Float64Array;
  /** Close-to-close daily log return (sum of the day's intraday log returns). */
  readonly returns: Float64Array;
  /** Realised variance: sum of the day's squared intraday log returns. */
  readonly rv: Float64Array;
}

/**
 * Aggregates an intraday close series into UTC days: the return of the bar opening at time t
 * is ln(close_t / close_{t-step}) (it spans [t, t + step)); a day collects the returns of the
 * bars opening within it, and only complete days (86400/step returns) are kept.
 *
 * RV_d = Σ_j r²_{d,j} (Andersen & Bollerslev 1998, "Answering the skeptics", Int. Econ. Rev. 39).
 */
export function dailyFromIntraday(series: CloseSeries): DailyFromIntraday {
  const perDay = 86_400 / series.stepSec;
  if (!Number.isInteger(perDay)) throw new RangeError('dailyFromIntraday: step must divide a day');
  const days: number[] = [];
  const ret: number[] = [];
  const rv: number[] = [];
  let day = Number.NaN;
  let count = 0;
  let sum = 0;
  let sumSq = 0;
  const flush = (): void => {
    if (count === perDay) {
      days.push(day);
      ret.push(sum);
      rv.push(sumSq);
    }
  };
  for (let i = 1; i < series.close.length; i++) {
    const d = Math.floor(series.timeSec[i]! / 86_400) * 86_400;
    if (d !== day) {
      flush();
      day = d;
      count = 0;
      sum = 0;
      sumSq = 0;
    }
    const r = Math.log(series.close[i]! / series.close[i - 1]!);
    count++;
    sum += r;
    sumSq += r * r;
  }
  flush();
  return { daySec: Float64Array.from(days), returns: Float64Array.from(ret), rv: Float64Array.from(rv) };
}
