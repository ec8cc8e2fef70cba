/**
 * Kline CSV reader and intra-bar path: the bundled real files, malformed input, exact
 * decimal comparison.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crashWindow } from './crashes.ts';
import { compareDecimal, toScaled } from './decimal.ts';
import {
  KLINE_HEADER,
  type Kline,
  KlineFormatError,
  klinePath,
  parseKlinesCsv,
  readKlinesCsv,
} from './klines.ts';

const OCT_10 = crashWindow('2025-10-10').path;

/** The lowest-low bar, found with exact decimal comparison. */
function lowestBar(bars: readonly Kline[]): Kline {
  let best = bars[0]!;
  for (const b of bars) if (compareDecimal(b.low, best.low) < 0) best = b;
  return best;
}

describe('readKlinesCsv on the bundled 2025-10-10 file', () => {
  const bars = readKlinesCsv(OCT_10);

  it('has_1440_one_minute_rows_covering_the_utc_day', () => {
    expect(bars).toHaveLength(1440);
    expect(bars[0]!.openTimeMs).toBe(Date.UTC(2025, 9, 10, 0, 0));
    expect(bars[1439]!.openTimeMs).toBe(Date.UTC(2025, 9, 10, 23, 59));
    for (let i = 1; i < bars.length; i++) expect(bars[i]!.openTimeMs - bars[i - 1]!.openTimeMs).toBe(60_000);
  });

  it('first_row_keeps_the_literal_strings_of_the_file', () => {
    // 1760054400000,121662,121737.53736410,121662,121689.00965205,0,1760054459999,...
    expect(bars[0]).toEqual({
      openTimeMs: 1760054400000,
      open: '121662',
      high: '121737.53736410',
      low: '121662',
      close: '121689.00965205',
    });
  });

  it('last_row_keeps_trailing_zeros', () => {
    expect(bars[1439]).toEqual({
      openTimeMs: 1760140740000,
      open: '113226.10000000',
      high: '113226.10000000',
      low: '112971.76900067',
      close: '112992.60000000',
    });
  });

  it('known_1m_low_is_102497_49_at_21_20_utc', () => {
    // SOURCE.md quotes 102,497.49 (rounded to cents); the file holds 102497.48513403.
    const low = lowestBar(bars);
    expect(low.openTimeMs).toBe(Date.UTC(2025, 9, 10, 21, 20));
    expect(low.low).toBe('102497.48513403');
    const cents = (toScaled(low.low, 8) + 500_000n) / 1_000_000n; // round half up to 2 decimals
    expect(cents).toBe(10249749n);
  });
});

describe('readKlinesCsv on the bundled BTCUSDT windows', () => {
  it.each([
    {
      id: '2020-03-12',
      rows: 287,
      first: {
        openTimeMs: 1584049500000,
        open: '5611.02',
        high: '5615.11',
        low: '5579.17',
        close: '5590.17',
      },
    },
    {
      id: '2021-05-19',
      rows: 134,
      first: {
        openTimeMs: 1621425180000,
        open: '38647.71',
        high: '38679.97',
        low: '38440.00',
        close: '38583.98',
      },
    },
  ])('window $id has $rows rows and a literal first row', ({ id, rows, first }) => {
    const bars = readKlinesCsv(crashWindow(id).path);
    expect(bars).toHaveLength(rows);
    expect(bars[0]).toEqual(first);
  });
});

describe('header handling', () => {
  const text = readFileSync(OCT_10, 'utf8');
  const withoutHeader = text.slice(text.indexOf('\n') + 1);

  it('reads_the_same_bars_without_the_header_line', () => {
    expect(parseKlinesCsv(withoutHeader)).toEqual(parseKlinesCsv(text));
  });

  it('accepts_crlf_line_endings_and_a_missing_final_newline', () => {
    const crlf = text.replaceAll('\n', '\r\n').trimEnd();
    expect(parseKlinesCsv(crlf)).toEqual(parseKlinesCsv(text));
  });

  it('accepts_a_utf8_bom', () => {
    expect(parseKlinesCsv(`\uFEFF${text}`)).toEqual(parseKlinesCsv(text));
  });
});

