/**
 * Mango v4: health-based cross margin.
 *
 *     health = Σ tokens  balance × price × (balance ≥ 0 ? assetWeight : liabWeight)
 *            + Σ perps   perpHealth,   perpHealth = base × price × (base ≥ 0 ? baseAssetWeight : baseLiabWeight) + quote,
 *                        positive perp health × overallAssetWeight (unsettled pnl is haircut; negative is not)
 *
 * with separate init and maint weights (init for opening, maint for liquidation:
 * an account is liquidatable when maint health < 0). For the init health, asset
 * weights shrink when the bank's deposits are above `depositWeightScaleStartQuote`
 * (× scaleStart / (deposits × price)) and liability weights grow when its borrows
 * are above `borrowWeightScaleStartQuote`; a perp's open bids and asks are
 * evaluated in the worse of "all bids fill" and "all asks fill".
 *
 * In Plimsoll's terms, with symmetric perp weights (liab = 2 − asset) a perp is the
 * `fixed` margin model with ratio 1 − baseAssetWeight (init → IM, maint → MM), a
 * token is a collateral asset with Mango's asset weights, and maint health < 0 is
 * equity < MM. The overall-asset-weight haircut on positive perp health is the
 * market's `positiveHealthWeight` (account/pnl-haircut.ts: positive uPnL − MM, resp.
 * − IM, counts at the maint / init overall weight), so the engine's maint health is
 * Mango's (checked against mangoHealth, the tests' reference in reference/mango-v4.ts).
 * Token borrows count at the asset's liabilityWeight (above 100%); the init weights scaled by
 * the bank's venue-wide totals are the asset's `initWeightScaling` (collateral/bank-totals.ts).
 */

import type { MarketConfigInput } from '../model/config.ts';
import type { EngineConfigInput } from '../model/engine-config.ts';
import { cmp, ONE, type Rational, ratOf, sub } from './rational.ts';
import type { VenuePreset } from './types.ts';

/** Mango perp-market weights (decimal strings). */
export interface MangoPerpWeights {
  readonly initBaseAssetWeight: string;
  readonly initBaseLiabWeight: string;
  readonly maintBaseAssetWeight: string;
  readonly maintBaseLiabWeight: string;
  /** Overall asset weights of positive perp health (unsettled pnl haircut); absent: counted in full. */
  readonly initOverallAssetWeight?: string;
  readonly maintOverallAssetWeight?: string;
}

/**
 * A Mango perp market as Plimsoll's fixed margin model: IM ratio = 1 − init base
 * asset weight, MM ratio = 1 − maint base asset weight. Requires symmetric weights.
 */
export function mangoPerpMarket(
  id: string,
  base: string,
  w: MangoPerpWeights,
  stepSize = '0.01',
): MarketConfigInput {
  const one = ONE;
  const im = sub(one, ratOf(w.initBaseAssetWeight));
  const mm = sub(one, ratOf(w.maintBaseAssetWeight));
  if (
    cmp(sub(ratOf(w.initBaseLiabWeight), one), im) !== 0 ||
    cmp(sub(ratOf(w.maintBaseLiabWeight), one), mm) !== 0
  )
    throw new RangeError(`${id}: liability weights must be 2 − asset weights to map onto a margin ratio`);
  const text = (r: Rational) => {
    const ppm = (r.n * 1_000_000n) / r.d;
    return `${ppm / 1_000_000n}.${(ppm % 1_000_000n).toString().padStart(6, '0')}`;
  };
  return {
    id,
    kind: 'perpetual',
    base,
    stepSize,
    tickSize: '0.00000001',
    margin: { kind: 'fixed', initialRatio: text(im), maintenance: { ratio: text(mm) } },
    ...(w.initOverallAssetWeight !== undefined && w.maintOverallAssetWeight !== undefined
      ? {
          positiveHealthWeight: {
            initial: w.initOverallAssetWeight,
            maintenance: w.maintOverallAssetWeight,
          },
        }
      : {}),
    takerFee: '0.0004',
    makerFee: '0',
  };
}

/** Weights of Mango's health tests (mock_perp_market base weights (0.2, 0.1)); load the group's real ones. */
export const MANGO_TEST_PERP_WEIGHTS: MangoPerpWeights = {
  initBaseAssetWeight: '0.8',
  initBaseLiabWeight: '1.2',
  maintBaseAssetWeight: '0.9',
  maintBaseLiabWeight: '1.1',
  // test_health1's perp overall asset weights (init 0.95, maint 0.98)
  initOverallAssetWeight: '0.95',
  maintOverallAssetWeight: '0.98',
};

export function mangoConfig(): EngineConfigInput {
  return {
    settlementAsset: 'USDC',
    assets: [
      { id: 'USDC', decimals: 6 },
      // Mango's health tests (mock_bank_and_oracle(…, 0.5, 0.3)): init asset 0.5, maint asset 0.7;
      // a SOL borrow (`borrow … asset: 'SOL'`) at init liability 1.5, maint 1.3.
      {
        id: 'SOL',
        decimals: 9,
        initialWeight: '0.5',
        maintenanceWeight: '0.7',
        liabilityWeight: { initial: '1.5', maintenance: '1.3' },
        // test_health1 cases 10 and 11 give this mock bank (token 4, $5, weights 0.5 / 0.3)
        // deposit_weight_scale_start_quote = borrow_weight_scale_start_quote = 5,000; load the
        // group's real ones. Init weights only: 0.5 × 5,000 / deposits value, 1.5 × borrows value / 5,000.
        initWeightScaling: { depositScaleStartQuote: '5000', borrowScaleStartQuote: '5000' },
      },
    ],
    markets: [mangoPerpMarket('SOL-PERP', 'SOL', MANGO_TEST_PERP_WEIGHTS)],
  };
}

export const mangoV4: VenuePreset = {
  id: 'mango-v4',
  name: 'Mango v4',
  kind: 'perpetuals',
  summary:
    'Health-based cross margin: tokens and perps weighted by separate init/maint asset and liability weights; liquidatable when maint health < 0.',
  formula:
    'health = Σ balance·price·(asset or liab weight) + Σ perp (base·price·(base asset or liab weight) + quote; positive × overall asset weight); liquidatable when maint health < 0',
  sources: [
    {
      title:
        'blockworks-foundation/mango-v4 programs/mango-v4/src/health (cache.rs; tests test_health0/test_health1)',
      url: 'https://github.com/blockworks-foundation/mango-v4/tree/main/programs/mango-v4/src/health',
    },
  ],
  config: mangoConfig,
  engineGaps: [
    {
      rule: 'Open orders count in the worse of "all bids fill" and "all asks fill" in maint health too, so resting orders can make an account liquidatable.',
      implementedBy: 'mangoPerpHealth, bidsLots/asksLots (test reference, reference/mango-v4.ts)',
      engineNeeds:
        'orders in the maintenance figures: the engine reserves resting orders in initial margin only (the worse side, account/open-orders.ts); maintenance and liquidation never see them',
    },
  ],
};
