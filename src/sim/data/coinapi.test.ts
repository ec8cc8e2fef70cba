/** The CoinAPI OHLCV reader keeps the published decimals and refuses malformed files. */
import { describe, expect, it } from 'vitest';
import { parseCoinApiOhlcvJson } from './coinapi.ts';
import { KlineFormatError } from './klines.ts';

const bar = (start: string, o: string, h: string, l: string, c: string) =>
  `{"time_period_start": "${start}", "time_period_end": "x", "price_open": ${o}, "price_high": ${h}, "price_low": ${l}, "price_close": ${c}, "volume_traded": 1.5, "trades_count": 3}`;

describe('parseCoinApiOhlcvJson', () => {
  it('keeps_the_price_literals_as_written', () => {
    const text = `[${bar('2021-05-19T00:00:00.0000000Z', '3375.690000000', '3424.35', '3357.72', '0.100000001')},\n${bar('2021-05-19T00:10:00.0000000Z', '1', '2', '0.5', '1.5')}]`;
    expect(() => parseCoinApiOhlcvJson(text)).toThrow(KlineFormatError); // close below low in bar 1
    const ok = `[${bar('2021-05-19T00:00:00.0000000Z', '3375.690000000', '3424.35', '3357.72', '3400.100000001')},\n${bar('2021-05-19T00:10:00.0000000Z', '1', '2', '0.5', '1.5')}]`;
    const bars = parseCoinApiOhlcvJson(ok);
    expect(bars).toEqual([
      {
        openTimeMs: Date.UTC(2021, 4, 19),
        open: '3375.690000000',
        high: '3424.35',
        low: '3357.72',
        close: '3400.100000001',
      },
      { openTimeMs: Date.UTC(2021, 4, 19, 0, 10), open: '1', high: '2', low: '0.5', close: '1.5' },
    ]);
  });

  it('refuses_bad_input_with_a_typed_error', () => {
    expect(() => parseCoinApiOhlcvJson('not json')).toThrow(KlineFormatError);
    expect(() => parseCoinApiOhlcvJson('[]')).toThrow(/non-empty/);
    // A bar without a price field: one fewer bar read than the array holds.
    expect(() => parseCoinApiOhlcvJson('[{"time_period_start": "2021-05-19T00:00:00Z"}]')).toThrow(
      /read 0 bars of 1/,
    );
    // Uneven spacing.
    const gap = `[${bar('2021-05-19T00:00:00Z', '1', '2', '0.5', '1')}, ${bar('2021-05-19T00:10:00Z', '1', '2', '0.5', '1')}, ${bar('2021-05-19T00:30:00Z', '1', '2', '0.5', '1')}]`;
    expect(() => parseCoinApiOhlcvJson(gap)).toThrow(/evenly spaced/);
    // A negative or exponent price is not a plain decimal (the literal regex does not match it).
    expect(() => parseCoinApiOhlcvJson(`[${bar('2021-05-19T00:00:00Z', '-1', '2', '0.5', '1')}]`)).toThrow(
      KlineFormatError,
    );
  });
});
