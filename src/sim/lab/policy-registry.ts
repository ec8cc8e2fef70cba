/**
 * Margin policies by name, for the command lines (`--policies static-low,portfolio`).
 * Each call builds fresh instances: the dynamic policies are stateful, one per run.
 */
import { dynamicPolicy, predictivePolicy } from './dynamic-policy.ts';
import { learnedPolicy } from './learned-policy.ts';
import { personalizedPolicy } from './personal-policy.ts';
import type { MarginPolicy } from './policies.ts';
import { staticPolicy, tieredPolicy } from './policies.ts';
import { portfolioPolicy } from './portfolio-policy.ts';

const FACTORIES: Readonly<Record<string, () => MarginPolicy>> = {
  'static-low': () => staticPolicy('static-low', '0.04', '0.02'),
  'tiered-binance': () => tieredPolicy(),
  'static-conservative': () => staticPolicy('static-conservative', '0.1', '0.05'),
  'dynamic-ewma': () => dynamicPolicy({ forecaster: 'ewma' }),
  'dynamic-garch': () => dynamicPolicy({ forecaster: 'garch' }),
  'dynamic-har': () => dynamicPolicy({ forecaster: 'har' }),
  'predictive-ewma': () => predictivePolicy({ forecaster: 'ewma' }),
  portfolio: () => portfolioPolicy(),
  'predictive-learned': () => learnedPolicy(),
  personalized: () => personalizedPolicy(),
};

export const POLICY_NAMES: readonly string[] = Object.keys(FACTORIES);

/** The comparison of the README's risk-lab tables: static low, tiers, dynamic, predictive, portfolio. */
export const REPORT_POLICY_NAMES = [
  'static-low',
  'tiered-binance',
  'dynamic-ewma',
  'predictive-ewma',
  'portfolio',
];

/** Fresh policies for a comma-separated list of names; an unknown or repeated name is an error. */
export function policiesByName(list: string): MarginPolicy[] {
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (names.length === 0) throw new RangeError(`no policy named; known: ${POLICY_NAMES.join(', ')}`);
  const seen = new Set<string>();
  return names.map((n) => {
    const f = Object.hasOwn(FACTORIES, n) ? FACTORIES[n] : undefined;
    if (f === undefined)
      throw new RangeError(`unknown policy ${JSON.stringify(n)}; known: ${POLICY_NAMES.join(', ')}`);
    if (seen.has(n)) throw new RangeError(`policy ${n} is listed twice`);
    seen.add(n);
    return f();
  });
}
