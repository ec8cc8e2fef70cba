/**
 * Engine-wide configuration: the settlement asset, collateral assets, markets,
 * the liquidation policy and input guards. Validated with zod; decimal strings in.
 */
import { z } from 'zod';
import { parseDecimal, QTY_DECIMALS } from '../num/index.ts';
import { decimalAt, id, ratioPpm } from '../num/schema.ts';
import { OracleConfigSchema } from '../oracle/config.ts';
import { DeribitModelParamsSchema, deribitPublishedParams } from '../portfolio/deribit-pm.ts';
import { PortfolioMarginConfigSchema } from '../portfolio/scenarios.ts';
import { AssetConfigSchema, type MarketConfig, MarketConfigSchema, marketIssue } from './config.ts';
import { portfolioScopeIssue } from './deribit-scope-check.ts';
import { marginArithmeticIssue } from './drift-grid.ts';

/** Engine configuration of portfolio margin (subaccounts opt in with `set_portfolio_margin`). */
export const EnginePortfolioSchema = z.object({
  /**
   * A preset ('crypto-pm', 'paradex-pm', 'span-16') or a full scenario configuration; or
   * 'deribit-pm', Deribit's 2024 model (portfolio/deribit-pm.ts), the one that states a
   * coin-settled (inverse) book's requirement in the coin (account/portfolio-deribit.ts).
   */
  model: z
    .union([z.enum(['crypto-pm', 'paradex-pm', 'span-16', 'deribit-pm']), PortfolioMarginConfigSchema])
    .default('crypto-pm'),
  /** With 'deribit-pm': Deribit's `model_params` block (absent: deribitPublishedParams()). */
  deribitParams: DeribitModelParamsSchema.optional(),
  /** Volatility (per √year) for an option whose mark implies none. */
  fallbackVol: z.number().positive().max(10).default(0.8),
});
export type EnginePortfolio = z.output<typeof EnginePortfolioSchema>;

/** What keeps an engine's portfolio model from margining its markets (model/deribit-scope-check.ts). */
export function enginePortfolioIssue(
  p: EnginePortfolio,
  settlementId: string,
  markets: readonly MarketConfig[],
): string | undefined {
  const params = p.model === 'deribit-pm' ? (p.deribitParams ?? deribitPublishedParams()) : undefined;
  return portfolioScopeIssue(p.model, params, settlementId, markets);
}

export const SubaccountRefSchema = z.object({ account: id, sub: id.default('0') });
export type SubaccountRef = z.output<typeof SubaccountRefSchema>;

