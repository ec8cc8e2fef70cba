import { describe, expect, it } from 'vitest';
import vectors from '../../test/vectors/binance_usdm_btcusdt_brackets.json' with { type: 'json' };
import { Engine } from '../core/engine/engine.ts';
import { DEFAULT_POLICIES, venueFor } from './lab/policies.ts';
import {
  DEMO_POPULATION_SPEC,
  demoPopulation,
  drawTraders,
  LAB_POPULATION_SPEC,
  materialize,
  sample,
} from './population.ts';
import { conservation } from './replay.ts';
import { Rng } from './rng.ts';
import { BINANCE_BTCUSDT_BRACKETS, demoVenueConfig, MARKET } from './venue.ts';

const OPEN = { openPrice: '121662', timeMs: Date.UTC(2025, 9, 10) };
const spec = (accounts: number, seed: number) => ({ ...LAB_POPULATION_SPEC, accounts, seed });

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

const opts = { accounts: 400, seed: 42, openPrice: '121662', timeMs: 1_760_054_400_000 };

describe('demo venue', () => {
  it('brackets_match_the_binance_vector_file', () => {
    const ladder = vectors.brackets;
    expect(BINANCE_BTCUSDT_BRACKETS).toHaveLength(ladder.length);
    BINANCE_BTCUSDT_BRACKETS.forEach((b, i) => {
      const v = ladder[i]!;
      expect(b.maintenanceRatio).toBe(v.maintenanceMarginRate);
      expect(b.maintenanceAmount).toBe(v.maintAmt);
      if (i < ladder.length - 1) expect('notionalCap' in b && b.notionalCap).toBe(v.maxNotional);
      // initial = 1 / max leverage, rounded up to whole ppm
      expect(Number(b.initialRatio)).toBeGreaterThanOrEqual(1 / v.maxLeverage);
      expect(Number(b.initialRatio) - 1 / v.maxLeverage).toBeLessThan(1e-6);
    });
  });

  it('config_is_accepted_by_the_engine', () => {
    expect(() => Engine.create(demoVenueConfig())).not.toThrow();
  });
});

describe('demoPopulation', () => {
  it('draws_the_demo_spec_on_the_demo_venue_without_street_liquidity', () => {
    const pop = demoPopulation(opts);
    expect(
      pop.traders.map(({ ref, side, leverage, isolated, collateral, collateralUsd, whale }) => ({
        ref,
        side,
        leverage,
        isolated,
        collateral,
        collateralUsd,
        whale,
      })),
    ).toEqual(
      drawTraders({ ...DEMO_POPULATION_SPEC, accounts: opts.accounts, seed: opts.seed }).map(
        ({ btcSharePpm: _, ...x }) => x,
      ),
    );
    expect(pop.config).toEqual(demoVenueConfig());
    expect(pop.setup.some((c) => c.type === 'deposit' && c.to.account === pop.street.account)).toBe(false);
    expect(pop.deposits.street).toBe('0');
  });

  it('is_deterministic', () => {
    expect(demoPopulation(opts)).toEqual(demoPopulation(opts));
    expect(demoPopulation({ ...opts, seed: 43 }).setup).not.toEqual(demoPopulation(opts).setup);
  });

  it('every_setup_command_is_accepted_and_every_trader_holds_a_position', () => {
    const pop = demoPopulation(opts);
    const engine = Engine.create(pop.config);
    for (const c of pop.setup) {
      const r = engine.execute(c);
      expect(r.ok ? 'ok' : `${c.type}: ${r.rejection.code} ${r.rejection.message}`).toBe('ok');
    }
    expect(pop.summary.opened).toBe(pop.traders.length);
    for (const t of pop.traders) {
      const p = engine.state.subaccounts.get(`${t.ref.account}/0`)!.positions.get(MARKET)!;
      expect(p.size > 0n).toBe(t.side === 'long');
      expect(p.isolated).toBe(t.isolated);
    }
    expect(engine.state.insurance.get('USDC')).toBe(BigInt(pop.summary.insuranceSeed) * 1_000_000n);
  });

  it('has_the_documented_shape', () => {
    const pop = demoPopulation({ ...opts, accounts: 3000 });
    const s = pop.summary;
    expect(s.longs / s.traders).toBeGreaterThan(0.5);
    expect(s.longs / s.traders).toBeLessThan(0.6);
    expect(s.btcCollateral / s.traders).toBeGreaterThan(0.12);
    expect(s.btcCollateral / s.traders).toBeLessThan(0.18);
    expect(s.isolated / s.traders).toBeGreaterThan(0.14);
    expect(s.isolated / s.traders).toBeLessThan(0.2);
    expect(s.whales).toBeGreaterThan(10);
    expect(s.mixedCollateral).toBe(0);
    for (const t of pop.traders) {
      expect(t.leverage).toBeGreaterThanOrEqual(1);
      expect(t.leverage).toBeLessThanOrEqual(50);
      if (t.collateral !== 'USDC') expect(t.isolated).toBe(false);
    }
  });
});
