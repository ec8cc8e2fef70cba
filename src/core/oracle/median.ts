/**
 * Exact weighted medians over bigint prices.
 *
 * Sort by value and walk the cumulative weight W_c against the total W. The
 * *lower* weighted median is the smallest value v with 2·W(≤ v) ≥ W; the *upper*
 * is the largest v with 2·W(≥ v) ≥ W. They differ only when some prefix weighs
 * exactly W/2; the median is then their midpoint, rounded half-even (so with equal
 * weights this is the textbook median: the middle value, or the mean of the two
 * middle ones). Comparisons use 2·W_c vs W: no division, no rounding.
 *
 * If a strict weight majority of the entries lies in [a, b], both the lower and
 * the upper median lie in [a, b], hence so does the median (INV-ORC-1, docs/oracle.md).
 */
import { divRound, InvariantError } from '../num/index.ts';

export interface Weighted {
  /** The value (px8 for prices). */
  readonly value: bigint;
  /** Weight (> 0), any fixed scale (ppm for source weights). */
  readonly weight: bigint;
}

/** [lower, upper] weighted median; throws on an empty list or non-positive weight. */
export function medianInterval(entries: readonly Weighted[]): readonly [bigint, bigint] {
  if (entries.length === 0) throw new InvariantError('median of nothing');
  const sorted = [...entries].sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  // Equal values form one group: the half-way test applies to a group's cumulative weight,
  // never to part of a run of equal values.
  const groups: { value: bigint; weight: bigint }[] = [];
  let total = 0n;
  for (const e of sorted) {
    if (e.weight <= 0n) throw new InvariantError(`non-positive weight ${e.weight}`);
    total += e.weight;
    const last = groups[groups.length - 1];
    if (last !== undefined && last.value === e.value) last.weight += e.weight;
    else groups.push({ value: e.value, weight: e.weight });
  }
  let cum = 0n;
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i]!;
    cum += g.weight;
    if (2n * cum > total) return [g.value, g.value];
    // Exactly half the weight is ≤ g.value: the upper median is the next value.
    if (2n * cum === total) return [g.value, groups[i + 1]?.value ?? g.value];
  }
  throw new InvariantError('unreachable: cumulative weight never reached half');
}

/**
 * Weighted median: midpoint of the median interval, half-even.
 * @example weightedMedian([{value: 1n, weight: 1n}, {value: 5n, weight: 1n}, {value: 9n, weight: 3n}]) === 9n
 */
export function weightedMedian(entries: readonly Weighted[]): bigint {
  const [lo, hi] = medianInterval(entries);
  return lo === hi ? lo : divRound(lo + hi, 2n, 'halfEven');
}

/** Plain median of values (equal weights). */
export function median(values: readonly bigint[]): bigint {
  return weightedMedian(values.map((value) => ({ value, weight: 1n })));
}
