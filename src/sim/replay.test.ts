import { describe, expect, it } from 'vitest';
import { decodeSnapshot, encodeSnapshot } from '../core/engine/codec.ts';
import { Engine } from '../core/engine/engine.ts';
import { demoPopulation } from './population.ts';
import { conservation, runCrashReplay } from './replay.ts';

describe('runCrashReplay', () => {
  it('conserves_money_and_replays_to_the_same_state', () => {
    const { metrics, run } = runCrashReplay({ crash: '2021-05-19', accounts: 150, seed: 5 });
    expect(metrics.conservation.ok).toBe(true);
    expect(metrics.replay.identical).toBe(true);
    expect(metrics.crash.pricePoints).toBe(4 * 134);
    const steps =
      metrics.liquidations.partial.steps +
      metrics.liquidations.full.steps +
      metrics.liquidations.bankrupt.steps;
    expect(steps).toBeGreaterThan(0);
    expect(metrics.liquidations.tradersLiquidated).toBeLessThanOrEqual(150);
    expect(run.wallTimeMs).toBeGreaterThan(0);
  });
});

describe('conservation', () => {
  it('detects_a_unit_created_out_of_nothing', () => {
    const pop = demoPopulation({ accounts: 20, seed: 1, openPrice: '60000', timeMs: 1 });
    const engine = Engine.create(pop.config);
    for (const c of pop.setup) engine.executeOrThrow(c);
    expect(conservation(engine.state).ok).toBe(true);
    // A copy of the state to corrupt (the engine's own is read-only: commands change it).
    const state = decodeSnapshot(encodeSnapshot(engine.state));
    const s = state.subaccounts.get('trader-01/0')!;
    s.balances.set('USDC', (s.balances.get('USDC') ?? 0n) + 1n);
    const c = conservation(state);
    expect(c.ok).toBe(false);
    expect(c.assets.USDC!.ok).toBe(false);
    expect(c.assets.BTC!.ok).toBe(true);
  });
});
