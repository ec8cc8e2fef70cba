/**
 * Margin policies for the risk lab: each is a pluggable engine configuration of
 * the lab venue's BTC-PERP market, optionally re-parameterized as the run goes.
 *
 * - `configFor(context)` gives the market's margin model (and, optionally, the
 *   liquidation policy) at the start of a run; the population is opened under it.
 * - `onTick(tick)` (optional) is called once per simulated minute, before the
 *   minute's first price, with what a forecaster may look at (exogenous price so
 *   far, mark, realized volatility, the book model's depth). Returning an update
 *   makes the simulator send `set_market` (the market's config with the update
 *   merged in) and/or `set_policy` — ordinary operator commands, journaled like
 *   any other. Dynamic and predictive policies plug in here.
 *
 * Built in: `staticPolicy` (fixed ratios) and `tieredPolicy` (Binance's BTCUSDT
 * brackets, the demo venue's market); `DEFAULT_POLICIES` is the comparison set.
 *
 * @example
 * const calm: MarginPolicy = {
 *   name: 'vol-scaled',
 *   configFor: () => ({ margin: { kind: 'fixed', initialRatio: '0.04', maintenance: { ratio: '0.02' } } }),
 *   onTick: (t) => t.realizedVolPerMin > 0.003
 *     ? { market: { margin: { kind: 'fixed', initialRatio: '0.1', maintenance: { ratio: '0.05' } } } }
 *     : undefined,
 * };
 */

import type { BookCurves } from '../../analytics/liquidity/depth-model.ts';
import type { MarginModelConfigInput, MarketConfigInput } from '../../core/model/config.ts';
import type { EngineConfigInput, LiquidationPolicySchema } from '../../core/model/engine-config.ts';
import type { ReadonlyEngineState } from '../../core/model/state.ts';
import { demoVenueConfig, MARKET } from '../venue.ts';

export type LiquidationPolicyInput = import('zod').input<typeof LiquidationPolicySchema>;

/** What a policy knows when the run starts. */
export interface PolicyContext {
  readonly marketId: string;
  /** The venue's market as configured before the policy applies (demo venue: Binance brackets). */
  readonly baseMarket: MarketConfigInput;
  /** Opening price, decimal string. */
  readonly openPrice: string;
  readonly startMs: number;
}

/** What a policy sees once a minute (floats: it is information, not money). */
export interface PolicyTick {
  readonly timeMs: number;
  /** Minutes since the start of the run. */
  readonly minute: number;
  /** Last exogenous price and the engine's current mark (exogenous × book displacement). */
  readonly exogenousPx: number;
  readonly markPx: number;
  /** Realized volatility of the exogenous path per √minute (the book model's estimate). */
  readonly realizedVolPerMin: number;
  /** Depth curves in force (after scale, thinning, gap). */
  readonly book: BookCurves;
  /** Open interest (one side), base units. */
  readonly openInterestBase: number;
  /** The market config currently in force. */
  readonly market: MarketConfigInput;
}

/** An update: market fields merged into the current config (→ `set_market`), and/or a liquidation policy (→ `set_policy`). */
export interface PolicyUpdate {
  readonly market?: Partial<Omit<MarketConfigInput, 'id' | 'kind' | 'base'>>;
  readonly liquidation?: LiquidationPolicyInput;
}

export interface MarginPolicy {
  readonly name: string;
  readonly description?: string;
  configFor(context: PolicyContext): {
    readonly margin: MarginModelConfigInput;
    readonly liquidation?: LiquidationPolicyInput;
    /**
     * The engine's portfolio margin model (engine config `portfolio`). With it, every trader is
     * offered portfolio mode after opening (`set_portfolio_margin`), and the engine accepts the
     * switch only where it does not leave the account short of initial margin — opt-in, as on a
     * venue: hedged accounts take it, a BTC-collateral long (whose coin and perpetual add up in
     * the scenarios) keeps the per-position model.
     */
    readonly portfolio?: EngineConfigInput['portfolio'];
  };
  onTick?(tick: PolicyTick): PolicyUpdate | undefined;
  /**
   * Optional: the policy's own *account-level* initial requirement of a subaccount (quote units,
   * float screening figure), where it differs from what the engine's per-market model can
   * charge (portfolio margin's hedge credit). The simulator reports Σ of it at the start beside
   * the engine's IM; it does not change what the engine enforces.
   */
  accountInitialMargin?(state: ReadonlyEngineState, subaccountKey: string): number | undefined;
  /**
   * Optional: a per-trader add-on to the initial requirement (ppm of it) applied when the
   * population opens under this policy (personalized margin, ./personal-policy.ts).
   */
  initialAddOnPpm?(intent: import('../population.ts').TraderIntent): number;
}

/** Fixed ratios: IM = notional × initial, MM = notional × maintenance (decimal fractions). */
export function staticPolicy(name: string, initialRatio: string, maintenanceRatio: string): MarginPolicy {
  return {
    name,
    description: `fixed IM ${pct(initialRatio)} / MM ${pct(maintenanceRatio)}`,
    configFor: () => ({
      margin: { kind: 'fixed', initialRatio, maintenance: { ratio: maintenanceRatio } },
    }),
  };
}

/** The base market's own margin (the demo venue: Binance's BTCUSDT leverage brackets). */
export function tieredPolicy(name = 'tiered-binance'): MarginPolicy {
  return {
    name,
    description: 'Binance BTCUSDT brackets (MM 0.4% → 50%, IM 1/max leverage)',
    configFor: (ctx) => ({ margin: ctx.baseMarket.margin }),
  };
}

/** The comparison set: static low (2 % / 4 %), Binance-like tiers, static conservative (5 % / 10 %). */
export const DEFAULT_POLICIES: readonly MarginPolicy[] = Object.freeze([
  staticPolicy('static-low', '0.04', '0.02'),
  tieredPolicy(),
  staticPolicy('static-conservative', '0.1', '0.05'),
]);

/** The demo venue with `policy` applied to its BTC-PERP market (and liquidation policy, if given). */
export function venueFor(policy: MarginPolicy, ctx: Omit<PolicyContext, 'marketId' | 'baseMarket'>) {
  const venue = demoVenueConfig();
  const base = venue.markets!.find((m) => m.id === MARKET)!;
  const cfg = policy.configFor({ ...ctx, marketId: MARKET, baseMarket: base });
  return {
    ...venue,
    markets: venue.markets!.map((m) => (m.id === MARKET ? { ...m, margin: cfg.margin } : m)),
    ...(cfg.liquidation !== undefined ? { liquidation: cfg.liquidation } : {}),
    ...(cfg.portfolio !== undefined ? { portfolio: cfg.portfolio } : {}),
  };
}

function pct(ratio: string): string {
  return `${Number(ratio) * 100}%`;
}
