import { describe, expect, it } from 'vitest';
import { crossView, evaluate } from '../../core/account/figures.ts';
import { Engine } from '../../core/engine/engine.ts';
import { subaccountKey } from '../../core/model/state.ts';
import { cryptoPmPreset } from '../../core/portfolio/index.ts';
import { BASE_ASSET, MARKET, SETTLEMENT } from '../venue.ts';
import { runComparison } from './compare.ts';
import { staticPolicy, venueFor } from './policies.ts';
import { linearRatios, portfolioPolicy, subaccountPortfolioMargin } from './portfolio-policy.ts';

const S = '60000';
const T0 = Date.UTC(2025, 0, 1);

/** A lab venue under `policy` with a hedged and a naked trader at 60,000. */
function venue(policy: ReturnType<typeof staticPolicy>) {
  const engine = Engine.create(venueFor(policy, { openPrice: S, startMs: T0 }));
  const hedged = { account: 'hedged', sub: '0' };
  const naked = { account: 'naked', sub: '0' };
  const mm = { account: 'mm', sub: '0' };
  for (const c of [
    { type: 'prices', timeMs: T0, marks: { [MARKET]: S }, assets: { [BASE_ASSET]: S } },
    { type: 'deposit', to: hedged, asset: BASE_ASSET, amount: '1', timeMs: T0 },
    { type: 'deposit', to: naked, asset: SETTLEMENT, amount: '20000', timeMs: T0 },
    { type: 'deposit', to: mm, asset: SETTLEMENT, amount: '1000000', timeMs: T0 },
    { type: 'fill', market: MARKET, buyer: mm, seller: hedged, size: '0.9', price: S, timeMs: T0 },
    { type: 'fill', market: MARKET, buyer: naked, seller: mm, size: '1', price: S, timeMs: T0 },
  ] as const)
    engine.executeOrThrow(c);
  return engine;
}

describe('portfolio policy', () => {
  it('linear_book_ratio_is_the_presets_price_range', () => {
    // crypto-pm: price range ±16 %, extended moves dampened to the same weighted loss, delta floor
    // 2 % of net delta, MM = ½ IM. One linear BTC position: IM = 16 % of notional, MM = 8 %.
    expect(linearRatios(cryptoPmPreset(), 60_000, T0)).toEqual({
      initialRatio: '0.16',
      maintenanceRatio: '0.08',
    });
    const p = portfolioPolicy();
    const cfg = p.configFor({ marketId: MARKET, baseMarket: {} as never, openPrice: S, startMs: T0 });
    expect(cfg.margin).toEqual({ kind: 'fixed', initialRatio: '0.16', maintenance: { ratio: '0.08' } });
  });

  it('hedged_account_requires_less_than_static_naked_does_not', () => {
    const engine = venue(staticPolicy('static-low', '0.04', '0.02'));
    const key = subaccountKey({ account: 'hedged', sub: '0' });
    const staticIm = (k: string) =>
      Number(evaluate(engine.state, crossView(engine.state.subaccounts.get(k)!)).initialMarginQuote) / 1e6;
    // Static (engine): 4 % of the 0.9 BTC short's notional (54,000) = 2,160 USDC.
    expect(staticIm(key)).toBeCloseTo(2_160, 6);
    // Scenario revaluation of {+1 BTC held, −0.9 BTC perp}: net delta 0.1 BTC.
    //   scan  = 0.16 × 0.1 × 60,000 = 960;  floor = (0.02 × 0.1 + 0.01 × min(1, 0.9)) × 60,000 = 660.
    //   IM    = max(960, 660) = 960 USDC  (< 2,160: the hedge gets credit).
    const pm = subaccountPortfolioMargin(engine.state, key, cryptoPmPreset())!;
    expect(pm.initialMargin).toBeCloseTo(960, 6);
    expect(pm.initialMargin).toBeLessThan(staticIm(key));
    // A naked 1 BTC long: 0.16 × 60,000 = 9,600 against static's 2,400 — no credit without a hedge.
    const naked = subaccountPortfolioMargin(
      engine.state,
      subaccountKey({ account: 'naked', sub: '0' }),
      cryptoPmPreset(),
    )!;
    expect(naked.initialMargin).toBeCloseTo(9_600, 6);
    expect(staticIm(subaccountKey({ account: 'naked', sub: '0' }))).toBeCloseTo(2_400, 6);
  });

  it('the_comparison_reports_the_account_level_requirement_of_hedged_traders', () => {
    const cmp = runComparison({
      crash: '2021-05-19',
      accounts: 60,
      seed: 2,
      fromMs: Date.parse('2021-05-19T12:00:00Z'),
      toMs: Date.parse('2021-05-19T12:30:00Z'),
      policies: [staticPolicy('static-low', '0.04', '0.02'), portfolioPolicy()],
      spec: { hedgedShare: 0.2 },
    });
    const [low, pm] = cmp.rows;
    expect(low!.capitalEfficiency.accountLevel).toBeUndefined();
    const a = pm!.capitalEfficiency.accountLevel!;
    expect(pm!.population.hedged).toBeGreaterThan(0);
    expect(a.hedged.traders).toBe(pm!.population.hedged);
    // Engine: 16 % of their short notional; the scenarios: a small net delta → far less.
    expect(a.hedged.accountIm).toBeLessThan(a.hedged.engineIm / 2);
    // The engine enforces it: the hedged traders take its portfolio mode (it lowers their IM).
    expect(a.portfolioAccounts).toBeGreaterThanOrEqual(pm!.population.hedged);
    expect(pm!.conservation.ok).toBe(true);
  });
});
