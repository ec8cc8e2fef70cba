/**
 * Hourly OHLCV bars and the funding-rate history, as float64 series for the volatility
 * forecaster (statistics only: nothing here moves money).
 *
 * - CryptoDataDownload exports (`BTCUSDT_Binance_futures_data_hour.csv`, `Bitstamp_BTCUSD_1h.csv`):
 *   banner line, `unix,date,symbol,open,high,low,close,<volume base>,...`, newest first; `unix` in
 *   seconds or milliseconds. Read oldest first; exact repeated bars dropped; a gap is an error
 *   (the forecaster's horizons count bars, so a missing hour would silently stretch them).
 * - `funding_rate_BTCUSDT.csv` (Binance USDⓈ-M BTCUSDT, every 8 h): `timestamp,funding_rate`.
 *
 * Hand-written: the files are three columns wide and the checks (grid, positivity) are ours.
 */
import { readFileSync } from 'node:fs';

export interface Bar {
  /** Bar open time, Unix seconds; the bar closes at openSec + stepSec. */
  readonly openSec: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
}

export interface FundingPoint {
  readonly timeSec: number;
  /** Fraction per 8-hour interval. */
  readonly rate: number;
}

export class BarFormatError extends Error {
  override name = 'BarFormatError';
}

/** Reads a CryptoDataDownload hourly export into oldest-first bars on a 3600 s grid. */
export function readCddBars(path: string, stepSec = 3600): Bar[] {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/);
  const headerAt = lines.findIndex((l) => l.toLowerCase().startsWith('unix,'));
  if (headerAt < 0) throw new BarFormatError(`${path}: no 'unix,...' header line`);
  const cols = lines[headerAt]!.split(',').map((c) => c.trim().toLowerCase());
  const at = (name: string) => {
    const i = cols.indexOf(name);
    if (i < 0) throw new BarFormatError(`${path}: no ${name} column`);
    return i;
  };
  const [iU, iO, iH, iL, iC] = [at('unix'), at('open'), at('high'), at('low'), at('close')];
  const iV = cols.findIndex((c) => c.startsWith('volume'));
  const bars: Bar[] = [];
  for (let i = headerAt + 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const f = line.split(',');
    let t = Number(f[iU]);
    if (t > 1e11) t /= 1000;
    const bar: Bar = {
      openSec: Math.round(t),
      open: Number(f[iO]),
      high: Number(f[iH]),
      low: Number(f[iL]),
      close: Number(f[iC]),
      volume: iV >= 0 ? Number(f[iV]) : 0,
    };
    if (!(bar.open > 0 && bar.high > 0 && bar.low > 0 && bar.close > 0 && bar.high >= bar.low))
      throw new BarFormatError(`${path}:${i + 1}: prices must be positive with high >= low`);
    bars.push(bar);
  }
  bars.sort((a, b) => a.openSec - b.openSec);
  const out = bars.filter((b, i) => i === 0 || b.openSec !== bars[i - 1]!.openSec);
  for (let i = 1; i < out.length; i++)
    if (out[i]!.openSec - out[i - 1]!.openSec !== stepSec)
      throw new BarFormatError(`${path}: gap or duplicate before bar at ${out[i]!.openSec}`);
  return out;
}

/** Reads the funding history (oldest first). */
export function readFunding(path: string): FundingPoint[] {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/);
  if (lines[0]?.trim() !== 'timestamp,funding_rate')
    throw new BarFormatError(`${path}: expected header timestamp,funding_rate`);
  const out: FundingPoint[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const [ts, rate] = line.split(',');
    const ms = Date.parse(`${ts!.replace(' ', 'T')}Z`);
    const r = Number(rate);
    if (!Number.isFinite(ms) || !Number.isFinite(r)) throw new BarFormatError(`${path}:${i + 1}: bad row`);
    out.push({ timeSec: Math.floor(ms / 1000), rate: r });
  }
  out.sort((a, b) => a.timeSec - b.timeSec);
  return out;
}