/** Liquidation policy (LiquidationPolicy in DESIGN §5). Ratios are fractions of the closed notional. */
export const LiquidationPolicySchema = z
  .object({
    /**
     * How much one step closes: the least size that restores the target (default), or a fixed
     * fraction of positions whose notional exceeds `aboveNotional` (Hyperliquid: 20% above
     * 100,000 USDC), in full when smaller or when a partial step happened within `cooldownMs`.
     */
    sizing: z
      .discriminatedUnion('kind', [
        z.object({ kind: z.literal('restore_target') }),
        z.object({
          kind: z.literal('fraction'),
          fraction: ratioPpm('fraction', 1_000_000n).refine((v) => v > 0n, 'fraction must be > 0'),
          aboveNotional: z.string(),
          cooldownMs: z.number().int().min(0),
        }),
      ])
      .default({ kind: 'restore_target' }),
    /**
     * Backstop takeover (Hyperliquid's backstop liquidation): when equity falls below this share
     * of MM (and the scope is not bankrupt), the backstop liquidator takes every position of the
     * scope at the mark together with all of its collateral. Absent = never.
     */
    backstopBelowMaintenanceShare: ratioPpm('backstopBelowMaintenanceShare', 1_000_000n).optional(),
    /**
     * What a partial liquidation restores: MM × (1 + targetBuffer), IM, or (Drift v2's
     * liquidation_margin_buffer_ratio) MM + targetBuffer × the positions' value at the mark.
     */
    target: z
      .enum(['maintenance_buffer', 'initial', 'maintenance_plus_notional'])
      .default('maintenance_buffer'),
    targetBuffer: ratioPpm('targetBuffer').prefault('0.1'),
    /** A position whose remaining notional would be below this (quote, decimal) is closed in full. */
    dustNotional: z.string().default('10'),
    /** Penalty (fill discount + insurance fee) grows from min to max as equity falls from MM to 0. */
    minPenalty: ratioPpm('minPenalty', 500_000n).prefault('0.005'),
    maxPenalty: ratioPpm('maxPenalty', 500_000n).prefault('0.02'),
    /**
     * The penalty never takes more than this share of the maintenance margin the step
     * releases, so each partial step improves health by at least the rest (and a
     * target above MM stays reachable even where the penalty rate exceeds the MM rate).
     */
    maxPenaltyShareOfReleasedMargin: ratioPpm('maxPenaltyShareOfReleasedMargin', 1_000_000n).prefault('0.5'),
    /** Share of the penalty paid to the liquidator as a price discount; the rest goes to the insurance fund. */
    liquidatorShare: ratioPpm('liquidatorShare', 1_000_000n).prefault('0.5'),
    /** Cap on the insurance-fund part of the penalty per step (quote, decimal); absent = no cap. */
    maxInsuranceFeePerStep: z.string().optional(),
    /** Per-window caps on partial liquidations (quote notional, decimal); bankrupt accounts are exempt. */
    windowMs: z.number().int().positive().default(60_000),
    maxAccountNotionalPerWindow: z.string().optional(),
    maxMarketNotionalPerWindow: z.string().optional(),
    /**
     * Cap on the insurance fund's losses (cover paid) per subaccount per window (dYdX's
     * SubaccountBlockLimits.MaxQuantumsInsuranceLost, a block = `windowMs`; quote, decimal). A
     * dYdX step that would pay more waits for the next window (LIQUIDATION_CAP_REACHED) — or, for
     * a bankrupt scope, goes to the waterfall, whose fund cover the cap also limits, the rest
     * deleveraged. Absent = no cap.
     */
    maxInsuranceLossPerWindow: z
      .string()
      .regex(/^\d{1,30}(\.\d{1,18})?$/, 'maxInsuranceLossPerWindow must be a non-negative decimal')
      .optional(),
    /**
     * Where a bankrupt scope's deficit that insurance and ADL could not absorb goes: the
     * socialized-loss ledger (default), or (Drift v2) the open positions on the side opposite
     * to the bankrupt position in its market, pro rata to size, through the funding index
     * (a `loss_socialized` event); with no opposing position it falls back to the ledger.
     */
    socializeVia: z.enum(['ledger', 'funding_index']).default('ledger'),
    /**
     * With `funding_index`: who pays — the side opposite to the bankrupt position (default), or
     * every other open position of the market, long and short, pro rata to |size| (Drift v2:
     * cumulative_funding_rate_long += δ, short −= δ, so each base unit of both sides pays δ).
     * Absent = opposite (no default is written, so existing policies hash as before).
     */
    socializeSides: z.enum(['opposite', 'both']).optional(),
    /**
     * Penalty of a non-bankrupt step. `ramp` (default): min→max rate on the closed notional.
     * `to_bankruptcy` (Binance clearance): the target position is closed in full at its
     * bankruptcy price — the scope's remaining margin for the closed part (net value × the MM
     * share the step releases) goes to the insurance fund, the liquidator gets
     * `1 − insuranceShare` of it as a price discount (default: all to the fund).
     */
    penalty: z
      .discriminatedUnion('kind', [
        z.object({ kind: z.literal('ramp') }),
        z.object({
          kind: z.literal('to_bankruptcy'),
          insuranceShare: ratioPpm('insuranceShare', 1_000_000n).prefault('1'),
          /**
           * Whole-scope clearance (Binance): one `liquidate` closes every position of the scope,
           * largest MM first, each at its bankruptcy price; absent = one position per step.
           */
          closeAll: z.boolean().optional(),
          /**
           * Clearance fee on the closed notional, to the insurance fund out of the margin left
           * (never more): `clearanceFee` for every market, `clearanceFeeByMarket` per symbol
           * (Binance's per-symbol fee). `insuranceShare` splits what is left after it.
           */
          clearanceFee: ratioPpm('clearanceFee', 1_000_000n).optional(),
          clearanceFeeByMarket: z.record(z.string(), ratioPpm('clearanceFeeByMarket', 1_000_000n)).optional(),
        }),
        /**
         * dYdX v4: the target position closes at the fillable price (liquidation/fill-price.ts);
         * the insurance fund receives fill − bankruptcy quote, capped at `maxLiquidationFee` of
         * the fill, or pays the shortfall. Defaults: dYdX's LiquidationsConfig_Default.
         */
        z.object({
          kind: z.literal('dydx_fillable'),
          maxLiquidationFee: ratioPpm('maxLiquidationFee', 1_000_000n).prefault('0.005'),
          bankruptcyAdjustment: ratioPpm('bankruptcyAdjustment', 4_294_967_295n)
            .refine((v) => v >= 1_000_000n, 'bankruptcyAdjustment must be >= 1')
            .prefault('1'),
          spreadToMaintenanceMarginRatio: ratioPpm('spreadToMaintenanceMarginRatio', 1_000_000n)
            .refine((v) => v > 0n, 'spreadToMaintenanceMarginRatio must be > 0')
            .prefault('0.1'),
        }),
        /**
         * Drift v2: the liquidator's discount is a fee that ramps with the time the scope has been
         * in liquidation (base `liquidatorFee` for `gracePeriodSlots` slots of `slotMs`, then +
         * `increasePerSlot` per slot up to `maxLiquidatorFee`); the insurance fund takes the
         * implied remainder × 95 % of the shortage (capped at `maxInsuranceFee`) —
         * liquidation/drift-fees.ts. Defaults: protocol-v2's grace period and increase.
         */
        z
          .object({
            kind: z.literal('drift'),
            liquidatorFee: ratioPpm('liquidatorFee', 1_000_000n),
            maxLiquidatorFee: ratioPpm('maxLiquidatorFee', 1_000_000n),
            maxInsuranceFee: ratioPpm('maxInsuranceFee', 1_000_000n),
            slotMs: z.number().int().positive().max(86_400_000).default(400),
            gracePeriodSlots: z.number().int().min(0).max(1_000_000_000).default(1500),
            increasePerSlot: ratioPpm('increasePerSlot', 1_000_000n).prefault('0.000001'),
          })
          .refine((p) => p.maxLiquidatorFee >= p.liquidatorFee, 'maxLiquidatorFee must be >= liquidatorFee'),
      ])
      .default({ kind: 'ramp' }),
    /**
     * Drift v2 spot liquidation (liquidate_spot) of position-less cross scopes with a borrow and
     * collateral: the liquidator takes over liability sized by
     * calculate_liability_transfer_to_cover_margin_shortage and receives collateral worth it ×
     * (1 + the drift penalty's `liquidatorFee`) / (1 − `liabilityDiscount`); the insurance fund takes `ifLiquidationFee` of the
     * transfer out of the liability (engine/liquidation/drift-spot.ts). Needs penalty `drift`.
     * Absent = off.
     */
    spotLiquidation: z
      .object({
        kind: z.literal('drift'),
        ifLiquidationFee: ratioPpm('ifLiquidationFee', 1_000_000n).prefault('0'),
        /** Discount on the liability's price (liability multiplier 1 − it); the collateral's premium is the drift penalty's `liquidatorFee`. */
        liabilityDiscount: ratioPpm('liabilityDiscount', 500_000n).prefault('0'),
      })
      .optional(),
    /**
     * Lending liquidation (Aave v3.3) of position-less cross scopes with a debt (a negative
     * settlement balance, taken with `borrow`): a step repays up to `closeFactor` of the debt —
     * all of it when the health factor is ≤ `fullCloseBelowHealthFactor` or the scope's collateral
     * or debt is below `fullCloseBelowValue` (quote, decimal) — from the liquidator's balance, for
     * collateral worth the debt × (1 + the asset's liquidationBonus), the protocol's share of the
     * bonus to the insurance fund (engine/liquidation/lending.ts). Absent = off (borrowing refused).
     */
    lending: z
      .object({
        closeFactor: ratioPpm('closeFactor', 1_000_000n)
          .refine((v) => v > 0n, 'closeFactor must be > 0')
          .prefault('0.5'),
        fullCloseBelowHealthFactor: ratioPpm('fullCloseBelowHealthFactor', 1_000_000n).prefault('0.95'),
        fullCloseBelowValue: z.string().default('2000'),
        /**
         * Aave v3.3's dust rule (LiquidationLogic MIN_LEFTOVER_BASE, $1,000): a step that repays
         * part of the debt and seizes part of the collateral must leave at least this much (quote,
         * decimal) of both, else it is refused (LIQUIDATION_LEAVES_DUST) — the liquidator repays
         * all the debt, takes all of that collateral, or covers less. Absent: no rule.
         */
        minLeftoverValue: z.string().optional(),
      })
      .optional(),
    /** Auto-deleveraging queue ranking. */
    adlRanking: z.enum(['profit_x_leverage', 'profit', 'leverage']).default('profit_x_leverage'),
  })
  .refine((p) => p.maxPenalty >= p.minPenalty, 'maxPenalty must be >= minPenalty');
