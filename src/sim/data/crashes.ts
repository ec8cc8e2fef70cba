/**
 * The real crash windows bundled in data/ for demos and replays.
 *
 * Each entry names one unmodified 1-minute Binance kline file (provenance in
 * data/SOURCE.md) plus facts checked by crashes.test.ts against the file itself: the row
 * count and the lowest 1m low with its minute. Paths are resolved from this module's URL
 * to the repository root, so they work from any working directory.
 */
import { fileURLToPath } from 'node:url';
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
}

function window(w: Omit<CrashWindow, 'path'>): CrashWindow {
  return Object.freeze({ ...w, path: DATA_DIR + w.fileName });
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
