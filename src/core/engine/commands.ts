/**
 * Commands: what a caller asks the engine to do. They arrive as JSON with
 * decimal strings and are validated here; a malformed command is rejected with
 * MALFORMED_COMMAND before anything else happens.
 */
import { z } from 'zod';
import { AssetConfigSchema, MarketConfigSchema } from '../model/config.ts';
import {
  EnginePortfolioSchema,
  GuardsSchema,
  LiquidationPolicySchema,
  SubaccountRefSchema,
} from '../model/engine-config.ts';
import { decimalAt, id, pricePx8, qty9, rate9, ratioPpm } from '../num/schema.ts';
import { OracleConfigSchema } from '../oracle/config.ts';

const time = z.number().int().min(0).max(8_640_000_000_000_000).optional();
/**
 * A client command id (idempotency key, docs/durability.md): a repeat of the same id returns
 * the first outcome and changes nothing. 1–128 letters, digits and _ . : -
 */
export const COMMAND_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;
const commandIdSchema = z
  .string()
  .max(128)
  .regex(COMMAND_ID_PATTERN, 'commandId: 1-128 letters, digits and _ . : -')
  .optional();
/** At most this many entries in each map of a `prices` command (marks, assets, exchangeRates). */
export const MAX_PRICE_ENTRIES = 4096;
/** At most this many raw inputs in one `oracle` command. */
export const MAX_ORACLE_INPUTS = 10_000;
/** An amount in an asset's smallest units is parsed by the handler (it knows the decimals). */
const amount = z.string().min(1).max(64);

/** Order ids: unique among resting orders engine-wide (docs/orders.md). */
const orderId = id;

/** `place_order`: a resting limit order; its initial margin is reserved while it rests. */
export const PlaceOrderSchema = z.object({
  type: z.literal('place_order'),
  commandId: commandIdSchema,
  orderId,
  subaccount: SubaccountRefSchema,
  market: id,
  side: z.enum(['buy', 'sell']),
  /** Size in base units (> 0). */
  size: qty9('size'),
  /** Limit price (> 0). */
  price: pricePx8('price'),
  /** Only ever reduces the position: reserves no margin; trimmed or cancelled as the position shrinks. */
  reduceOnly: z.boolean().default(false),
  timeMs: time,
});