export type LiquidationPolicy = z.output<typeof LiquidationPolicySchema>;

export const GuardsSchema = z.object({
  /** Largest accepted move of a mark or asset price in one update, as a fraction (wild-price guard). */
  maxPriceMove: ratioPpm('maxPriceMove', 100_000_000n).prefault('0.5'),
  /** Largest distance of a fill price from the mark, as a fraction. */
  maxFillDeviation: ratioPpm('maxFillDeviation', 10_000_000n).prefault('0.1'),
});
export type Guards = z.output<typeof GuardsSchema>;

/**
 * An Aave v3 efficiency-mode category (v3.2 "liquid eModes"): a subaccount in the category
 * (`set_emode`) counts each of its `collateralAssets` at the category's LTV (initial weight) and
 * liquidation threshold (maintenance weight), seizes them with its liquidation bonus, and may
 * borrow only `borrowableAssets` (the settlement asset included). Other collateral keeps its own
 * weights, as in Aave's GenericLogic.
 */
export const EModeCategorySchema = z
  .object({
    id: z.number().int().min(1).max(255),
    label: z.string().max(64).optional(),
    ltv: ratioPpm('eMode ltv', 1_000_000n),
    liquidationThreshold: ratioPpm('eMode liquidationThreshold', 1_000_000n),
    liquidationBonus: ratioPpm('eMode liquidationBonus', 1_000_000n),
    collateralAssets: z.array(id).max(256),
    borrowableAssets: z.array(id).max(256),
  })
  .refine((c) => c.liquidationThreshold >= c.ltv, 'eMode liquidationThreshold must be >= ltv');
