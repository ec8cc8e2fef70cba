/**
 * Readers of the bundled 2025-10-10 files: Gemini trades (gzip CSV, µs times, exponent
 * amounts) and Binance book depth (±1 % band prices as impact proxies).
 */
import { describe, expect, it } from 'vitest';
import { DATA_DIR } from '../data/crashes.ts';
import { parseBookDepthProxies, readBookDepthProxies } from './book-depth.ts';
import { GEMINI_TRADES_HEADER, parseGeminiTrades, plainDecimal, readGeminiTrades } from './gemini-trades.ts';

describe('plainDecimal', () => {
  it.each([
    { name: 'plain_stays', input: '0.01428928', expected: '0.01428928' },
    { name: 'small_exponent', input: '7.3e-7', expected: '0.00000073' },
    { name: 'integer_mantissa', input: '5e-3', expected: '0.005' },
    { name: 'positive_exponent', input: '1.5E3', expected: '1500' },
    { name: 'exponent_inside_digits', input: '1.2345e2', expected: '123.45' },
    { name: 'explicit_plus', input: '2e+0', expected: '2' },
    { name: 'trailing_zeros_trimmed', input: '1.50e-1', expected: '0.15' },
    { name: 'not_a_number', input: 'NaN', expected: null },
    { name: 'negative', input: '-1e-3', expected: null },
    { name: 'hex', input: '0x10', expected: null },
  ])('$name', ({ input, expected }) => {
    expect(plainDecimal(input)).toBe(expected);
  });
});

describe('Gemini BTCUSD trades of 2025-10-10', () => {
  const trades = readGeminiTrades(`${DATA_DIR}gemini_trades_2025-10-10_BTCUSD.csv.gz`);

  it('has_24706_trades_within_the_utc_day', () => {
    expect(trades).toHaveLength(24_706);
    const day = Date.UTC(2025, 9, 10);
    for (const t of trades) expect(t.timeMs >= day && t.timeMs < day + 86_400_000).toBe(true);
  });

  it('first_trade_is_literal_with_ms_from_us', () => {
    // gemini,BTCUSD,1760054406843000,1760054406899497,1713679388902077,buy,121758.75,0.01428928
    expect(trades[0]).toEqual({
      timeMs: 1760054406843,
      price: '121758.75',
      amount: '0.01428928',
      side: 'buy',
    });
  });

  it('exponent_amounts_become_plain_decimals', () => {
    expect(trades.every((t) => /^[0-9]+(\.[0-9]+)?$/.test(t.amount))).toBe(true);
  });

  it('has_a_409_second_gap_during_the_crash', () => {
    const gap = trades.findIndex(
      (t, i) =>
        i > 0 &&
        t.timeMs - trades[i - 1]!.timeMs > 400_000 &&
        trades[i - 1]!.timeMs > Date.UTC(2025, 9, 10, 21, 10),
    );
    expect(new Date(trades[gap - 1]!.timeMs).toISOString()).toBe('2025-10-10T21:13:57.378Z');
    expect(Math.floor((trades[gap]!.timeMs - trades[gap - 1]!.timeMs) / 1000)).toBe(409);
  });

  it.each([
    { name: 'wrong_header', text: 'a,b\n', error: /expected header/ },
    {
      name: 'short_row',
      text: `${GEMINI_TRADES_HEADER}\ngemini,BTCUSD,1,2,3,buy,1\n`,
      error: /:2: expected 8 columns/,
    },
    {
      name: 'float_time',
      text: `${GEMINI_TRADES_HEADER}\ngemini,BTCUSD,1.5,2,3,buy,1,1\n`,
      error: /timestamp/,
    },
    { name: 'bad_price', text: `${GEMINI_TRADES_HEADER}\ngemini,BTCUSD,1,2,3,buy,1e5,1\n`, error: /price/ },
  ])('$name', ({ text, error }) => {
    expect(() => parseGeminiTrades(text)).toThrow(error);
  });
});

describe('Binance BTCUSDT book depth of 2025-10-10', () => {
  const book = readBookDepthProxies(`${DATA_DIR}BTCUSDT-bookDepth-2025-10-10.csv`);

  it('reads_2879_snapshots_in_time_order', () => {
    expect(book).toHaveLength(2_879);
    for (let i = 1; i < book.length; i++) expect(book[i]!.timeMs).toBeGreaterThan(book[i - 1]!.timeMs);
  });

  it('first_snapshot_rounds_half_even_to_8_places', () => {
    // -1: 121106.406797461 → 121106.40679746; +1: 122099.668226705 → 122099.6682267 (…05 → even 0)
    expect(book[0]).toEqual({
      timeMs: Date.UTC(2025, 9, 10, 0, 0, 7),
      impactBid: '121106.40679746',
      impactAsk: '122099.6682267',
    });
  });

  it('a_third_of_the_snapshots_are_crossed_from_15_30_42_on', () => {
    // A phantom ~17.65 BTC bid level near 121,363 stays in the bid bands once the price falls below it.
    const crossed = book.filter((b) => Number(b.impactBid) > Number(b.impactAsk)); // display-only comparison
    expect(crossed).toHaveLength(969);
    expect(new Date(crossed[0]!.timeMs).toISOString()).toBe('2025-10-10T15:30:42.000Z');
    expect(crossed.find((b) => b.timeMs === Date.UTC(2025, 9, 10, 21, 34, 32))).toEqual({
      timeMs: Date.UTC(2025, 9, 10, 21, 34, 32),
      impactBid: '121363.26572448',
      impactAsk: '113569.57976718', // …767185: a tie, half-even keeps the even 8
    });
  });

  it('skips_snapshots_missing_a_band_and_trims_fields', () => {
    const text = [
      'timestamp,percentage,depth,notional,weighted_avg_price',
      '2025-10-10 00:00:01,-1,1,1,99.5',
      ' 2025-10-10 00:00:01,1,1,1,100.5',
      '2025-10-10 00:00:02,-1,1,1,99',
    ].join('\n');
    expect(parseBookDepthProxies(text)).toEqual([
      { timeMs: Date.UTC(2025, 9, 10, 0, 0, 1), impactBid: '99.5', impactAsk: '100.5' },
    ]);
  });
});
