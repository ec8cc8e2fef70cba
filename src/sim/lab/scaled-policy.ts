/**
 * A margin policy scaled by a factor k: every initial and maintenance ratio of its market margin
 * model (at the start and in every update it emits) multiplied by k, capped at 100 %. It is how a
 * study compares policies at equal capital efficiency: each policy's k is calibrated so that its
 * time-averaged IM/OI matches the baseline's (./study.ts), and bad debt is compared there.
 *
 * Scales the per-market models `fixed`, `brackets` (published maintenance amounts are dropped so
 * the engine derives them from the scaled ratios), `sqrtSize` and `openInterestScaled`; a policy
 * with an engine portfolio model (its scenarios are not scaled) or another kind is refused.
 */
import type { MarginModelConfigInput } from '../../core/model/config.ts';
import type { MarginPolicy, PolicyUpdate } from './policies.ts';

export class UnscalablePolicyError extends RangeError {
  override readonly name = 'UnscalablePolicyError';
}

const ratio = (r: unknown, k: number): string => {
  const x = Math.min(1, Number(r) * k);
  // ppm resolution, at least 1 ppm.
  return Math.max(1e-6, Math.round(x * 1e6) / 1e6).toFixed(6);
};

function scaleMaintenance(m: unknown, k: number): unknown {
  const o = m as { ratio?: unknown; fractionOfInitial?: unknown };
  // A fraction of the initial ratio follows the scaled initial ratio by itself.
  return o.ratio !== undefined ? { ...o, ratio: ratio(o.ratio, k) } : o;
}

/** `model` with every ratio × k (see the module header). */
export function scaleMarginModel(model: MarginModelConfigInput, k: number): MarginModelConfigInput {
  if (!(k > 0) || !Number.isFinite(k)) throw new UnscalablePolicyError(`scale must be > 0, got ${k}`);
  switch (model.kind) {
    case 'fixed':
    case 'sqrtSize':
    case 'openInterestScaled':
      return {
        ...model,
        initialRatio: ratio(model.initialRatio, k),
        maintenance: scaleMaintenance(model.maintenance, k),
      } as MarginModelConfigInput;
    case 'brackets':
      return {
        ...model,
        brackets: model.brackets.map(({ maintenanceAmount: _drop, ...b }) => ({
          ...b,
          maintenanceRatio: ratio(b.maintenanceRatio, k),
          initialRatio: ratio(b.initialRatio, k),
        })),
      };
    default:
      throw new UnscalablePolicyError(`a ${model.kind} margin model cannot be scaled`);
  }
}

/** `policy` with its ratios × k, named `name ×k`. */
export function scaledPolicy(policy: MarginPolicy, k: number): MarginPolicy {
  if (k === 1) return policy;
  const scaleUpdate = (u: PolicyUpdate | undefined): PolicyUpdate | undefined =>
    u?.market?.margin ? { ...u, market: { ...u.market, margin: scaleMarginModel(u.market.margin, k) } } : u;
  return {
    name: `${policy.name} ×${k.toPrecision(4)}`,
    description: `${policy.description ?? policy.name}, every margin ratio × ${k.toPrecision(4)}`,
    configFor: (ctx) => {
      const cfg = policy.configFor(ctx);
      if (cfg.portfolio !== undefined)
        throw new UnscalablePolicyError(
          `${policy.name} has a portfolio model, whose scenarios are not scaled`,
        );
      return { ...cfg, margin: scaleMarginModel(cfg.margin, k) };
    },
    ...(policy.onTick ? { onTick: (tick) => scaleUpdate(policy.onTick!(tick)) } : {}),
    ...(policy.accountInitialMargin
      ? { accountInitialMargin: policy.accountInitialMargin.bind(policy) }
      : {}),
    // A per-account add-on is relative to the (scaled) requirement: kept as it is.
    ...(policy.initialAddOnPpm ? { initialAddOnPpm: policy.initialAddOnPpm.bind(policy) } : {}),
  };
}