export type EModeCategory = z.output<typeof EModeCategorySchema>;

export const EngineConfigSchema = z
  .object({
    /** The quote/settlement asset (e.g. USDC, 6 decimals): PnL, margin and funding are paid in it. */
    settlementAsset: id,
    assets: z.array(AssetConfigSchema).min(1).max(256),
    markets: z.array(MarketConfigSchema).max(4096).default([]),
    liquidation: LiquidationPolicySchema.prefault({}),
    guards: GuardsSchema.prefault({}),
    /**
     * Guarded oracles per market (docs/oracle.md). A market with an oracle takes its mark
     * from the oracle only, and is in safe mode while the oracle says so.
     */
    oracles: z.array(OracleConfigSchema).max(4096).default([]),
    /**
     * Portfolio margin (docs/portfolio-margin.md): the scenario model a subaccount's cross scope
     * is margined with once it opts in (`set_portfolio_margin`). Absent = not offered.
     */
    portfolio: EnginePortfolioSchema.optional(),
    /** Backstop liquidator (e.g. a vault) used when a liquidation step names no liquidator. */
    backstop: SubaccountRefSchema.optional(),
    /**
     * An ADL clearing account (a cluster partition's link to the counterparties in other
     * partitions, docs/cluster.md). When set, the bankruptcy waterfall closes what its ADL queue
     * cannot take to a fresh subaccount of this account (`b<seq>`) at the bankruptcy value, as if
     * it were the last counterparty in the queue, instead of to the backstop at the mark; its
     * positions are never ranked for ADL, and `adl_leg` commands move them on. Absent: the backstop.
     */
    adlClearing: z.object({ account: id }).optional(),
    /**
     * How many client command ids the engine remembers (docs/durability.md); absent = 100,000.
     * The oldest id is forgotten first; a forgotten id is a new command again.
     */
    commandIdRetention: z.number().int().min(0).max(10_000_000).optional(),
    /**
     * The integer arithmetic of the margin figures. Absent (`engine`): ppm ratios and px8 prices,
     * values rounded down and requirements up (account/figures.ts). `drift-v2`: Drift
     * protocol-v2's grid and truncations, to the unit (account/drift-arithmetic.ts): resting
     * orders enter maintenance through the worst-case base, positive PnL is weighted
     * (markets' `unrealizedPnlWeight`), spot weights shrink by an integer square root. It needs
     * every ratio and weight on the 0.0001 grid and a 6-decimal settlement asset.
     */
    marginArithmetic: z.enum(['engine', 'drift-v2']).optional(),
    /**
     * A fixed margin charge per resting order, in the settlement asset (decimal; Drift:
     * OPEN_ORDER_MARGIN_REQUIREMENT, "0.01"). Absent = none. Engine arithmetic: part of the
     * orders' initial-margin reservation; drift-v2: part of both requirements.
     */
    openOrderCharge: z.string().max(40).optional(),
    /**
     * How funding reaches positions (docs/funding-and-interest.md). Absent or `eager`: every
     * funding tick pays each position at once. `lazy` (Drift, dYdX): a tick only advances the
     * market's cumulative funding index per side; a position's unsettled funding counts in its
     * unrealized PnL and is paid into its balance when the position changes, when it is
     * liquidated, or on `settle_funding` (account/lazy-funding.ts).
     */
    fundingSettlement: z.enum(['eager', 'lazy']).optional(),
    /** Aave v3 efficiency-mode categories a subaccount may enter with `set_emode`. Absent = none. */
    eModeCategories: z.array(EModeCategorySchema).max(255).optional(),
  })
  .superRefine((c, ctx) => {
    const ids = new Set(c.assets.map((a) => a.id));
    if (ids.size !== c.assets.length) ctx.addIssue({ code: 'custom', message: 'duplicate asset id' });
    if (!ids.has(c.settlementAsset)) {
      ctx.addIssue({ code: 'custom', message: `settlement asset ${c.settlementAsset} is not among assets` });
    }
    const mids = new Set(c.markets.map((m) => m.id));
    if (mids.size !== c.markets.length) ctx.addIssue({ code: 'custom', message: 'duplicate market id' });
    const byId = new Map(c.markets.map((m) => [m.id, m]));
    for (const m of c.markets) {
      const issue = marketIssue(m, (id) => byId.get(id));
      if (issue) ctx.addIssue({ code: 'custom', message: issue });
      // Coin-margined: an inverse market settles in its base coin, so it needs an engine whose
      // settlement asset is that coin (one engine, one cross pool, per settlement coin).
      if (m.contractType === 'inverse' && m.base !== c.settlementAsset)
        ctx.addIssue({
          code: 'custom',
          message: `inverse market ${m.id} settles in ${m.base}, but the settlement asset is ${c.settlementAsset}`,
        });
      // A coin-settled option pays in its base coin, likewise.
      if (m.option?.settlement === 'inverse' && m.base !== c.settlementAsset)
        ctx.addIssue({
          code: 'custom',
          message: `coin-settled option ${m.id} settles in ${m.base}, but the settlement asset is ${c.settlementAsset}`,
        });
      if (m.contractType === 'inverse' && c.liquidation.penalty.kind === 'dydx_fillable')
        ctx.addIssue({
          code: 'custom',
          message: `inverse market ${m.id}: the dydx_fillable penalty is linear only`,
        });
    }
    if (c.portfolio) {
      const issue = enginePortfolioIssue(c.portfolio, c.settlementAsset, c.markets);
      if (issue) ctx.addIssue({ code: 'custom', message: issue });
    }
    for (const o of c.oracles) {
      if (!mids.has(o.market))
        ctx.addIssue({ code: 'custom', message: `oracle for unknown market ${o.market}` });
    }
    if (new Set(c.oracles.map((o) => o.market)).size !== c.oracles.length) {
      ctx.addIssue({ code: 'custom', message: 'more than one oracle for a market' });
    }
    const settlement = c.assets.find((a) => a.id === c.settlementAsset);
    if (c.openOrderCharge !== undefined && settlement) {
      const r = parseDecimal(c.openOrderCharge, settlement.decimals);
      if (!r.ok || r.value < 0n)
        ctx.addIssue({
          code: 'custom',
          message: `openOrderCharge ${JSON.stringify(c.openOrderCharge)}: a non-negative amount of ${settlement.id} is needed`,
        });
    }
    if (settlement) {
      const issue = marginArithmeticIssue(c.marginArithmetic, settlement.decimals, c.markets, c.assets);
      if (issue) ctx.addIssue({ code: 'custom', message: issue });
    }
    const cats = c.eModeCategories ?? [];
    if (new Set(cats.map((e) => e.id)).size !== cats.length)
      ctx.addIssue({ code: 'custom', message: 'duplicate eMode category id' });
    for (const e of cats)
      for (const a of [...e.collateralAssets, ...e.borrowableAssets])
        if (!ids.has(a))
          ctx.addIssue({ code: 'custom', message: `eMode category ${e.id}: unknown asset ${a}` });
    for (const a of c.assets) {
      if (a.id === c.settlementAsset && a.initWeightScaling !== undefined)
        ctx.addIssue({
          code: 'custom',
          message: `asset ${a.id}: the settlement asset counts at face value and cannot scale its init weights`,
        });
      if (a.yieldBearing && !ids.has(a.yieldBearing.underlying)) {
        ctx.addIssue({
          code: 'custom',
          message: `asset ${a.id}: unknown underlying ${a.yieldBearing.underlying}`,
        });
      }
    }
  });
export type EngineConfigInput = z.input<typeof EngineConfigSchema>;
export type EngineConfig = z.output<typeof EngineConfigSchema>;

export { decimalAt, QTY_DECIMALS };
