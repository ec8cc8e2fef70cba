/**
 * The hourly histories the forecaster is evaluated on (files in data/, provenance in
 * data/SOURCE.md): Binance USDⓈ-M BTCUSDT hourly 2020-08 → 2020-12, and the Bitstamp BTC/USD
 * hourly bars of 2022 (2022-01-01 → 2022-08-20, the Luna/3AC sell-off inside). Both are paired
 * with Binance's BTCUSDT funding-rate history.
 */
import { VOL_DATA_DIR } from '../volatility/data.ts';
import { type Bar, type FundingPoint, readCddBars, readFunding } from './bars.ts';

export const FORECAST_HISTORIES = ['binance-futures-1h', 'bitstamp-1h-2022'] as const;
export type ForecastHistory = (typeof FORECAST_HISTORIES)[number];

export interface ForecastDataset {
  readonly id: ForecastHistory;
  readonly description: string;
  readonly bars: readonly Bar[];
  readonly funding: readonly FundingPoint[];
}

export function forecastDataset(id: ForecastHistory, dataDir = VOL_DATA_DIR): ForecastDataset {
  const funding = readFunding(`${dataDir}funding_rate_BTCUSDT.csv`);
  if (id === 'binance-futures-1h')
    return {
      id,
      description: 'Binance USDⓈ-M BTCUSDT hourly bars + funding',
      bars: readCddBars(`${dataDir}BTCUSDT_Binance_futures_data_hour.csv`),
      funding,
    };
  if (id === 'bitstamp-1h-2022') {
    const from = Date.UTC(2022, 0, 1) / 1000;
    return {
      id,
      description: 'Bitstamp BTC/USD hourly bars from 2022-01-01 + Binance BTCUSDT funding',
      bars: readCddBars(`${dataDir}Bitstamp_BTCUSD_1h.csv`).filter((b) => b.openSec >= from),
      funding,
    };
  }
  throw new RangeError(
    `unknown forecast history ${JSON.stringify(id)}; known: ${FORECAST_HISTORIES.join(', ')}`,
  );
}

let bitstampCache: readonly Bar[] | undefined;
let fundingCache: readonly FundingPoint[] | undefined;

/**
 * The Bitstamp BTC/USD hourly bars that closed at or before `asOfSec`, and the funding points
 * published by then: what a venue would have had when a run starting at `asOfSec` began.
 */
export function forecastTrainingBars(
  asOfSec: number,
  dataDir = VOL_DATA_DIR,
): { bars: readonly Bar[]; funding: readonly FundingPoint[] } {
  bitstampCache ??= readCddBars(`${dataDir}Bitstamp_BTCUSD_1h.csv`);
  fundingCache ??= readFunding(`${dataDir}funding_rate_BTCUSDT.csv`);
  return {
    bars: bitstampCache.filter((b) => b.openSec + 3600 <= asOfSec),
    funding: fundingCache.filter((f) => f.timeSec <= asOfSec),
  };
}
