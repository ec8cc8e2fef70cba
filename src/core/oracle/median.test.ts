/**
 * Weighted median (exact, half-even at an exact weight split) and the integer
 * decay used by the premium EMA.
 */
import { describe, expect, it } from 'vitest';
import { ONE18, pow2neg18, powFrac18 } from './decay.ts';
import { median, medianInterval, weightedMedian } from './median.ts';

/** '9*3 1 5' → values 9 (weight 3), 1 and 5 (weight 1). */
const w = (spec: string) =>
  spec.split(' ').map((t) => {
    const [v, wt = '1'] = t.split('*') as [string, string?];
    return { value: BigInt(v), weight: BigInt(wt) };
  });

describe('weightedMedian', () => {
  it.each([
    { name: 'single_value', entries: '7', interval: [7n, 7n], median: 7n },
    { name: 'odd_count_equal_weights', entries: '9 1 5', interval: [5n, 5n], median: 5n },
    { name: 'even_count_is_mean_of_middle_two', entries: '1 3', interval: [1n, 3n], median: 2n },
    { name: 'even_count_half_even_down', entries: '1 4', interval: [1n, 4n], median: 2n },
    { name: 'even_count_half_even_up', entries: '3 6', interval: [3n, 6n], median: 4n },
    { name: 'heavy_source_wins', entries: '1 5 9*3', interval: [9n, 9n], median: 9n },
    { name: 'exact_half_split_by_weight', entries: '10*2 20 30', interval: [10n, 20n], median: 15n },
    { name: 'ties_collapse', entries: '5 5 9 9', interval: [5n, 9n], median: 7n },
    { name: 'ties_at_the_split', entries: '5 5 5 9*3', interval: [5n, 9n], median: 7n },
    // Found by oracle.prop.test.ts: half the weight is reached inside a run of equal values.
    { name: 'half_reached_inside_a_run', entries: '1 2 5 5 5 9', interval: [5n, 5n], median: 5n },
    { name: 'run_straddles_the_split', entries: '1 5 5 9', interval: [5n, 5n], median: 5n },
  ])('$name', ({ entries, interval, median: m }) => {
    expect(medianInterval(w(entries))).toEqual(interval);
    expect(weightedMedian(w(entries))).toBe(m);
  });

  it('order_of_entries_does_not_matter', () => {
    const a = w('3*2 1 8 5*3');
    expect(weightedMedian(a)).toBe(weightedMedian([...a].reverse()));
  });

  it('plain_median_of_values', () => {
    expect(median([3n, 1n, 2n])).toBe(2n);
    expect(median([10n, 20n])).toBe(15n);
  });

  it('refuses_empty_and_non_positive_weights', () => {
    expect(() => weightedMedian([])).toThrow(/median of nothing/);
    expect(() => weightedMedian(w('1*0'))).toThrow(/non-positive weight/);
  });
});

describe('pow2neg18 (EMA decay per interval)', () => {
  it.each([
    { name: 'zero_exponent_is_one', num: 0n, den: 5n, expected: ONE18 },
    { name: 'one_half_life_halves', num: 60_000n, den: 60_000n, expected: ONE18 / 2n },
    { name: 'two_half_lives_quarter', num: 2n, den: 1n, expected: ONE18 / 4n },
    // 2^-0.5 = 0.70710678118654752440...; floored at each step, we lose at most a few units.
    { name: 'half_a_half_life', num: 1n, den: 2n, expected: 707_106_781_186_547_524n },
    { name: 'underflows_to_zero', num: 64n, den: 1n, expected: 0n },
  ])('$name', ({ num, den, expected }) => {
    expect(pow2neg18(num, den)).toBe(expected);
  });

  it('one_second_of_a_one_minute_half_life_is_within_1e-16_of_2^(-1/60)', () => {
    const d = pow2neg18(1_000n, 60_000n);
    // 2^(-1/60) = 0.98851402035289613535... (Python decimal at 50 digits)
    const truth = 988_514_020_352_896_135n;
    expect(d).toBeLessThanOrEqual(truth);
    expect(truth - d).toBeLessThan(100n);
  });

  it('composes: 60 intervals of 1/60 half-life ≈ one half', () => {
    const d = pow2neg18(1_000n, 60_000n);
    const half = powFrac18(d, 60);
    expect(ONE18 / 2n - half).toBeGreaterThanOrEqual(0n);
    expect(ONE18 / 2n - half).toBeLessThan(10_000n);
  });

  it('powFrac18_edges', () => {
    expect(powFrac18(ONE18 / 2n, 0)).toBe(ONE18);
    expect(powFrac18(ONE18 / 2n, 3)).toBe(ONE18 / 8n);
    expect(powFrac18(ONE18, 1_000_000)).toBe(ONE18);
    expect(() => powFrac18(ONE18 + 1n, 1)).toThrow();
  });
});
