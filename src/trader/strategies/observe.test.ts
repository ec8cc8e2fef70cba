/**
 * Strategies on the presets' own figures: the Aave example account (examples/liq-price-aave.json)
 * and the Hyperliquid example venue (examples/clearing/hyperliquid.json), amounts by hand.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readVenueExport } from '../venue-export.ts';
import { BandRebalancer } from './band-rebalancer.ts';
import { observeLending, observePerp } from './observe.ts';

describe('observations from the presets', () => {
  it('aave_account_repays_to_the_target_health_factor', () => {
    // 10 WETH at 3,000 (LT 0.83 on the aave-v3 preset), 20,000 USDC debt: HF 24,900/20,000 = 1.245.
    const obs = observeLending({
      collateral: { WETH: '10' },
      prices: { WETH: '3000' },
      debt: '20000',
      reserve: '50000',
      timeMs: 0,
    });
    expect(obs).toMatchObject({
      collateralValue: 30_000_000_000n,
      liquidationThresholdPpm: 830_000n,
      debt: 20_000_000_000n,
    });
    const s = new BandRebalancer({
      account: 'lending',
      triggerPpm: 1_300_000n,
      targetPpm: 1_500_000n,
      cooldownMs: 0,
      minAction: 0n,
    });
    // r = 20,000 − 24,900/1.5 = 3,400 USDC.
    expect(s.decide(obs).actions).toEqual([{ kind: 'repay', amount: 3_400_000_000n }]);
  });

  it('hyperliquid_venue_tops_up_to_the_target_margin_ratio', () => {
    const book = readVenueExport(JSON.parse(readFileSync('examples/clearing/hyperliquid.json', 'utf8')));
    const obs = observePerp(book, 'ETH', '10000', 0);
    // Equity 2,000, MM 2% × 30,000 = 600 → ratio 30%. Trigger 25%, target 10%: 600/0.1 − 2,000 = 4,000.
    expect(obs).toMatchObject({ equity: 2_000_000_000n, maintenanceMargin: 600_000_000n });
    expect(obs.position).toMatchObject({ side: 'long', takerFeePpm: 450n });
    const s = new BandRebalancer({
      account: 'perp',
      triggerPpm: 250_000n,
      targetPpm: 100_000n,
      cooldownMs: 0,
      minAction: 0n,
    });
    expect(s.decide(obs).actions).toEqual([{ kind: 'top_up', amount: 4_000_000_000n }]);
  });
});
