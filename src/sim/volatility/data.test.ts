import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  dailyFromIntraday,
  HistoryFormatError,
  logReturns,
  readCddCloses,
  readDailyCandles,
  VOL_DATA_DIR,
} from './data.ts';

describe('bundled histories', () => {
  it('coinbase_daily_from_2015_07_21', () => {
    const all = readDailyCandles(join(VOL_DATA_DIR, 'BTCUSD_1d_candles_full.csv'));
    expect(all.close.length).toBe(5152);
    const s = readDailyCandles(join(VOL_DATA_DIR, 'BTCUSD_1d_candles_full.csv'), 1_437_436_800);
    expect(s.close.length).toBe(3719);
    expect(s.close[0]).toBe(277.32); // 2015-07-21
    expect(s.close[s.close.length - 1]).toBe(113_700.11); // 2025-09-24
    expect(new Date(s.timeSec[0]! * 1000).toISOString()).toBe('2015-07-21T00:00:00.000Z');
  });

  it('bitstamp_hourly_and_daily_rv', () => {
    const h = readCddCloses(join(VOL_DATA_DIR, 'Bitstamp_BTCUSD_1h.csv'), 3600);
    expect(h.close.length).toBe(37_387);
    expect(h.close[0]).toBe(8740.99); // 2018-05-15 06:00, the oldest row
    expect(h.close[h.close.length - 1]).toBe(20_963);
    const d = dailyFromIntraday(h);
    expect(d.returns.length).toBe(1557); // 2018-05-16 .. 2022-08-19, complete UTC days
    expect(new Date(d.daySec[0]! * 1000).toISOString().slice(0, 10)).toBe('2018-05-16');
    // close-to-close: 23:00 bar of 05-16 (8346.59) over the 23:00 bar of 05-15 (8474.99)
    expect(d.returns[0]).toBeCloseTo(Math.log(8346.59 / 8474.99), 12);
    // RV >= r²/24 (Cauchy–Schwarz) and positive
    d.rv.forEach((rv, i) => {
      expect(rv).toBeGreaterThanOrEqual(d.returns[i]! ** 2 / 24 - 1e-18);
    });
  });

  it('binance_futures_hourly', () => {
    const h = readCddCloses(join(VOL_DATA_DIR, 'BTCUSDT_Binance_futures_data_hour.csv'), 3600);
    expect(h.close.length).toBe(3599);
    expect(h.close[0]).toBe(11_940.59);
    expect(h.close[h.close.length - 1]).toBe(27_623.41);
  });
});

describe('readers reject malformed files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'plimsoll-vol-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gap_in_hourly_series', () => {
    const f = join(dir, 'gap.csv');
    writeFileSync(f, 'banner\nunix,date,symbol,open,high,low,close\n7200,x,BTC,1,1,1,3\n0,x,BTC,1,1,1,1\n');
    expect(() => readCddCloses(f, 3600)).toThrow(HistoryFormatError);
  });
  it('milliseconds_and_seconds_mixed', () => {
    const f = join(dir, 'ms.csv');
    // as in the Binance spot export: ms for recent rows, seconds with '.0' for old ones
    writeFileSync(
      f,
      'banner\nunix,date,symbol,open,high,low,close\n1584068400000,x,BTC,1,1,1,2\n1584064800.0,x,BTC,1,1,1,1\n',
    );
    expect(Array.from(readCddCloses(f, 3600).close)).toEqual([1, 2]);
  });
  it('a_bar_repeated_at_the_format_change_with_the_same_close_is_dropped', () => {
    const f = join(dir, 'dup.csv');
    // as in Binance_BTCUSDT_d.csv at 2017-12-18: the bar appears in both unix formats
    writeFileSync(
      f,
      'banner\nunix,date,symbol,open,high,low,close\n1513641600000,x,BTC,1,1,1,3\n1513555200000,x,BTC,1,1,1,2\n1513555200.0,x,BTC,1,1,1,2\n1513468800.0,x,BTC,1,1,1,1\n',
    );
    expect(Array.from(readCddCloses(f, 86_400).close)).toEqual([1, 2, 3]);
  });
  it('a_repeated_bar_with_another_close_is_an_error', () => {
    const f = join(dir, 'dup2.csv');
    writeFileSync(
      f,
      'banner\nunix,date,symbol,open,high,low,close\n1513555200000,x,BTC,1,1,1,2\n1513555200.0,x,BTC,1,1,1,2.5\n',
    );
    expect(() => readCddCloses(f, 86_400)).toThrow(/different closes/);
  });
  it('bad_daily_header', () => {
    const f = join(dir, 'daily.csv');
    writeFileSync(f, 'date,close\n');
    expect(() => readDailyCandles(f)).toThrow(HistoryFormatError);
  });
  it('non_positive_close', () => {
    const f = join(dir, 'zero.csv');
    writeFileSync(f, 'banner\nunix,date,symbol,open,high,low,close\n0,x,BTC,1,1,1,0\n');
    expect(() => readCddCloses(f, 3600)).toThrow(HistoryFormatError);
  });
});

describe('series helpers', () => {
  it('log_returns', () => {
    const r = logReturns([100, 110, 99]);
    expect(r[0]).toBeCloseTo(Math.log(1.1), 15);
    expect(r[1]).toBeCloseTo(Math.log(0.9), 15);
  });
  it('daily_from_intraday_keeps_only_complete_days', () => {
    // 6-hour bars: 4 per day. Start at 12:00 on day 0 → day 0 incomplete; day 1 complete.
    const t0 = 12 * 3600;
    const timeSec = Float64Array.from({ length: 8 }, (_, i) => t0 + i * 21_600);
    const close = Float64Array.from([1, 2, 4, 2, 1, 2, 4, 8]);
    const d = dailyFromIntraday({ timeSec, close, stepSec: 21_600 });
    expect(d.returns.length).toBe(1);
    expect(d.daySec[0]).toBe(86_400);
    // day 1 bars open at 00, 06, 12, 18 (indices 2..5): returns ln 2, -ln 2, -ln 2, ln 2
    expect(d.returns[0]).toBeCloseTo(0, 15);
    expect(d.rv[0]).toBeCloseTo(4 * Math.log(2) ** 2, 15);
  });
});
