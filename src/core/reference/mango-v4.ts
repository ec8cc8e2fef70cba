/**
 * Mango v4's account health (programs/mango-v4/src/health, cache.rs), re-implemented exactly on
 * rationals as an independent check of the engine: a test reference only.
 *
 *     health = Σ tokens  balance × price × (balance ≥ 0 ? assetWeight : liabWeight)
 *            + Σ perps   perpHealth,   perpHealth = base × price × (base ≥ 0 ? baseAssetWeight : baseLiabWeight) + quote,
 *                        positive perp health × overallAssetWeight (unsettled pnl is haircut; negative is not)
 *
 * with separate init and maint weights (an account is liquidatable when maint health < 0). For
 * the init health, asset weights shrink when the bank's deposits are above
 * `depositWeightScaleStartQuote` (× scaleStart / (deposits × price)) and liability weights grow
 * when its borrows are above `borrowWeightScaleStartQuote`; a perp's open bids and asks are
 * evaluated in the worse of "all bids fill" and "all asks fill".
 *
 * The engine computes the same health on the mango-v4 preset (presets/mango-v4.ts: perps as the
 * `fixed` model, the overall asset weight as `positiveHealthWeight`); the tests check both
 * against Mango's `test_health1` cases (test/vectors/mango_v4_health.json) and each other.
 * The engine executes the liability weights (asset `liabilityWeight`), the deposit/borrow weight
 * scaling (asset `initWeightScaling`, collateral/bank-totals.ts) and open orders (resting orders).
 *
 * Source: https://github.com/blockworks-foundation/mango-v4/tree/main/programs/mango-v4/src/health
 */
import { add, cmp, div, min, mul, type Rational, sub, ZERO } from '../presets/rational.ts';

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
