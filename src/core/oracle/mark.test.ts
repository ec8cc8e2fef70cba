/**
 * Mark estimators (index, index + EMA basis, median of three), the premium EMA's
 * half-life, the TWAP, and the stricter initial-margin price.
 */
import { describe, expect, it } from 'vitest';
import { sideOf, stricterInitialMarginPrice } from './im-price.ts';
import { premiumSample9 } from './mark.ts';
import { config, fmt, obs, px, run } from './oracle.testkit.ts';
import { step } from './oracle.ts';
import { increasesRisk } from './safe-mode.ts';

const at = (t: number, price = '100') => [obs('a', price, t), obs('b', price, t), obs('c', price, t)];
const book = (t: number, bid: string, ask: string) => ({
  kind: 'book',
  impactBid: bid,
  impactAsk: ask,
  timestampMs: t,
});
const trade = (t: number, price: string) => ({ kind: 'trade', price, timestampMs: t });

describe('premium sample (9 decimals)', () => {
  const inputs = (b: [string, string] | null, tr: string | null, t = 0) => ({
    book: b === null ? null : { impactBidPx8: px(b[0]), impactAskPx8: px(b[1]), timeMs: t },
    lastTrade: tr === null ? null : { pricePx8: px(tr), timeMs: t },
  });
  it.each([
    { name: 'index_inside_the_book_is_zero', i: inputs(['99', '101'], null), expected: 0n },
    { name: 'bid_above_index_is_positive', i: inputs(['101', '102'], null), expected: 10_000_000n },
    { name: 'ask_below_index_is_negative', i: inputs(['97', '98'], null), expected: -20_000_000n },
    { name: 'book_beats_trade', i: inputs(['99', '101'], '150'), expected: 0n },
    { name: 'trade_when_no_book', i: inputs(null, '100.5'), expected: 5_000_000n },
    { name: 'nothing_is_null', i: inputs(null, null), expected: null },
  ])('$name', ({ i, expected }) => {
    expect(premiumSample9(i, px('100'), 0, 10_000)).toBe(expected);
  });
  it('stale_inputs_are_ignored', () => {
    expect(premiumSample9(inputs(['101', '102'], '101', 0), px('100'), 10_001, 10_000)).toBeNull();
  });
});

describe('mark estimators', () => {
  it('index_estimator_is_the_index', () => {
    const { last } = run(config(), [{ nowMs: 0, inputs: [...at(0, '100'), book(0, '101', '102')] }]);
    expect(fmt(last.mark.pricePx8)).toBe('100');
    expect(last.mark.premium9).toBeNull();
  });

  it('index_plus_basis_with_one_half_life_per_interval', () => {
    // Decay 2^(-60s/60s) = 1/2 per interval exactly.
    const c = config({ mark: { kind: 'index_plus_basis', emaHalfLifeMs: 60_000, emaIntervalMs: 60_000 } });
    const r = run(c, [
      { nowMs: 0, inputs: [...at(0), book(0, '101', '102')] }, // premium 1%: first sample seeds the EMA
      { nowMs: 30_000, inputs: [...at(30_000), book(30_000, '99', '101')] }, // same interval: no update
      { nowMs: 60_000, inputs: [...at(60_000), book(60_000, '99', '101')] }, // premium 0: EMA halves
      { nowMs: 180_000, inputs: [...at(180_000), book(180_000, '99', '101')] }, // two intervals: quarter
    ]);
    expect(r.results.map((x) => x.outputs!.mark.premium9)).toEqual([
      10_000_000n,
      10_000_000n,
      5_000_000n,
      1_250_000n,
    ]);
    expect(r.results.map((x) => fmt(x.outputs!.mark.pricePx8))).toEqual(['101', '101', '100.5', '100.125']);
  });

  it('basis_decays_toward_zero_without_a_fresh_book_or_trade', () => {
    // Half-life one interval: a 2 % premium seen once halves every 10 s once the trade is stale.
    const c = config({
      mark: { kind: 'index_plus_basis', emaHalfLifeMs: 10_000, emaIntervalMs: 10_000, maxInputAgeMs: 5_000 },
    });
    const r = run(c, [
      { nowMs: 0, inputs: [...at(0), trade(0, '102')] },
      { nowMs: 10_000, inputs: at(10_000, '110') },
      { nowMs: 30_000, inputs: at(30_000, '110') },
    ]);
    expect(r.results.map((x) => x.outputs!.mark.premium9)).toEqual([20_000_000n, 10_000_000n, 2_500_000n]);
    expect(r.results.map((x) => fmt(x.outputs!.mark.pricePx8))).toEqual(['102', '111.1', '110.275']);
  });

  it('no_sample_ever_means_no_basis', () => {
    const c = config({ mark: { kind: 'index_plus_basis', emaHalfLifeMs: 10_000 } });
    const r = run(c, [
      { nowMs: 0, inputs: at(0) },
      { nowMs: 60_000, inputs: at(60_000, '101') },
    ]);
    expect(r.last.mark.premium9).toBeNull();
    expect(fmt(r.last.mark.pricePx8)).toBe('101');
  });

  it('median_of_basis_book_mid_and_last_trade_ignores_a_spiked_trade', () => {
    const c = config({ mark: { kind: 'median', emaHalfLifeMs: 60_000, emaIntervalMs: 1_000 } });
    const r = run(c, [
      { nowMs: 0, inputs: [...at(0), book(0, '99.8', '100.4')] },
      { nowMs: 1_000, inputs: [...at(1_000), book(1_000, '99.8', '100.4'), trade(1_000, '100.3')] },
      { nowMs: 2_000, inputs: [...at(2_000), book(2_000, '99.8', '100.4'), trade(2_000, '140')] },
    ]);
    // t=0: median of {100 + 0 basis, mid 100.1} = 100.05; t=1s: median {100, 100.1, 100.3} = 100.1.
    expect(r.results.map((x) => fmt(x.outputs!.mark.pricePx8))).toEqual(['100.05', '100.1', '100.1']);
  });

  it('no_index_no_candidate_mark_held', () => {
    const r = run(config(), [{ nowMs: 0, inputs: at(0, '100') }, { nowMs: 20_000 }]);
    expect(r.last.mark).toEqual({ pricePx8: px('100'), candidatePx8: null, premium9: null, held: true });
  });
});

