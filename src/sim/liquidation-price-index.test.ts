/**
 * The liquidation-price index finds exactly the scopes the engine's own O(all accounts) scan
 * (`engine.liquidatable()`) finds, at every price point of a real crash, while only
 * evaluating the index hits and the exact set.
 */
import { describe, expect, it } from 'vitest';
import { Engine } from '../core/engine/engine.ts';
import { LiquidationPriceIndex } from '../riskbook/liquidation-price-index.ts';
import { loadCrashKlines } from './data/crashes.ts';
import { klinePath } from './data/klines.ts';
import { demoPopulation } from './population.ts';
import { BASE_ASSET, MARKET } from './venue.ts';

const scopeId = (key: string, scope: { kind: string; market?: string }) =>
  `${key}|${scope.kind === 'cross' ? 'cross' : `isolated:${scope.market}`}`;

describe('LiquidationPriceIndex', () => {
  it('agrees_with_the_engine_full_scan_at_every_price_point', () => {
    const klines = loadCrashKlines('2021-05-19');
    const first = klines[0]!;
    const pop = demoPopulation({
      accounts: 250,
      seed: 7,
      openPrice: first.open,
      timeMs: first.openTimeMs,
    });
    const engine = Engine.create(pop.config);
    for (const c of pop.setup) engine.executeOrThrow(c);
    const watch = new LiquidationPriceIndex(engine);
    let checked = 0;
    let liquidated = 0;
    for (const k of klines) {
      klinePath(k).forEach((px, i) => {
        const timeMs = k.openTimeMs + i * 10_000;
        engine.executeOrThrow({
          type: 'prices',
          timeMs,
          marks: { [MARKET]: px },
          assets: { [BASE_ASSET]: px },
        });
        for (let round = 0; round < 50; round++) {
          const fromWatch = watch.candidates().map((c) => scopeId(c.subKey, c.scope));
          const fromScan = engine
            .liquidatable()
            .map((x) => scopeId(`${x.ref.account}/${x.ref.sub}`, x.scope));
          expect(new Set(fromWatch)).toEqual(new Set(fromScan));
          checked++;
          if (fromWatch.length === 0) break;
          for (const c of watch.candidates()) {
            const r = engine.execute({ type: 'liquidate', ...c.command, timeMs });
            if (r.ok) liquidated++;
          }
        }
      });
    }
    expect(checked).toBeGreaterThan(500);
    expect(liquidated).toBeGreaterThan(50);
    expect(engine.liquidatable()).toEqual([]);
    // The index did the work: far fewer exact evaluations than a scan of every scope per check.
    expect(watch.stats.indexedScopes).toBeGreaterThan(0);
    expect(watch.stats.exactEvaluations).toBeLessThan(checked * 250);
  });

  it('indexes_usdc_only_single_position_scopes_and_checks_btc_collateral_exactly', () => {
    const pop = demoPopulation({ accounts: 100, seed: 3, openPrice: '60000', timeMs: 1 });
    const engine = Engine.create(pop.config);
    for (const c of pop.setup) engine.executeOrThrow(c);
    const watch = new LiquidationPriceIndex(engine);
    watch.refresh();
    const btcHolders = pop.traders.filter((t) => t.collateral === 'BTC').length;
    // Market makers and traders on BTC collateral: exact set; the backstop holds no position yet.
    expect(watch.stats.exactScopes).toBe(btcHolders);
    // Every other scope is in the index, or provably never liquidatable (over-collateralized market makers).
    const { indexedScopes, exactScopes, neverLiquidatable } = watch.stats;
    expect(indexedScopes + exactScopes + neverLiquidatable).toBe(
      pop.traders.length + pop.marketMakers.length,
    );
    expect(indexedScopes).toBeGreaterThan(pop.traders.length - btcHolders - pop.marketMakers.length);
  });
});