export const CommandSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('deposit'),
    commandId: commandIdSchema,
    to: SubaccountRefSchema,
    asset: id,
    amount,
    timeMs: time,
  }),
  z.object({
    type: z.literal('withdraw'),
    commandId: commandIdSchema,
    from: SubaccountRefSchema,
    asset: id,
    amount,
    timeMs: time,
  }),
  z.object({
    type: z.literal('transfer'),
    commandId: commandIdSchema,
    from: SubaccountRefSchema,
    to: SubaccountRefSchema,
    asset: id,
    amount,
    timeMs: time,
  }),
  z.object({
    type: z.literal('set_margin_mode'),
    commandId: commandIdSchema,
    subaccount: SubaccountRefSchema,
    market: id,
    mode: z.enum(['cross', 'isolated']),
  }),
  z.object({
    type: z.literal('set_leverage'),
    commandId: commandIdSchema,
    subaccount: SubaccountRefSchema,
    market: id,
    /** Maximum leverage the user accepts ("20"); null removes the cap. */
    maxLeverage: ratioPpm('maxLeverage', 1_000_000_000n)
      .refine((v) => v >= 1_000_000n, 'leverage must be >= 1')
      .nullable(),
  }),
  z.object({
    type: z.literal('set_portfolio_margin'),
    commandId: commandIdSchema,
    subaccount: SubaccountRefSchema,
    /** true: the cross scope is margined by the engine's portfolio model; false: per position. */
    enabled: z.boolean(),
  }),
  /**
   * Enters an efficiency-mode category of the engine's `eModeCategories` (Aave v3 setUserEMode);
   * 0 leaves e-mode. Every asset the subaccount owes must be borrowable in the category
   * (EMODE_MISMATCH otherwise), and its health factor must stay ≥ 1.
   */
  z.object({
    type: z.literal('set_emode'),
    commandId: commandIdSchema,
    subaccount: SubaccountRefSchema,
    category: z.number().int().min(0).max(255),
  }),
  z.object({
    type: z.literal('adjust_isolated_margin'),
    commandId: commandIdSchema,
    subaccount: SubaccountRefSchema,
    market: id,
    /** Signed settlement-asset amount: + moves balance into the position, − releases it. */
    amount,
    timeMs: time,
  }),
  z.object({
    type: z.literal('fill'),
    commandId: commandIdSchema,
    market: id,
    buyer: SubaccountRefSchema,
    seller: SubaccountRefSchema,
    size: qty9('size'),
    price: pricePx8('price'),
    /** Which side took liquidity (pays the taker fee). */
    taker: z.enum(['buyer', 'seller']).default('buyer'),
    /** The buyer's resting order this fill executes (docs/orders.md). */
    buyOrderId: orderId.optional(),
    /** The seller's resting order this fill executes. */
    sellOrderId: orderId.optional(),
    timeMs: time,
  }),
  PlaceOrderSchema,
  z
    .object({
      type: z.literal('amend_order'),
      commandId: commandIdSchema,
      orderId,
      /** New remaining size (> 0). */
      size: qty9('size').optional(),
      /** New limit price. */
      price: pricePx8('price').optional(),
      timeMs: time,
    })
    .refine((c) => c.size !== undefined || c.price !== undefined, 'amend_order needs a size or a price'),
  z.object({
    type: z.literal('cancel_order'),
    commandId: commandIdSchema,
    orderId,
    timeMs: time,
  }),
  z.object({
    type: z.literal('prices'),
    commandId: commandIdSchema,
    timeMs: z.number().int().min(0),
    marks: z.record(id, pricePx8('mark price')).default({}),
    assets: z.record(id, pricePx8('asset price')).default({}),
    /** Yield-bearing tokens: underlying units per token (decimal, 18 places). */
    exchangeRates: z
      .record(
        id,
        decimalAt(18, 'exchange rate').refine((v) => v > 0n, 'must be > 0'),
      )
      .default({}),
  }),
  z.object({
    type: z.literal('funding_tick'),
    commandId: commandIdSchema,
    market: id,
    timeMs: z.number().int().min(0),
    /** Average premium index over the interval (decimal fraction); or give indexPrice. */
    premiumIndex: rate9('premiumIndex').optional(),
    indexPrice: pricePx8('indexPrice').optional(),
  }),
  /**
   * Lazy funding (engine config `fundingSettlement: 'lazy'`): pays the subaccount's unsettled
   * funding into its margin, in `market` or in every market where it holds a position.
   */
  z.object({
    type: z.literal('settle_funding'),
    commandId: commandIdSchema,
    subaccount: SubaccountRefSchema,
    market: id.optional(),
    timeMs: time,
  }),
  /**
   * Interest-bearing balances (an asset with `interest`): advances the asset's deposit and
   * borrow indexes over `elapsedMs` at the rates its utilization gives now, and every balance
   * of the asset with them. A negative `elapsedMs` is refused (STALE_TIME).
   */
  z.object({
    type: z.literal('accrue_interest'),
    commandId: commandIdSchema,
    asset: id,
    /** Time the interest runs for, ms (at most ten years in one accrual). */
    elapsedMs: z
      .number()
      .int()
      .max(10 * 365 * 24 * 3600 * 1000),
    timeMs: time,
  }),
  z.object({
    type: z.literal('settle_expiry'),
    commandId: commandIdSchema,
    market: id,
    /** A dated future's settlement price; for an option, its underlying's settlement price. */
    price: pricePx8('settlement price'),
    timeMs: time,
  }),
  z.object({
    type: z.literal('liquidate'),
    commandId: commandIdSchema,
    subaccount: SubaccountRefSchema,
    /** Liquidate the isolated position in this market instead of the cross scope. */
    isolatedMarket: id.optional(),
    liquidator: SubaccountRefSchema.optional(),
    /**
     * Policy `dydx_fillable` only: the liquidator's fill price (a book fill), at least as good for
     * the liquidatee as the fillable price (a sale at or above it, a purchase at or below it).
     */
    fillPrice: pricePx8('fillPrice').optional(),
    /** Policy `lending` or `spotLiquidation`: the collateral asset to seize (default: the largest by value). */
    collateralAsset: id.optional(),
    /**
     * Policy `lending` only: the most debt to repay (Aave's debtToCover, in the debt asset,
     * decimal); the step repays the smaller of it and the close factor's amount. Default: the latter.
     */
    debtToCover: z.string().optional(),
    /**
     * Policy `lending` or `spotLiquidation`: the debt asset to repay (Aave's debtAsset, Drift's
     * liability market; default: the largest debt by value).
     */
    debtAsset: id.optional(),
    timeMs: time,
  }),
  /**
   * One leg of ADL through an ADL clearing account (config `adlClearing`, a cluster's
   * coordinator): `subaccount`'s `side` position in `market` is reduced by up to `size` at the
   * bankruptcy value `value` (settlement asset, for the whole `size`; pro rata, rounded half-even,
   * when the position is smaller), the clearing subaccount `clearing` taking the other side. No
   * fee, no margin check (as ADL in the waterfall).
   */
  z.object({
    type: z.literal('adl_leg'),
    commandId: commandIdSchema,
    market: id,
    subaccount: SubaccountRefSchema,
    side: z.enum(['long', 'short']),
    size: qty9('size'),
    value: amount,
    clearing: SubaccountRefSchema,
    timeMs: time,
  }),
  /**
   * Variation settlement of an ADL clearing account's pair subaccount (config `adlClearing`, a
   * cluster's coordinator): every position's entry value moves to its value at the mark (rounded
   * up), the difference realized into its cash, and a positive settlement balance moves to the
   * `transit` subaccount of the same account. No fee, no margin check.
   */
  z.object({
    type: z.literal('settle_clearing'),
    commandId: commandIdSchema,
    subaccount: SubaccountRefSchema,
    transit: SubaccountRefSchema,
    timeMs: time,
  }),
  /**
   * Borrows `amount` of `asset` (default: the settlement asset) out of the subaccount (its
   * balance may go negative: a debt), within its free collateral at initial weights (Aave's LTV).
   * The settlement asset needs policy `lending`; another asset needs a `liabilityWeight`.
   */
  z.object({
    type: z.literal('borrow'),
    commandId: commandIdSchema,
    subaccount: SubaccountRefSchema,
    asset: id.optional(),
    amount,
    timeMs: time,
  }),
  z.object({
    type: z.literal('fund_insurance'),
    commandId: commandIdSchema,
    /** Moves `amount` of `asset` from a subaccount's balance into the insurance fund (operator). */
    from: SubaccountRefSchema,
    asset: id,
    amount,
    timeMs: time,
  }),
  z.object({
    type: z.literal('oracle'),
    commandId: commandIdSchema,
    market: id,
    timeMs: z.number().int().min(0),
    /** Raw oracle inputs (docs/oracle.md): each is validated by the oracle; a bad one is counted, never applied. */
    inputs: z.array(z.unknown()).max(MAX_ORACLE_INPUTS).default([]),
  }),
  z.object({ type: z.literal('set_oracle'), commandId: commandIdSchema, config: OracleConfigSchema }),
  z.object({ type: z.literal('set_market'), commandId: commandIdSchema, config: MarketConfigSchema }),
  z.object({ type: z.literal('set_asset'), commandId: commandIdSchema, config: AssetConfigSchema }),
  z.object({
    type: z.literal('pause_liquidations'),
    commandId: commandIdSchema,
    market: id,
    paused: z.boolean(),
  }),
  z.object({
    /** Hold a market in safe mode whatever its oracle says (forced: false releases the hold). */
    type: z.literal('force_safe_mode'),
    commandId: commandIdSchema,
    market: id,
    forced: z.boolean(),
  }),
  z.object({
    type: z.literal('set_policy'),
    commandId: commandIdSchema,
    liquidation: LiquidationPolicySchema.optional(),
    guards: GuardsSchema.optional(),
    /** Portfolio margin model (null withdraws the offer; accounts in portfolio mode need one). */
    portfolio: EnginePortfolioSchema.nullable().optional(),
  }),
]);
export type CommandInput = z.input<typeof CommandSchema>;
export type Command = z.output<typeof CommandSchema>;
export type CommandType = Command['type'];
