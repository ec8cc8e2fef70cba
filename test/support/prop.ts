/**
 * Knobs for the engine's property tests over command sequences (README, docs/invariants.md):
 *
 * - `PROP_RUNS`: sequences per property (the main property runs PROP_RUNS, the others a
 *   fraction of it). Unset: the short CI default each test states.
 * - `PROP_LENGTH`: the longest sequence. Unset: each test's own maximum (40 or 60 steps).
 *
 * Sequence lengths are drawn uniformly up to the maximum (`size: 'max'`): fast-check's default
 * size would otherwise cap every array at about 20 elements whatever maxLength says.
 *
 * @example PROP_RUNS=2000 PROP_LENGTH=1000 npx vitest run src/core/engine/engine.prop.test.ts
 */
import fc from 'fast-check';

const envInt = (name: string): number | undefined => {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${v}`);
  return n;
};

/** Set when a long run was asked for. */
export const PROP_RUNS = envInt('PROP_RUNS');
export const PROP_LENGTH = envInt('PROP_LENGTH');

/** Runs for a property: `share` of PROP_RUNS when set (at least 1), else the CI default. */
export function propRuns(ciDefault: number, share = 1): number {
  return PROP_RUNS === undefined ? ciDefault : Math.max(1, Math.round(PROP_RUNS * share));
}

/** The longest sequence a property generates: PROP_LENGTH when set, else the test's own. */
export function maxSteps(own: number): number {
  return PROP_LENGTH ?? own;
}

/** Sequences of `step` with lengths uniform in [minLength, maxSteps(maxLength)]. */
export function sequences<T>(step: fc.Arbitrary<T>, minLength: number, maxLength: number): fc.Arbitrary<T[]> {
  const max = maxSteps(maxLength);
  return fc.array(step, { minLength: Math.min(minLength, max), maxLength: max, size: 'max' });
}

/** An index into a sequence of at most maxSteps(maxLength) steps. */
export function stepIndex(maxLength: number): fc.Arbitrary<number> {
  return fc.integer({ min: 0, max: maxSteps(maxLength) - 1 });
}

/** Commands executed by the property tests of this process (for the long run's figures). */
export const executed = { commands: 0 };
