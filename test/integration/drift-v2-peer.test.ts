/**
 * The drift-v2 preset against the Drift SDK, to the unit: every value of the peer fixture
 * (test/vectors/drift/peer_fixture.json — 20 users × 3 oracle scenarios computed by
 * @drift-labs/sdk 2.145.0, see SOURCE.md there) is recomputed by the engine from state built by
 * ordinary commands (presets/drift-v2-accounts.ts) and must be equal: requirements and total
 * collateral with and without resting orders, liquidatability, per-position ratios,
 * requirements, weighted PnL, unsettled funding and liquidation prices.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/core/engine/engine.ts';
import { driftScenarioConfig } from '../../src/core/presets/drift-v2-accounts.ts';
import { compareFixture, type DriftFixture, formatComparison } from '../support/drift-peer.ts';

const fx = JSON.parse(
  readFileSync(new URL('../vectors/drift/peer_fixture.json', import.meta.url), 'utf8'),
) as DriftFixture;

describe('drift-v2 reproduces the Drift SDK 2.145.0 peer fixture', () => {
  const c = compareFixture(fx);

  it('covers all 1,584 values the peer checks', () => {
    const total = Object.values(c.counts).reduce((a, t) => a + t.total, 0);
    expect(total).toBe(1584);
  });

  it('matches every value to the unit', () => {
    expect(c.mismatches, formatComparison(c)).toEqual([]);
  });

  it('needs no approximation for these users', () => {
    expect(c.approximations).toEqual([]);
  });
});

describe('drift-v2 arithmetic configuration', () => {
  const base = driftScenarioConfig(fx.scenarios.base!);

  it('refuses ratios off the 0.0001 grid', () => {
    const markets = base.markets!.map((m, i) =>
      i === 0 && m.margin.kind === 'sqrtSize'
        ? { ...m, margin: { ...m.margin, initialRatio: '0.10005' } }
        : m,
    );
    expect(() => Engine.create({ ...base, markets })).toThrow(/0\.0001 grid/);
  });

  it('set_market and set_asset refuse configs off the grid, leaving the state unchanged', () => {
    const e = Engine.create(base);
    const market = base.markets![0]!;
    const before = e.stateHash();
    const r = e.execute({
      type: 'set_market',
      config: {
        ...market,
        margin: { kind: 'fixed', initialRatio: '0.12345', maintenance: { ratio: '0.05' } },
      },
    });
    expect(r.ok ? undefined : r.rejection.code).toBe('INVALID_CONFIG');
    const a = e.execute({
      type: 'set_asset',
      config: { id: 'SOL', decimals: 9, initialWeight: '0.80001', maintenanceWeight: '0.9' },
    });
    expect(a.ok ? undefined : a.rejection.code).toBe('INVALID_CONFIG');
    expect(e.stateHash()).toBe(before);
  });

  it('refuses a negative or malformed per-order charge', () => {
    expect(() => Engine.create({ ...base, openOrderCharge: '-0.01' })).toThrow(/openOrderCharge/);
    expect(() => Engine.create({ ...base, openOrderCharge: '0.0000001' })).toThrow(/openOrderCharge/);
  });

  it('refuses PnL weights without the drift-v2 arithmetic', () => {
    expect(() => Engine.create({ ...base, marginArithmetic: 'engine' })).toThrow(/unrealizedPnlWeight/);
  });

  it('refuses a margin model Drift has no grid for', () => {
    const markets = base.markets!.map((m, i) =>
      i === 0
        ? {
            ...m,
            margin: {
              kind: 'brackets' as const,
              brackets: [
                {
                  maxNotional: '1000000',
                  initialRatio: '0.1',
                  maintenanceRatio: '0.05',
                  maintenanceAmount: '0',
                },
              ],
            },
          }
        : m,
    );
    expect(() => Engine.create({ ...base, markets })).toThrow(/sqrtSize or fixed/);
  });
});
