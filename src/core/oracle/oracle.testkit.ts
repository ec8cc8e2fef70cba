/** Helpers shared by the oracle tests: configs, prices, and running steps. */
import { formatDecimal, PRICE_DECIMALS, parseDecimalUnsafe } from '../num/index.ts';
import { type OracleConfig, type OracleConfigInput, parseOracleConfigUnsafe } from './config.ts';
import { type OracleOutputs, type OracleStepResult, step } from './oracle.ts';
import { initialOracleState, type OracleState } from './state.ts';

/** "100.5" → px8. */
export const px = (s: string): bigint => parseDecimalUnsafe(s, PRICE_DECIMALS);
/** px8 → "100.5". */
export const fmt = (v: bigint | null): string | null =>
  v === null ? null : formatDecimal(v, PRICE_DECIMALS);

/** Three equal sources a, b, c (max age 10 s), minSources 2, 5% deviation, mark = index. */
export function config(overrides: Partial<OracleConfigInput> = {}): OracleConfig {
  return parseOracleConfigUnsafe({
    market: 'BTC-PERP',
    sources: [
      { id: 'a', maxAgeMs: 10_000 },
      { id: 'b', maxAgeMs: 10_000 },
      { id: 'c', maxAgeMs: 10_000 },
    ],
    minSources: 2,
    maxDeviation: '0.05',
    ...overrides,
  });
}

export const obs = (
  source: string,
  price: string,
  timestampMs: number,
  extra: Record<string, unknown> = {},
) => ({
  source,
  price,
  timestampMs,
  ...extra,
});

/** Runs steps from `state` (default: initial); returns every result and the final state. */
export function run(
  cfg: OracleConfig,
  steps: readonly { nowMs: number; inputs?: readonly unknown[] }[],
  state: OracleState = initialOracleState(cfg),
): { results: OracleStepResult[]; state: OracleState; last: OracleOutputs } {
  const results: OracleStepResult[] = [];
  let st = state;
  for (const s of steps) {
    const r = step(cfg, st, s);
    results.push(r);
    st = r.state;
  }
  const last = [...results].reverse().find((r) => r.outputs !== null)?.outputs ?? null;
  if (last === null) throw new Error('no step produced outputs');
  return { results, state: st, last };
}

/** The transition types of a run, in order. */
export const transitionTypes = (results: readonly OracleStepResult[]): string[] =>
  results.flatMap((r) => r.outputs?.transitions.map((t) => t.type) ?? []);