describe('malformed input', () => {
  const good1 = '1760054400000,121662,121737.53736410,121662,121689.00965205,0,1760054459999,0,60,0,0,0';
  const good2 =
    '1760054460000,121689.00965205,121728.24075549,121679.20000000,121728.24075549,0,1760054519999,0,60,0,0,0';
  /** good1 with column `col` replaced. */
  const edit = (col: number, value: string): string => {
    const f = good1.split(',');
    f[col] = value;
    return f.join(',');
  };

  it.each([
    {
      name: 'wrong_header',
      text: `open_time,open,high,low,close\n${good1}\n`,
      line: 1,
      match: /unexpected header/,
    },
    {
      name: 'too_few_columns',
      text: `${KLINE_HEADER}\n${good1}\n1760054460000,1,2,1,1\n`,
      line: 3,
      match: /12 columns, found 5/,
    },
    { name: 'too_many_columns', text: `${good1},extra\n`, line: 1, match: /found 13/ },
    {
      name: 'price_not_a_number',
      text: `${good1}\n${good2.replace(',121689.00965205,', ',abc,')}\n`,
      line: 2,
      match: /open "abc"/,
    },
    {
      name: 'price_in_exponent_notation',
      text: `${edit(2, '1.2e5')}\n`,
      line: 1,
      match: /high "1.2e5" is not a plain decimal/,
    },
    { name: 'negative_price', text: `${edit(3, '-1')}\n`, line: 1, match: /low "-1"/ },
    { name: 'zero_price', text: `${edit(3, '0')}\n`, line: 1, match: /low 0 is not positive/ },
    { name: 'leading_zero_price', text: `${edit(1, '0121662')}\n`, line: 1, match: /not a plain decimal/ },
    { name: 'empty_price', text: `${edit(4, '')}\n`, line: 1, match: /close ""/ },
    { name: 'non_integer_open_time', text: `${edit(0, '1760054400000.5')}\n`, line: 1, match: /open_time/ },
    {
      name: 'close_time_before_open_time',
      text: `${edit(6, '1760054399999')}\n`,
      line: 1,
      match: /close_time .* not after/,
    },
    { name: 'non_integer_count', text: `${edit(8, '6.0')}\n`, line: 1, match: /count/ },
    { name: 'bad_volume', text: `${edit(5, 'NaN')}\n`, line: 1, match: /volume "NaN"/ },
    { name: 'low_above_open', text: `${edit(3, '121662.00000001')}\n`, line: 1, match: /low .* above open/ },
    { name: 'high_below_close', text: `${edit(2, '121689.00965204')}\n`, line: 1, match: /high .* below/ },
    { name: 'open_time_repeated', text: `${good1}\n${good1}\n`, line: 2, match: /does not increase/ },
    { name: 'open_time_decreasing', text: `${good2}\n${good1}\n`, line: 2, match: /does not increase/ },
    { name: 'blank_line_in_the_middle', text: `${good1}\n\n${good2}\n`, line: 2, match: /blank line/ },
    { name: 'header_only', text: `${KLINE_HEADER}\n`, line: 1, match: /no kline rows/ },
    { name: 'empty_text', text: '', line: 0, match: /no kline rows/ },
  ])('$name is rejected with its line number', ({ text, line, match }) => {
    let caught: unknown;
    try {
      parseKlinesCsv(text, 'bad.csv');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(KlineFormatError);
    const err = caught as KlineFormatError;
    expect(err.file).toBe('bad.csv');
    expect(err.line).toBe(line);
    expect(err.message).toMatch(match);
    expect(err.message.startsWith(`bad.csv:${line}: `)).toBe(true);
  });

  describe('files', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'plimsoll-klines-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('error_names_the_file_path_and_line', () => {
      const path = join(dir, 'broken.csv');
      writeFileSync(path, `${KLINE_HEADER}\n${good1}\n${good2.replace('121728.24075549,0', 'x,0')}\n`);
      expect(() => readKlinesCsv(path)).toThrow(`${path}:3: close "x" is not a plain decimal`);
    });

    it('missing_file_is_a_kline_format_error', () => {
      expect(() => readKlinesCsv(join(dir, 'nope.csv'))).toThrow(KlineFormatError);
    });
  });
});

