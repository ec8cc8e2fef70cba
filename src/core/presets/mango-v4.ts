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
 * mangoHealth's. Liability weights above 100% are not expressible (engineGaps).
 */

import type { MarketConfigInput } from '../model/config.ts';
import type { EngineConfigInput } from '../model/engine-config.ts';
import { add, cmp, div, min, mul, ONE, type Rational, ratOf, sub, ZERO } from './rational.ts';
import type { VenuePreset } from './types.ts';

export type HealthType = 'init' | 'maint';

export interface MangoToken {
  /** Native balance (may be negative = borrow). */
  readonly balance: Rational;
  readonly price: Rational;
  readonly initAssetWeight: Rational;
  readonly initLiabWeight: Rational;
  readonly maintAssetWeight: Rational;
  readonly maintLiabWeight: Rational;
  /** Init-health weight scaling by the bank's total deposits / borrows (native). */
  readonly bank?: {
    readonly deposits: Rational;
    readonly borrows: Rational;
    readonly depositWeightScaleStartQuote?: Rational;
    readonly borrowWeightScaleStartQuote?: Rational;
  };
}

export interface MangoPerp {
  readonly baseLots: bigint;
  readonly baseLotSize: bigint;
  /** Quote position, native settle-token units. */
  readonly quote: Rational;
  readonly price: Rational;
  readonly bidsLots?: bigint;
  readonly asksLots?: bigint;
  readonly initBaseAssetWeight: Rational;
  readonly initBaseLiabWeight: Rational;
  readonly maintBaseAssetWeight: Rational;
  readonly maintBaseLiabWeight: Rational;
  readonly initOverallAssetWeight: Rational;
  readonly maintOverallAssetWeight: Rational;
}

function tokenHealth(t: MangoToken, type: HealthType): Rational {
  const value = mul(t.balance, t.price);
  if (cmp(t.balance, ZERO) >= 0) {
    let w = type === 'init' ? t.initAssetWeight : t.maintAssetWeight;
    const start = t.bank?.depositWeightScaleStartQuote;
    if (type === 'init' && t.bank && start) {
      const deposits = mul(t.bank.deposits, t.price);
      if (cmp(deposits, start) > 0) w = mul(w, div(start, deposits));
    }
    return mul(value, w);
  }
  let w = type === 'init' ? t.initLiabWeight : t.maintLiabWeight;
  const start = t.bank?.borrowWeightScaleStartQuote;
  if (type === 'init' && t.bank && start) {
    const borrows = mul(t.bank.borrows, t.price);
    if (cmp(borrows, start) > 0) w = mul(w, div(borrows, start));
  }
  return mul(value, w);
}

/** Health of one perp position in the worse of "bids fill" / "asks fill", haircut when positive. */
export function mangoPerpHealth(p: MangoPerp, type: HealthType): Rational {
  const lot = (lots: bigint) => mul({ n: lots * p.baseLotSize, d: 1n }, p.price);
  const aw = type === 'init' ? p.initBaseAssetWeight : p.maintBaseAssetWeight;
  const lw = type === 'init' ? p.initBaseLiabWeight : p.maintBaseLiabWeight;
  const health = (baseLots: bigint, quote: Rational) =>
    add(mul(lot(baseLots), baseLots >= 0n ? aw : lw), quote);
  const bids = p.bidsLots ?? 0n;
  const asks = p.asksLots ?? 0n;
  const bidsFill = health(p.baseLots + bids, sub(p.quote, lot(bids)));
  const asksFill = health(p.baseLots - asks, add(p.quote, lot(asks)));
  const worst = min(bidsFill, asksFill);
  if (cmp(worst, ZERO) <= 0) return worst;
  return mul(worst, type === 'init' ? p.initOverallAssetWeight : p.maintOverallAssetWeight);
}

/** Account health (module header): liquidatable when maint health < 0. */
export function mangoHealth(
  type: HealthType,
  tokens: readonly MangoToken[],
  perps: readonly MangoPerp[],
): Rational {
  let h = ZERO;
  for (const t of tokens) h = add(h, tokenHealth(t, type));
  for (const p of perps) h = add(h, mangoPerpHealth(p, type));
  return h;
}

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
      // Mango's health tests (mock_bank_and_oracle(…, 0.5, 0.3)): init asset 0.5, maint asset 0.7.
      { id: 'SOL', decimals: 9, initialWeight: '0.5', maintenanceWeight: '0.7' },
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
      rule: 'Token borrows are weighted above 100% (maint/init liability weights), and init weights scale with the bank’s total deposits / borrows.',
      implementedBy: 'mangoHealth',
      engineNeeds:
        'liability weights on negative non-settlement balances and size-scaled init weights by venue-wide totals',
    },
    {
      rule: 'Open orders count in the worse of "all bids fill" and "all asks fill".',
      implementedBy: 'mangoPerpHealth (bidsLots/asksLots)',
      engineNeeds: 'open orders in the account state (the engine has only positions)',
    },
  ],
};
