import { describe, expect, it } from 'vitest';
import vectors from '../../test/vectors/binance_usdm_btcusdt_brackets.json' with { type: 'json' };
import { Engine } from '../core/engine/engine.ts';
import { BINANCE_BTCUSDT_BRACKETS, demoVenueConfig, generatePopulation, MARKET } from './population.ts';

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

describe('generatePopulation', () => {
  it('is_deterministic', () => {
    expect(generatePopulation(opts)).toEqual(generatePopulation(opts));
    expect(generatePopulation({ ...opts, seed: 43 }).setup).not.toEqual(generatePopulation(opts).setup);
  });

  it('every_setup_command_is_accepted_and_every_trader_holds_a_position', () => {
    const pop = generatePopulation(opts);
    const engine = Engine.create(pop.config);
    for (const c of pop.setup) {
      const r = engine.execute(c);
      expect(r.ok ? 'ok' : `${c.type}: ${r.rejection.code} ${r.rejection.message}`).toBe('ok');
    }
    for (const t of pop.traders) {
      const p = engine.state.subaccounts.get(`${t.ref.account}/0`)!.positions.get(MARKET)!;
      expect(p.size > 0n).toBe(t.side === 'long');
      expect(p.isolated).toBe(t.isolated);
    }
    expect(engine.state.insurance.get('USDC')).toBe(BigInt(pop.summary.insuranceSeed) * 1_000_000n);
  });

  it('has_the_documented_shape', () => {
    const pop = generatePopulation({ ...opts, accounts: 3000 });
    const s = pop.summary;
    expect(s.longs / s.traders).toBeGreaterThan(0.5);
    expect(s.longs / s.traders).toBeLessThan(0.6);
    expect(s.btcCollateral / s.traders).toBeGreaterThan(0.12);
    expect(s.btcCollateral / s.traders).toBeLessThan(0.18);
    expect(s.isolated / s.traders).toBeGreaterThan(0.14);
    expect(s.isolated / s.traders).toBeLessThan(0.2);
    expect(s.whales).toBeGreaterThan(10);
    for (const t of pop.traders) {
      expect(t.leverage).toBeGreaterThanOrEqual(1);
      expect(t.leverage).toBeLessThanOrEqual(50);
      if (t.collateralAsset === 'BTC') expect(t.isolated).toBe(false);
    }
  });
});