describe('klinePath', () => {
  const bar = (open: string, high: string, low: string, close: string): Kline => ({
    openTimeMs: 0,
    open,
    high,
    low,
    close,
  });

  it.each([
    { name: 'down_bar_low_closer', k: bar('100', '106', '95', '96'), path: ['100', '95', '106', '96'] },
    { name: 'down_bar_high_closer', k: bar('100', '103', '90', '95'), path: ['100', '103', '90', '95'] },
    { name: 'up_bar_high_closer', k: bar('100', '104', '90', '103'), path: ['100', '104', '90', '103'] },
    { name: 'up_bar_low_closer', k: bar('100', '120', '99', '118'), path: ['100', '99', '120', '118'] },
    { name: 'tie_visits_high_first', k: bar('100', '105', '95', '97'), path: ['100', '105', '95', '97'] },
    {
      name: 'open_at_low_goes_low_first',
      k: bar('121662', '121737.53736410', '121662', '121689.00965205'),
      path: ['121662', '121662', '121737.53736410', '121689.00965205'],
    },
    { name: 'open_at_high_goes_high_first', k: bar('50', '50', '40', '45'), path: ['50', '50', '40', '45'] },
    { name: 'flat_bar', k: bar('7.5', '7.5', '7.5', '7.5'), path: ['7.5', '7.5', '7.5', '7.5'] },
    {
      name: 'mixed_decimal_lengths',
      k: bar('100.5', '101', '100.10000001', '100.2'),
      path: ['100.5', '100.10000001', '101', '100.2'],
    },
    // Floats see both distances as 0 here (1234567890.00000003 rounds to 1234567890) and would pick high.
    {
      name: 'exact_where_float_would_tie',
      k: bar('1234567890.00000000', '1234567890.00000003', '1234567889.99999999', '1234567890.00000001'),
      path: ['1234567890.00000000', '1234567889.99999999', '1234567890.00000003', '1234567890.00000001'],
    },
  ])('$name', ({ k, path }) => {
    expect(klinePath(k)).toEqual(path);
  });

  it('returns_the_input_strings_unchanged', () => {
    const k = readKlinesCsv(OCT_10)[1439]!;
    for (const p of klinePath(k)) expect([k.open, k.high, k.low, k.close]).toContain(p);
  });

  it('the_21_20_bar_on_2025_10_10_path', () => {
    const k = readKlinesCsv(OCT_10).find((b) => b.openTimeMs === Date.UTC(2025, 9, 10, 21, 20))!;
    // open 104567.73870810 is 2,070.25 above the low and 935.16 below the high: high first.
    expect(klinePath(k)).toEqual([
      '104567.73870810',
      '105502.90000000',
      '102497.48513403',
      '104559.80000000',
    ]);
  });

  it('rejects_low_above_high', () => {
    expect(() => klinePath(bar('100', '99', '101', '100'))).toThrow(RangeError);
  });
});

describe('compareDecimal', () => {
  it.each([
    { a: '1', b: '1.0', want: 0 },
    { a: '0.1', b: '0.10000000', want: 0 },
    { a: '102497.48513403', b: '102497.49', want: -1 },
    { a: '121662', b: '121661.99999999', want: 1 },
    { a: '9007199254740993.5', b: '9007199254740993.4', want: 1 },
  ])('compare $a with $b', ({ a, b, want }) => {
    expect(compareDecimal(a, b)).toBe(want);
    expect(compareDecimal(b, a)).toBe(-want || 0);
  });

  it('to_scaled_is_exact_and_refuses_to_round', () => {
    expect(toScaled('3621.81', 8)).toBe(362181000000n);
    expect(toScaled('121662', 8)).toBe(12166200000000n);
    expect(() => toScaled('1.234', 2)).toThrow(RangeError);
    expect(() => toScaled('1e5', 8)).toThrow(RangeError);
    expect(() => compareDecimal('-1', '1')).toThrow(RangeError);
  });
});
