import { describe, expect, it } from 'vitest';
import { Engine } from '../../core/engine/engine.ts';
import { conservation } from '../replay.ts';
import { Rng } from '../rng.ts';
import { DEFAULT_POLICIES, venueFor } from './policies.ts';
import { DEFAULT_POPULATION_SPEC, drawTraders, materialize, sample } from './population.ts';

const OPEN = { openPrice: '121662', timeMs: Date.UTC(2025, 9, 10) };
const spec = (accounts: number, seed: number) => ({ ...DEFAULT_POPULATION_SPEC, accounts, seed });

describe('drawTraders', () => {
  it('same_seed_same_traders_other_seed_other_traders', () => {
    expect(drawTraders(spec(200, 3))).toEqual(drawTraders(spec(200, 3)));
    expect(drawTraders(spec(200, 4))).not.toEqual(drawTraders(spec(200, 3)));
  });

  it('follows_the_configured_distributions', () => {
    const t = drawTraders(spec(5000, 11));
    const share = (f: (x: (typeof t)[number]) => boolean) => t.filter(f).length / t.length;
    expect(share((x) => x.whale)).toBeGreaterThan(0.005);
    expect(share((x) => x.whale)).toBeLessThan(0.02);
    expect(share((x) => x.side === 'long')).toBeCloseTo(0.55, 1);
    expect(share((x) => x.collateral === 'BTC')).toBeCloseTo(0.15, 1);
    expect(share((x) => x.collateral === 'mixed')).toBeCloseTo(0.05, 1);
    // Isolated only with USDC collateral, at about 20 % of those.
    expect(t.every((x) => !x.isolated || x.collateral === 'USDC')).toBe(true);
    const usdc = t.filter((x) => x.collateral === 'USDC');
    expect(usdc.filter((x) => x.isolated).length / usdc.length).toBeCloseTo(0.2, 1);
    // Leverage: whole numbers in [1, 125], median about 10.
    const lev = t.map((x) => x.leverage).sort((a, b) => a - b);
    expect(lev.every((l) => Number.isInteger(l) && l >= 1 && l <= 125)).toBe(true);
    expect(lev[Math.floor(lev.length / 2)]).toBeGreaterThanOrEqual(8);
    expect(lev[Math.floor(lev.length / 2)]).toBeLessThanOrEqual(11);
    // Whales carry a heavy tail: the largest whale far above the largest ordinary trader's cap.
    const whaleMax = Math.max(...t.filter((x) => x.whale).map((x) => Number(x.collateralUsd)));
    expect(whaleMax).toBeGreaterThan(250_000);
    expect(t.filter((x) => !x.whale).every((x) => Number(x.collateralUsd) <= 250_000)).toBe(true);
  });

  it('samples_each_distribution_within_its_bounds', () => {
    const rng = new Rng(1);
    for (let i = 0; i < 1000; i++) {
      expect(sample(rng, { kind: 'logUniform', min: 2, max: 50 })).toBeGreaterThanOrEqual(2);
      expect(sample(rng, { kind: 'pareto', scale: 10, alpha: 1.5, max: 1000 })).toBeGreaterThanOrEqual(10);
      expect(sample(rng, { kind: 'pareto', scale: 10, alpha: 1.5, max: 1000 })).toBeLessThanOrEqual(1000);
      const v = sample(rng, { kind: 'lognormal', median: 10, sigma: 1, min: 1, max: 125 });
      expect(v >= 1 && v <= 125).toBe(true);
    }
  });
});

describe('materialize', () => {
  const intents = drawTraders(spec(150, 5));

  for (const policy of DEFAULT_POLICIES) {
    it(`every_setup_command_is_accepted_${policy.name}`, () => {
      const pop = materialize(
        intents,
        venueFor(policy, { openPrice: OPEN.openPrice, startMs: OPEN.timeMs }),
        OPEN,
      );
      const engine = Engine.create(pop.config);
      for (const c of pop.setup) engine.executeOrThrow(c);
      expect(conservation(engine.state).ok).toBe(true);
      expect(pop.summary.opened).toBeGreaterThan(140);
      expect(pop.summary.whales).toBe(intents.filter((x) => x.whale).length);
    });
  }

  it('a_stricter_policy_opens_less_with_the_same_collateral', () => {
    const [low, , conservative] = DEFAULT_POLICIES;
    const ctx = { openPrice: OPEN.openPrice, startMs: OPEN.timeMs };
    const a = materialize(intents, venueFor(low!, ctx), OPEN);
    const b = materialize(intents, venueFor(conservative!, ctx), OPEN);
    expect(Number(b.summary.grossNotional)).toBeLessThan(Number(a.summary.grossNotional));
    expect(b.summary.collateralValue).toBe(a.summary.collateralValue);
  });

  it('positions_sizing_keeps_sizes_and_tops_up_deposits', () => {
    const [low, , conservative] = DEFAULT_POLICIES;
    const ctx = { openPrice: OPEN.openPrice, startMs: OPEN.timeMs };
    const a = materialize(intents, venueFor(low!, ctx), OPEN);
    const b = materialize(intents, venueFor(conservative!, ctx), { ...OPEN, sizing: { positionsFrom: a } });
    expect(b.traders.map((x) => x.size)).toEqual(a.traders.map((x) => x.size));
    expect(b.summary.toppedUp).toBeGreaterThan(0);
    const engine = Engine.create(b.config);
    for (const c of b.setup) engine.executeOrThrow(c);
  });
});
