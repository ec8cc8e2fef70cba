/**
 * Bad observations are rejected with a typed code, counted in the state, and never
 * applied: after any rejection the index and mark are what they were without it.
 */
import { describe, expect, it } from 'vitest';
import { type OracleRejectionCode, OracleRejectionCodes } from './errors.ts';
import { parseOracleInput } from './observation.ts';
import { config, obs, px, run } from './oracle.testkit.ts';
import { step } from './oracle.ts';

const cfg = config({ maxFutureSkewMs: 1_000, maxPrintDeviation: '0.5' });
/** a, b, c agree at t = 10 000: index 100. */
const base = run(cfg, [
  { nowMs: 10_000, inputs: [obs('a', '99', 10_000), obs('b', '100', 10_000), obs('c', '101', 10_000)] },
]);

describe('rejections', () => {
  it.each([
    { name: 'nan_price', input: obs('a', 'NaN', 10_500), code: 'ORACLE_BAD_PRICE' },
    { name: 'infinity_price', input: obs('a', 'Infinity', 10_500), code: 'ORACLE_BAD_PRICE' },
    { name: 'zero_price', input: obs('a', '0', 10_500), code: 'ORACLE_BAD_PRICE' },
    { name: 'negative_price', input: obs('a', '-100', 10_500), code: 'ORACLE_BAD_PRICE' },
    {
      name: 'number_price_not_string',
      input: { source: 'a', price: 100, timestampMs: 10_500 },
      code: 'ORACLE_BAD_PRICE',
    },
    { name: 'exponent_price', input: obs('a', '1e2', 10_500), code: 'ORACLE_BAD_PRICE' },
    { name: 'too_many_decimals', input: obs('a', '100.000000001', 10_500), code: 'ORACLE_BAD_PRICE' },
    { name: 'unknown_source', input: obs('z', '100', 10_500), code: 'ORACLE_UNKNOWN_SOURCE' },
    { name: 'missing_source', input: { price: '100', timestampMs: 10_500 }, code: 'ORACLE_MALFORMED' },
    { name: 'not_an_object', input: '100', code: 'ORACLE_MALFORMED' },
    { name: 'null_input', input: null, code: 'ORACLE_MALFORMED' },
    {
      name: 'unknown_kind',
      input: { kind: 'quote', price: '100', timestampMs: 10_500 },
      code: 'ORACLE_MALFORMED',
    },
    { name: 'future_timestamp', input: obs('a', '100', 11_501), code: 'ORACLE_FUTURE_TIMESTAMP' },
    { name: 'nan_timestamp', input: obs('a', '100', Number.NaN), code: 'ORACLE_BAD_TIMESTAMP' },
    { name: 'fractional_timestamp', input: obs('a', '100', 10_500.5), code: 'ORACLE_BAD_TIMESTAMP' },
    {
      name: 'string_timestamp',
      input: { source: 'a', price: '100', timestampMs: '10500' },
      code: 'ORACLE_BAD_TIMESTAMP',
    },
    { name: 'out_of_order', input: obs('a', '100', 9_999), code: 'ORACLE_OUT_OF_ORDER' },
    {
      name: 'negative_confidence',
      input: obs('a', '100', 10_500, { confidence: '-1' }),
      code: 'ORACLE_BAD_CONFIDENCE',
    },
    { name: 'nan_volume', input: obs('a', '100', 10_500, { volume: 'NaN' }), code: 'ORACLE_BAD_VOLUME' },
    { name: 'ten_x_print', input: obs('a', '1000', 10_500), code: 'ORACLE_IMPLAUSIBLE_PRICE' },
    { name: 'tenth_print', input: obs('a', '10', 10_500), code: 'ORACLE_IMPLAUSIBLE_PRICE' },
    {
      name: 'crossed_book',
      input: { kind: 'book', impactBid: '101', impactAsk: '100', timestampMs: 10_500 },
      code: 'ORACLE_CROSSED_BOOK',
    },
    {
      name: 'bad_trade_price',
      input: { kind: 'trade', price: '0', timestampMs: 10_500 },
      code: 'ORACLE_BAD_PRICE',
    },
    {
      name: 'trade_ten_x',
      input: { kind: 'trade', price: '1000', timestampMs: 10_500 },
      code: 'ORACLE_IMPLAUSIBLE_PRICE',
    },
  ])('$name → $code, counted, not applied', ({ input, code }) => {
    const r = step(cfg, base.state, { nowMs: 10_500, inputs: [input] });
    expect(r.rejections.map((x) => x.code)).toEqual([code]);
    expect(r.rejections[0]!.index).toBe(0);
    expect(r.outputs!.accepted).toBe(0);
    expect(r.state.rejections.get(code as OracleRejectionCode)).toBe(1);
    // Never applied: the same step without the input gives the same prices and sources.
    const clean = step(cfg, base.state, { nowMs: 10_500 });
    expect(r.outputs!.index).toEqual(clean.outputs!.index);
    expect(r.outputs!.mark).toEqual(clean.outputs!.mark);
    expect(r.state.sources.get('a')!.last).toEqual(clean.state.sources.get('a')!.last);
    expect(r.state.lastTrade).toEqual(clean.state.lastTrade);
    expect(r.state.book).toEqual(clean.state.book);
  });

  it('counts_accumulate_per_code_and_per_source', () => {
    const r = step(cfg, base.state, {
      nowMs: 10_500,
      inputs: [
        obs('a', 'NaN', 10_500),
        obs('a', '0', 10_500),
        obs('b', '100', 1),
        obs('z', '1', 1),
        obs('c', '100.5', 10_500),
      ],
    });
    expect(r.rejections.map((x) => [x.code, x.index])).toEqual([
      ['ORACLE_BAD_PRICE', 0],
      ['ORACLE_BAD_PRICE', 1],
      ['ORACLE_OUT_OF_ORDER', 2],
      ['ORACLE_UNKNOWN_SOURCE', 3],
    ]);
    expect(r.outputs!.accepted).toBe(1);
    expect(r.state.rejections.get('ORACLE_BAD_PRICE')).toBe(2);
    expect(r.state.sources.get('a')!.rejected).toBe(2);
    expect(r.state.sources.get('b')!.rejected).toBe(1);
    expect(r.state.sources.get('c')!.last!.pricePx8).toBe(px('100.5'));
    expect([...r.state.rejections.keys()]).toEqual([...OracleRejectionCodes]);
  });

  it('equal_timestamps_are_accepted_and_the_later_input_wins', () => {
    const r = step(cfg, base.state, {
      nowMs: 10_000,
      inputs: [obs('a', '99.5', 10_000), obs('a', '99.7', 10_000)],
    });
    expect(r.rejections).toEqual([]);
    expect(r.state.sources.get('a')!.last!.pricePx8).toBe(px('99.7'));
  });

  it('a_step_back_in_time_is_refused_whole', () => {
    const r = step(cfg, base.state, { nowMs: 9_000, inputs: [obs('a', '100', 9_000)] });
    expect(r.outputs).toBeNull();
    expect(r.rejections.map((x) => x.code)).toEqual(['ORACLE_TIME_BACKWARDS']);
    expect(r.state.rejections.get('ORACLE_TIME_BACKWARDS')).toBe(1);
    expect(r.state.timeMs).toBe(10_000);
    expect(r.state.sources).toBe(base.state.sources);
  });

  it('no_print_band_before_a_majority_backed_index', () => {
    // Fresh market: nothing to compare a print with, so 10x is accepted (and then filtered by deviation).
    const r = run(cfg, [{ nowMs: 1_000, inputs: [obs('a', '1000', 1_000)] }]);
    expect(r.results[0]!.rejections).toEqual([]);
  });

  it('max_print_deviation_null_disables_the_band', () => {
    const open = config({ maxPrintDeviation: null });
    const s = run(open, [
      { nowMs: 10_000, inputs: [obs('a', '99', 10_000), obs('b', '100', 10_000), obs('c', '101', 10_000)] },
    ]);
    const r = step(open, s.state, { nowMs: 10_500, inputs: [obs('a', '1000', 10_500)] });
    expect(r.rejections).toEqual([]);
    expect(r.outputs!.dropped.map((d) => [d.source, d.reason])).toEqual([['a', 'deviation']]);
  });
});

