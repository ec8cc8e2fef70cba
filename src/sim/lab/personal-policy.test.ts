import { describe, expect, it } from 'vitest';
import { drawTraders, LAB_POPULATION_SPEC, materialize } from '../population.ts';
import { labProfile, personalizedPolicy } from './personal-policy.ts';
import { staticPolicy, venueFor } from './policies.ts';

describe('personalized lab policy', () => {
  it('profiles: BTC-collateral long is wrong-way (+1), a BTC-collateral short hedges (−1), USDC is neutral', () => {
    expect(labProfile({ side: 'long', collateral: 'BTC', btcSharePpm: 0n }).collateralCorrelation).toBe(1);
    expect(labProfile({ side: 'short', collateral: 'BTC', btcSharePpm: 0n }).collateralCorrelation).toBe(-1);
    expect(
      labProfile({ side: 'long', collateral: 'mixed', btcSharePpm: 400_000n }).collateralCorrelation,
    ).toBe(0.4);
    expect(labProfile({ side: 'long', collateral: 'USDC', btcSharePpm: 0n }).collateralCorrelation).toBe(0);
    const p = personalizedPolicy();
    // 0.25 × 1 = +25 % of IM, one part, explained
    const e = p.explain({ side: 'long', collateral: 'BTC', btcSharePpm: 0n });
    expect(e.addOnPpm).toBe(250_000);
    expect(e.parts.map((x) => x.name)).toEqual(['wrong-way collateral']);
  });

  it('opening: accounts with no add-on get the same position as under static-low; wrong-way longs get smaller ones', () => {
    const intents = drawTraders({ ...LAB_POPULATION_SPEC, accounts: 200, seed: 42 });
    const ctx = { openPrice: '60000', startMs: Date.UTC(2025, 0, 1) };
    const opts = { openPrice: '60000', timeMs: ctx.startMs };
    const personal = personalizedPolicy();
    const base = materialize(intents, venueFor(staticPolicy('static-low', '0.04', '0.02'), ctx), opts);
    const pers = materialize(intents, venueFor(personal, ctx), {
      ...opts,
      initialAddOnPpm: (i) => personal.initialAddOnPpm!(i),
    });
    let wrongWay = 0;
    let smaller = 0;
    intents.forEach((intent, k) => {
      const a = base.traders[k]!;
      const b = pers.traders[k]!;
      const addOn = personal.initialAddOnPpm!(intent);
      if (addOn === 0) expect(b.size).toBe(a.size);
      else {
        wrongWay++;
        expect(Number(b.size)).toBeLessThanOrEqual(Number(a.size));
        if (Number(b.size) < Number(a.size)) smaller++;
      }
    });
    expect(wrongWay).toBeGreaterThan(0);
    expect(smaller).toBeGreaterThan(0);
  });
});
