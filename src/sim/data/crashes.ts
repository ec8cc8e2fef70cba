/**
 * The real crash windows bundled in data/ for demos and replays.
 *
 * Each entry names one unmodified 1-minute Binance kline file (provenance in
 * data/SOURCE.md) plus facts checked by crashes.test.ts against the file itself: the row
 * count and the lowest 1m low with its minute. Paths are resolved from this module's URL
 * to the repository root, so they work from any working directory.
 */
import { fileURLToPath } from 'node:url';
import { readCoinApiOhlcvJson } from './coinapi.ts';
import { type Kline, readKlinesCsv } from './klines.ts';

/** Absolute path of the repository's data/ directory (with trailing separator). */
export const DATA_DIR = fileURLToPath(new URL('../../../data/', import.meta.url));

export interface CrashWindow {
  /** Stable id, the crash date in UTC (e.g. '2025-10-10'). */
  readonly id: string;
  /** File name inside data/. */
  readonly fileName: string;
  /** Absolute path of the CSV file. */
  readonly path: string;
  /** Exchange symbol of the series. */
  readonly symbol: string;
  /** What the prices are (mark price, trade price, ...). */
  readonly series: string;
  /** Bar length in ms (60 000 for all bundled files). */
  readonly intervalMs: number;
  /** One-line story of the event, for reports. */
  readonly description: string;
  /** Number of bars in the file. */
  readonly rows: number;
  /** Lowest low in the window, exactly as in the file, and the open time of its bar. */
  readonly low: { readonly price: string; readonly openTimeMs: number };
  /** The underlying (BTC unless stated). */
  readonly asset: 'BTC' | 'ETH';
  /** File layout: Binance kline CSV, or CoinAPI OHLCV JSON (./coinapi.ts). */
  readonly format: 'binance-klines-csv' | 'coinapi-ohlcv-json';
}

function window(
  w: Omit<CrashWindow, 'path' | 'asset' | 'format'> & Partial<Pick<CrashWindow, 'asset' | 'format'>>,
): CrashWindow {
  return Object.freeze({
    asset: 'BTC' as const,
    format: 'binance-klines-csv' as const,
    ...w,
    path: DATA_DIR + w.fileName,
  });
}

/** The bundled windows, oldest first. */
export const CRASH_WINDOWS: readonly CrashWindow[] = Object.freeze([
  window({
    id: '2020-03-12',
    fileName: 'BTCUSDT-1m-2020-03-12T2145Z_2020-03-13T0231Z.csv',
    symbol: 'BTCUSDT',
    series: 'Binance USDⓈ-M perpetual BTCUSDT, 1m trade klines',
    intervalMs: 60_000,
    description:
      'Black Thursday: BTCUSDT perpetual from 5,611 to a 3,621.81 low at 02:16 UTC on 2020-03-13 (2020-03-12 21:45 to 03-13 02:31 UTC).',
    rows: 287,
    low: { price: '3621.81', openTimeMs: Date.UTC(2020, 2, 13, 2, 16) },
  }),
  window({
    id: '2021-05-19',
    fileName: 'BTCUSDT-1m-2021-05-19T1153Z_1406Z.csv',
    symbol: 'BTCUSDT',
    series: 'Binance USDⓈ-M perpetual BTCUSDT, 1m trade klines',
    intervalMs: 60_000,
    description:
      'May 19, 2021 sell-off: BTCUSDT perpetual from 38,648 to a 28,688.00 low at 13:10 UTC, with Binance futures degraded (11:53 to 14:06 UTC).',
    rows: 134,
    low: { price: '28688.00', openTimeMs: Date.UTC(2021, 4, 19, 13, 10) },
  }),
  window({
    id: '2022-06-18',
    fileName: 'BTCUSDT-1m-2022-06-18T1945Z_2158Z.csv',
    symbol: 'BTCUSDT',
    series: 'Binance USDⓈ-M perpetual BTCUSDT, 1m trade klines',
    intervalMs: 60_000,
    description:
      'June 18, 2022 (Celsius / 3AC deleveraging): BTCUSDT perpetual from 18,100 below 18,000 for the first time since 2020, to a 17,593.20 low at 20:34 UTC (19:45 to 21:58 UTC).',
    rows: 134,
    low: { price: '17593.20', openTimeMs: Date.UTC(2022, 5, 18, 20, 34) },
  }),
  window({
    id: '2022-11-09',
    fileName: 'BTCUSDT-1m-2022-11-09T2035Z_2248Z.csv',
    symbol: 'BTCUSDT',
    series: 'Binance USDⓈ-M perpetual BTCUSDT, 1m trade klines',
    intervalMs: 60_000,
    description:
      'November 9, 2022 (FTX collapse, evening after Binance walked away from the deal): BTCUSDT perpetual from 16,846 to a 15,462.60 low at 22:08 UTC (20:35 to 22:48 UTC).',
    rows: 134,
    low: { price: '15462.60', openTimeMs: Date.UTC(2022, 10, 9, 22, 8) },
  }),
  window({
    id: '2025-10-10',
    fileName: 'BTCUSD_PERP-1m-2025-10-10.csv',
    symbol: 'BTCUSD_PERP',
    series: 'Binance COIN-M BTCUSD_PERP, 1m mark-price klines (volume 0, 60 samples per bar)',
    intervalMs: 60_000,
    description:
      'October 10, 2025 crash: the full UTC day of BTCUSD_PERP mark price, from 121,662 to a 102,497.49 low at 21:20 UTC.',
    rows: 1440,
    low: { price: '102497.48513403', openTimeMs: Date.UTC(2025, 9, 10, 21, 20) },
  }),
]);