describe('parseOracleInput', () => {
  it('parses_decimal_strings_to_px8_and_qty9', () => {
    const r = parseOracleInput(
      cfg,
      obs('a', '121662.12345678', 5, { confidence: '1.5', volume: '0.01428928' }),
      5,
    );
    expect(r).toEqual({
      ok: true,
      value: {
        kind: 'price',
        source: 'a',
        pricePx8: 12166212345678n,
        timeMs: 5,
        confidencePx8: 150000000n,
        volumeQty9: 14289280n,
      },
    });
  });

  it('book_and_trade_inputs', () => {
    expect(
      parseOracleInput(cfg, { kind: 'book', impactBid: '99', impactAsk: '101', timestampMs: 1 }, 1),
    ).toEqual({
      ok: true,
      value: { kind: 'book', impactBidPx8: px('99'), impactAskPx8: px('101'), timeMs: 1 },
    });
    expect(parseOracleInput(cfg, { kind: 'trade', price: '100', timestampMs: 1, size: '2' }, 1)).toEqual({
      ok: true,
      value: { kind: 'trade', pricePx8: px('100'), timeMs: 1, sizeQty9: 2_000_000_000n },
    });
  });

  it('future_skew_is_configurable', () => {
    expect(parseOracleInput(cfg, obs('a', '1', 2_000), 1_000).ok).toBe(true);
    expect(parseOracleInput(cfg, obs('a', '1', 2_001), 1_000).ok).toBe(false);
  });
});
