/**
 * The uniform alternative to personalized margin: the baseline's ratios × k for everybody, with k
 * chosen so that the venue asks as much margin in total (Σ IM / Σ notional at the start) as the
 * personalized policy asks with its add-ons. Personalization is worth having if, at that equal
 * total, it leaves the well-behaved traders more leverage (and no more bad debt) than the uniform
 * rise does.
 *
 * Only the opening is needed (materialize + the engine's setup, no crash run), so the match is
 * cheap: bisection on log k in [1, 8] over the given seeds' mean start ratio, which rises with k
 * (a stricter ratio never lowers a requirement). Figures are the engine's, exact; ratios floats.
 */
import { Engine } from '../../core/engine/engine.ts';
import { DEFAULT_BEHAVIOUR, drawTraders, LAB_POPULATION_SPEC, materialize } from '../population.ts';
import { personalFigures } from './cascade/capital.ts';
import { openPriceOf } from './cascade/path.ts';
import { loadHistory } from './histories.ts';
import { wellBehaved } from './personal-policy.ts';
import { type MarginPolicy, venueFor } from './policies.ts';
import { scaledPolicy } from './scaled-policy.ts';

const PATHS = new Map<string, ReturnType<typeof loadHistory>['points']>();

/** Σ (IM + add-on) / Σ notional over every trader at the opening of `history` under `policy`. */
export function requiredImOiAtStart(
  history: string,
  seed: number,
  accounts: number,
  policy: MarginPolicy,
  behaviours: boolean,
): number {
  let path = PATHS.get(history);
  if (!path) {
    path = loadHistory({ kind: 'crash', id: history }).points;
    PATHS.set(history, path);
  }
  const openPrice = openPriceOf(path);
  const t0 = path[0]!.timeMs;
  const intents = drawTraders({
    ...LAB_POPULATION_SPEC,
    accounts,
    seed,
    ...(behaviours ? { behaviour: DEFAULT_BEHAVIOUR } : {}),
  });
  const addOn = policy.initialAddOnPpm?.bind(policy);
  const pop = materialize(intents, venueFor(policy, { openPrice, startMs: t0 }), {
    openPrice,
    timeMs: t0,
    ...(addOn ? { initialAddOnPpm: addOn } : {}),
  });
  const engine = Engine.create(pop.config);
  for (const c of pop.setup) engine.executeOrThrow(c);
  return personalFigures(engine.state, pop, addOn, wellBehaved).requiredRatio;
}

export interface UniformMatch {
  /** null: no k in [1, 8] reached the target within the tolerance. */
  readonly scale: number | null;
  readonly achieved: number;
  readonly target: number;
  readonly iterations: number;
}

/** k such that `base` × k asks the target required IM/OI (mean over `seeds`), within `tol` (relative). */
export function matchUniform(
  history: string,
  seeds: readonly number[],
  accounts: number,
  base: MarginPolicy,
  target: number,
  behaviours: boolean,
  tol = 0.01,
): UniformMatch {
  const at = (k: number) =>
    seeds.reduce(
      (a, s) =>
        a + requiredImOiAtStart(history, s, accounts, k === 1 ? base : scaledPolicy(base, k), behaviours),
      0,
    ) / seeds.length;
  let lo = 0;
  let hi = Math.log(8);
  let k = 1;
  let achieved = at(1);
  let it = 1;
  if (achieved >= target)
    return {
      scale: Math.abs(achieved - target) <= tol * target ? 1 : null,
      achieved,
      target,
      iterations: it,
    };
  for (; it < 30; it++) {
    k = Math.exp((lo + hi) / 2);
    achieved = at(k);
    if (Math.abs(achieved - target) <= tol * target)
      return { scale: k, achieved, target, iterations: it + 1 };
    if (achieved < target) lo = Math.log(k);
    else hi = Math.log(k);
    if (hi - lo < 1e-4) break;
  }
  return { scale: Math.abs(achieved - target) <= tol * target ? k : null, achieved, target, iterations: it };
}