/**
 * ETH crash days for the risk lab (not replayed by the demo, whose venue is BTC): 10-minute
 * OHLCV bars of whole UTC days, CoinAPI format (data/SOURCE.md). Their ids end in `-eth`.
 */
export const ETH_WINDOWS: readonly CrashWindow[] = Object.freeze([
  window({
    id: '2020-03-12-eth',
    fileName: 'ETHUSD-10m-2020-03-12.json',
    symbol: 'ETH/USD',
    series: 'ETH/USD 10-minute trade OHLCV (CoinAPI, exchange not recorded)',
    intervalMs: 600_000,
    description:
      'Black Thursday in ETH: the full UTC day of 2020-03-12, from 195.21 to a 101.01 low in the 23:20 UTC bar.',
    rows: 144,
    low: { price: '101.010000000', openTimeMs: Date.UTC(2020, 2, 12, 23, 20) },
    asset: 'ETH',
    format: 'coinapi-ohlcv-json',
  }),
  window({
    id: '2021-05-19-eth',
    fileName: 'ETHUSD-10m-2021-05-19.json',
    symbol: 'ETH/USD',
    series: 'ETH/USD 10-minute trade OHLCV (CoinAPI, exchange not recorded)',
    intervalMs: 600_000,
    description:
      'May 19, 2021 in ETH: the full UTC day, from 3,375.69 to a 1,862.04 low in the 13:10 UTC bar.',
    rows: 144,
    low: { price: '1862.040000000', openTimeMs: Date.UTC(2021, 4, 19, 13, 10) },
    asset: 'ETH',
    format: 'coinapi-ohlcv-json',
  }),
]);

/** Every window the risk lab can run: the BTC crash windows, then the ETH days. */
export const LAB_WINDOWS: readonly CrashWindow[] = Object.freeze([...CRASH_WINDOWS, ...ETH_WINDOWS]);

/** A window of `LAB_WINDOWS` by id; throws listing the known ids otherwise. */
export function labWindow(id: string): CrashWindow {
  const w = LAB_WINDOWS.find((c) => c.id === id);
  if (w === undefined)
    throw new RangeError(
      `unknown crash window ${JSON.stringify(id)}; known: ${LAB_WINDOWS.map((c) => c.id).join(', ')}`,
    );
  return w;
}

/** Reads the bars of any lab window, whatever its file format. */
export function loadWindowKlines(id: string): Kline[] {
  const w = labWindow(id);
  return w.format === 'coinapi-ohlcv-json' ? readCoinApiOhlcvJson(w.path) : readKlinesCsv(w.path);
}

/** The window with this id; throws listing the known ids otherwise. */
export function crashWindow(id: string): CrashWindow {
  const w = CRASH_WINDOWS.find((c) => c.id === id);
  if (w === undefined) {
    throw new RangeError(
      `unknown crash window ${JSON.stringify(id)}; known: ${CRASH_WINDOWS.map((c) => c.id).join(', ')}`,
    );
  }
  return w;
}

/** Reads the bars of a bundled window. */
export function loadCrashKlines(id: string): Kline[] {
  return readKlinesCsv(crashWindow(id).path);
}