describe('TWAP of the mark', () => {
  const c = config({
    sources: [
      { id: 'a', maxAgeMs: 1_000_000 },
      { id: 'b', maxAgeMs: 1_000_000 },
      { id: 'c', maxAgeMs: 1_000_000 },
    ],
    twap: { windowMs: 120_000, bucketMs: 60_000 },
  });
  it('time_weighted_not_sample_weighted', () => {
    const r = run(c, [
      { nowMs: 0, inputs: at(0, '100') },
      { nowMs: 30_000, inputs: at(30_000, '110') },
      { nowMs: 31_000, inputs: at(31_000, '110') },
      { nowMs: 60_000 },
    ]);
    expect(fmt(r.last.twapPx8)).toBe('105');
  });
  it('window_slides_by_bucket', () => {
    const r = run(c, [
      { nowMs: 0, inputs: at(0, '100') },
      { nowMs: 30_000, inputs: at(30_000, '110') },
      { nowMs: 150_000 }, // buckets 1 and 2 only: the mark was 110 all along
    ]);
    expect(fmt(r.last.twapPx8)).toBe('110');
  });
  it('rounds_half_even', () => {
    // 100.00000001 for 1 ms and 100 for 1 ms: mean 100.000000005 → 100 (even).
    const r = run(c, [
      { nowMs: 0, inputs: at(0, '100.00000001') },
      { nowMs: 1, inputs: at(1, '100') },
      { nowMs: 2 },
    ]);
    expect(fmt(r.last.twapPx8)).toBe('100');
  });
  it('first_mark_is_its_own_twap', () => {
    expect(fmt(run(c, [{ nowMs: 5, inputs: at(5, '100') }]).last.twapPx8)).toBe('100');
  });
});

describe('stricterInitialMarginPrice', () => {
  it.each([
    { name: 'long_takes_the_lower_twap', side: 'long', spot: 100n, twap: 90n, expected: 90n },
    { name: 'long_takes_the_lower_spot', side: 'long', spot: 80n, twap: 90n, expected: 80n },
    { name: 'short_takes_the_higher_twap', side: 'short', spot: 100n, twap: 120n, expected: 120n },
    { name: 'short_takes_the_higher_spot', side: 'short', spot: 130n, twap: 120n, expected: 130n },
    { name: 'no_twap_is_spot', side: 'short', spot: 100n, twap: null, expected: 100n },
  ] as const)('$name', ({ side, spot, twap, expected }) => {
    expect(stricterInitialMarginPrice(side, spot, twap)).toBe(expected);
  });
  it('side_of_a_signed_size', () => {
    expect([sideOf(5n), sideOf(-5n), sideOf(0n)]).toEqual(['long', 'short', null]);
  });
});

describe('increasesRisk (what safe mode refuses)', () => {
  it.each([
    { name: 'open_from_flat', before: 0n, after: 1n, expected: true },
    { name: 'add_to_long', before: 1n, after: 2n, expected: true },
    { name: 'add_to_short', before: -1n, after: -3n, expected: true },
    { name: 'flip_long_to_short', before: 2n, after: -1n, expected: true },
    { name: 'reduce_long', before: 2n, after: 1n, expected: false },
    { name: 'reduce_short', before: -2n, after: -1n, expected: false },
    { name: 'close', before: -2n, after: 0n, expected: false },
    { name: 'unchanged', before: 2n, after: 2n, expected: false },
  ])('$name', ({ before, after, expected }) => {
    expect(increasesRisk(before, after)).toBe(expected);
  });
});

it('step_does_not_mutate_its_input_state', () => {
  const c = config({ mark: { kind: 'median', emaHalfLifeMs: 1_000 } });
  const s0 = run(c, [{ nowMs: 0, inputs: at(0) }]).state;
  const snapshot = structuredClone({ ...s0, sources: [...s0.sources], rejections: [...s0.rejections] });
  step(c, s0, { nowMs: 5_000, inputs: [...at(5_000, '101'), obs('a', 'NaN', 1), trade(5_000, '100')] });
  expect({ ...s0, sources: [...s0.sources], rejections: [...s0.rejections] }).toEqual(snapshot);
});
