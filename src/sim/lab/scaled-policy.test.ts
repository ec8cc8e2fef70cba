/**
 * Scaling a policy's margin (equal-capital-efficiency comparisons): every ratio × k, capped at
 * 100 %, published maintenance amounts dropped, updates scaled too, portfolio policies refused.
 */
import { describe, expect, it } from 'vitest';
import { staticPolicy } from './policies.ts';
import { policiesByName } from './policy-registry.ts';
import { scaledPolicy, scaleMarginModel, UnscalablePolicyError } from './scaled-policy.ts';

const ctx = {
  marketId: 'BTC-PERP',
  baseMarket: { margin: { kind: 'fixed', initialRatio: '0.1', maintenance: { ratio: '0.05' } } },
  openPrice: '60000',
  startMs: 0,
} as never;

describe('scaled margin', () => {
  it('fixed ratios × k, capped at 100 %', () => {
    const m = scaledPolicy(staticPolicy('s', '0.04', '0.02'), 1.5).configFor(ctx).margin;
    expect(m).toEqual({ kind: 'fixed', initialRatio: '0.060000', maintenance: { ratio: '0.030000' } });
    expect(
      scaleMarginModel({ kind: 'fixed', initialRatio: '0.5', maintenance: { ratio: '0.3' } }, 4),
    ).toEqual({
      kind: 'fixed',
      initialRatio: '1.000000',
      maintenance: { ratio: '1.000000' },
    });
  });

  it('brackets: both ratios of every bracket, maintenance amounts dropped', () => {
    const m = scaleMarginModel(
      {
        kind: 'brackets',
        brackets: [
          { notionalCap: '50000', maintenanceRatio: '0.004', initialRatio: '0.008', maintenanceAmount: '0' },
          { maintenanceRatio: '0.005', initialRatio: '0.01', maintenanceAmount: '50' },
        ],
      },
      0.5,
    );
    expect(m).toEqual({
      kind: 'brackets',
      brackets: [
        { notionalCap: '50000', maintenanceRatio: '0.002000', initialRatio: '0.004000' },
        { maintenanceRatio: '0.002500', initialRatio: '0.005000' },
      ],
    });
  });

  it('updates from onTick are scaled; portfolio and bad scales are refused', () => {
    const dyn = policiesByName('dynamic-ewma')[0]!;
    const s = scaledPolicy(dyn, 2);
    const base = dyn.configFor(ctx).margin as { initialRatio: string };
    const scaled = s.configFor(ctx).margin as { initialRatio: string };
    expect(Number(scaled.initialRatio)).toBeCloseTo(Math.min(1, 2 * Number(base.initialRatio)), 6);
    expect(() => scaledPolicy(policiesByName('portfolio')[0]!, 2).configFor(ctx)).toThrow(
      UnscalablePolicyError,
    );
    expect(() =>
      scaleMarginModel({ kind: 'fixed', initialRatio: '0.1', maintenance: { ratio: '0.05' } }, 0),
    ).toThrow(UnscalablePolicyError);
  });
});
