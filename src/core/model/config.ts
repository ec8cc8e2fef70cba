/**
 * Validated configuration of assets and markets (zod schemas). Decimal strings
 * come in, fixed-point bigints come out (the codec is num/schema.ts).
 */
import { z } from 'zod';
import { id, pricePx8, qty9, rate9, ratioPpm } from '../num/schema.ts';
import { InterestConfigSchema } from './interest-config.ts';

export const AssetConfigSchema = z
  .object({
    id,
    /** Smallest-unit decimals of balances (USDC 6, BTC 8, ETH 18). */
    decimals: z.number().int().min(0).max(18),
    /** Weight applied to a positive balance for initial / maintenance collateral value. */
    initialWeight: ratioPpm('initialWeight', 1_000_000n).prefault('1'),
    maintenanceWeight: ratioPpm('maintenanceWeight', 1_000_000n).prefault('1'),
    /**
     * Size haircut for very large balances (square-root style, Drift's IMF factor):
     * weight = min(weight, 1.1 / (1 + factor·√(balance in whole tokens))). 0 disables.
     */
    sizeHaircutFactor: ratioPpm('sizeHaircutFactor').prefault('0'),
    /** Yield-bearing token: valued at exchangeRate × price(underlying). */
    yieldBearing: z.object({ underlying: id }).optional(),
    /**
     * Lending liquidation (policy `lending`, Aave v3): bonus on the collateral seized for repaid
     * debt ("0.05": collateral worth 105% of the debt) and the protocol's share of that bonus,
     * paid to the insurance fund (Aave's treasury). Absent: 0.
     */
    liquidationBonus: ratioPpm('liquidationBonus', 1_000_000n).optional(),
    liquidationProtocolFee: ratioPpm('liquidationProtocolFee', 1_000_000n).optional(),
    /**
     * Interest-bearing balances (docs/funding-and-interest.md): positive balances earn and
     * negative ones pay interest at a utilization-based rate, through cumulative indexes
     * advanced by `accrue_interest`. Absent: no interest.
     */
    interest: InterestConfigSchema.optional(),
    /**
     * Weights of a negative balance (a borrow) of this asset, ≥ 1 (Drift's spot
     * initial/maintenance_liability_weight, Mango's init/maint_liab_weight; Aave counts debt at
     * 1): the liability counts at balance × price × weight, grown by the size premium when
     * `sizeHaircutFactor` is set (Drift's calculate_size_premium_liability_weight). Setting it
     * makes the asset borrowable with `borrow … asset`. Absent: not borrowable; a negative
     * balance (none can arise without it) would count at weight 1. The settlement asset's own
     * balance always counts at face value.
     */
    liabilityWeight: z
      .object({
        initial: ratioPpm('liabilityWeight.initial', 100_000_000n),
        maintenance: ratioPpm('liabilityWeight.maintenance', 100_000_000n),
      })
      .refine((w) => w.maintenance >= 1_000_000n, 'liabilityWeight.maintenance must be >= 1')
      .refine(
        (w) => w.initial >= w.maintenance,
        'liabilityWeight.initial must be >= liabilityWeight.maintenance',
      )
      .optional(),
    /**
     * Mango v4's scaling of the INIT weights by the bank's venue-wide totals
     * (collateral/bank-totals.ts): when the asset's total deposits are worth more than
     * `depositScaleStartQuote` (quote, decimal), the init weight of a deposit is × start /
     * deposits value; when its total borrows are worth more than `borrowScaleStartQuote`, the
     * init liability weight is × borrows value / start. Maintenance weights are unchanged. Not
     * allowed on the settlement asset (it always counts at face value). Absent: no scaling.
     */
    initWeightScaling: z
      .object({
        depositScaleStartQuote: pricePx8('initWeightScaling.depositScaleStartQuote').optional(),
        borrowScaleStartQuote: pricePx8('initWeightScaling.borrowScaleStartQuote').optional(),
      })
      .strict()
      .refine(
        (s) => s.depositScaleStartQuote !== undefined || s.borrowScaleStartQuote !== undefined,
        'initWeightScaling needs depositScaleStartQuote or borrowScaleStartQuote',
      )
      .optional(),
  })
  .refine((a) => a.maintenanceWeight >= a.initialWeight, 'maintenanceWeight must be >= initialWeight');
export type AssetConfig = z.output<typeof AssetConfigSchema>;

const MaintenanceSchema = z.union([
  z.object({ fractionOfInitial: ratioPpm('fractionOfInitial', 1_000_000n) }),
  z.object({ ratio: ratioPpm('maintenance ratio', 1_000_000n) }),
]);

const BracketSchema = z.object({
  /** Upper notional bound of this bracket in quote (decimal); omit for the last. */
  notionalCap: z.string().optional(),
  maintenanceRatio: ratioPpm('maintenanceRatio', 1_000_000n),
  initialRatio: ratioPpm('initialRatio', 1_000_000n),
  /** Published maintenance amount (Binance "cum"); checked for continuity, or derived when omitted. */
  maintenanceAmount: z.string().optional(),
});

/**
 * Standard (per-position) options margin, exact (margin/option-margin.ts): with S the underlying
 * market's mark, M the option's mark and OTM the out-of-the-money amount, per unit of a SHORT option
 *   IM = max(base·S − OTM, floor·S + floorMark·M) + M   (put: also ≥ MM when putAtLeastMaintenance)
 *   MM = max(underlying·S, mark·M) + M + liquidationFee·S
 * and a LONG option needs its premium (IM = MM = M) or nothing. Defaults: Deribit's published rule.
 */
const rate = (what: string) => ratioPpm(what, 10_000_000n);
export const StandardOptionMarginSchema = z.object({
  initial: z
    .object({
      base: rate('initial.base').prefault('0.15'),
      floor: rate('initial.floor').prefault('0.1'),
      floorMarkCall: rate('initial.floorMarkCall').prefault('0'),
      floorMarkPut: rate('initial.floorMarkPut').prefault('0'),
      putAtLeastMaintenance: z.boolean().default(true),
    })
    .prefault({}),
  maintenance: z
    .object({
      call: z
        .object({
          underlying: rate('maintenance.call.underlying'),
          mark: rate('maintenance.call.mark').prefault('0'),
        })
        .prefault({ underlying: '0.075' }),
      put: z
        .object({
          underlying: rate('maintenance.put.underlying'),
          mark: rate('maintenance.put.mark').prefault('0'),
        })
        .prefault({ underlying: '0.075', mark: '0.075' }),
      liquidationFee: rate('maintenance.liquidationFee').prefault('0'),
    })
    .prefault({}),
  long: z.enum(['premium', 'none']).default('premium'),
});
export type StandardOptionMargin = z.output<typeof StandardOptionMarginSchema>;

export const MarginModelConfigSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('fixed'),
    initialRatio: ratioPpm('initialRatio', 1_000_000n),
    maintenance: MaintenanceSchema,
  }),
  z.object({ kind: z.literal('brackets'), brackets: z.array(BracketSchema).min(1).max(64) }),
  z.object({
    kind: z.literal('sqrtSize'),
    initialRatio: ratioPpm('initialRatio', 1_000_000n),
    maintenance: MaintenanceSchema,
    /** ratio = max(base, 0.8·base + factor·√(size in whole base units)) (Drift's IMF factor). */
    imfFactor: ratioPpm('imfFactor'),
  }),
  z.object({
    kind: z.literal('standardOption'),
    ...StandardOptionMarginSchema.shape,
  }),
  z.object({
    kind: z.literal('openInterestScaled'),
    initialRatio: ratioPpm('initialRatio', 1_000_000n),
    maintenance: MaintenanceSchema,
    /** Open interest (quote notional) where IM starts rising from base towards 100%, and where it reaches it. */
    openInterestLowerCap: z.string(),
    openInterestUpperCap: z.string(),
  }),
]);
export type MarginModelConfigInput = z.input<typeof MarginModelConfigSchema>;
export type MarginModelConfig = z.output<typeof MarginModelConfigSchema>;

export const FundingConfigSchema = z.object({
  /** Funding interval in ms (8h default). */
  intervalMs: z
    .number()
    .int()
    .positive()
    .default(8 * 3600 * 1000),
  /** Interest rate per interval (Binance: 0.0001 per 8h). */
  interestRate: rate9('interestRate').prefault('0.0001'),
  /** Clamp on (interest − premium), per interval (Binance: ±0.0005). */
  clamp: rate9('clamp').prefault('0.0005'),
  /** Absolute cap on the funding rate per interval. */
  cap: rate9('cap').prefault('0.03'),
});
export type FundingConfig = z.output<typeof FundingConfigSchema>;

/**
 * A European option, cash-settled at expiry on its underlying's price: in the settlement asset
 * per unit of intrinsic value (linear), or in the base coin (`settlement: 'inverse'`, Deribit's
 * and OKX's coin-settled options: premium, P&L and margin in the coin, paying max(S − K, 0)/S).
 */
export const OptionTermsSchema = z.object({
  /** The market whose mark is the option's underlying price S (a perpetual or dated future, same base). */
  underlying: id,
  right: z.enum(['call', 'put']),
  strike: pricePx8('strike'),
  /**
   * 'inverse': coin-settled. Sizes count coins of the underlying, prices (premium, marks, fills)
   * are in the coin per coin (0.025 = 0.025 BTC), and the engine's settlement asset must be the
   * base coin. Optional without a default so configurations without it keep their state hash.
   */
  settlement: z.enum(['linear', 'inverse']).optional(),
});
export type OptionTerms = z.output<typeof OptionTermsSchema>;

export const MarketConfigSchema = z.object({
  id,
  kind: z.enum(['perpetual', 'future', 'option']),
  /** Option markets: the contract (kind 'option' needs it, with expiryMs and a standardOption margin). */
  option: OptionTermsSchema.optional(),
  /** Quote-per-base prices; the quote is the engine's settlement asset (linear markets). */
  base: id,
  /**
   * How positions are valued (margin/contract-value.ts). Absent or 'linear': sizes in base units,
   * PnL s·(mark − entry) in the settlement asset (the quote). 'inverse' (coin-margined: BitMEX
   * XBTUSD, Deribit, Binance COIN-M, Bybit inverse): sizes count contracts of `contractValue`
   * quote (USD) each, the settlement asset is the base coin, PnL n·cv·(1/entry − 1/mark) in coin.
   * Optional without a default so configurations without it keep their state hash.
   */
  contractType: z.enum(['linear', 'inverse']).optional(),
  /** Inverse markets: quote (USD) per contract, > 0 ("100" on Binance COIN-M BTCUSD, "1" on BitMEX XBTUSD). */
  contractValue: pricePx8('contractValue').optional(),
  /** Base units per contract: sizes must be multiples of it (and of stepSize). */
  contractSize: qty9('contractSize').prefault('0.000000001'),
  tickSize: pricePx8('tickSize').prefault('0.00000001'),
  stepSize: qty9('stepSize').prefault('0.000000001'),
  margin: MarginModelConfigSchema,
  /**
   * Notional the margin requirement (IM and MM, and the bracket) is taken on: the position's value
   * at the mark (absent: the default) or its entry value |entry value| (Bybit's isolated rule:
   * "Liquidation Price Calculation under Isolated Mode" takes IM and MM at the entry price).
   * Optional without a default so configurations without it keep their state hash.
   */
  requirementOn: z.enum(['mark', 'entry']).optional(),
  /**
   * Mango v4's unsettled-PnL haircut: a position's positive health (unrealized PnL − IM, resp.
   * − MM) counts at these weights in the initial / maintenance equity (account/pnl-haircut.ts).
   * Absent: in full.
   */
  positiveHealthWeight: z
    .object({
      initial: ratioPpm('positiveHealthWeight.initial', 1_000_000n),
      maintenance: ratioPpm('positiveHealthWeight.maintenance', 1_000_000n),
    })
    .optional(),
  /**
   * Drift v2's weights on a position's positive unrealized PnL (unrealized_pnl_initial/
   * maintenance_asset_weight): positive PnL counts at `maintenance` in the maintenance
   * collateral and at `initial`, shrunk with the square root of the PnL by `imfFactor`
   * (unrealized_pnl_imf_factor), in the initial collateral; negative PnL counts in full.
   * Honoured by the `drift-v2` margin arithmetic (engine config `marginArithmetic`). Absent: in full.
   */
  unrealizedPnlWeight: z
    .object({
      initial: ratioPpm('unrealizedPnlWeight.initial', 1_000_000n),
      maintenance: ratioPpm('unrealizedPnlWeight.maintenance', 1_000_000n),
      imfFactor: ratioPpm('unrealizedPnlWeight.imfFactor').prefault('0'),
    })
    .optional(),
  funding: FundingConfigSchema.prefault({}),
  takerFee: ratioPpm('takerFee', 100_000n).prefault('0'),
  makerFee: ratioPpm('makerFee', 100_000n).prefault('0'),
  /** Dated futures: expiry time (ms since epoch). */
  expiryMs: z.number().int().positive().optional(),
  /** Largest position size allowed (absurd-size guard), base units. */
  maxPositionSize: qty9('maxPositionSize').prefault('1000000000'),
  /**
   * Smallest size of an order or a fill, base units (Binance LOT_SIZE minQty, Bybit
   * minOrderQty). Absent: one step. Optional without a default so configurations without it
   * keep their state hash (likewise `priceBand` and `status`).
   */
  minSize: qty9('minSize').optional(),
  /**
   * Price band of an order's limit, as fractions of the mark (Binance PERCENT_PRICE
   * multiplierUp = 1 + up, multiplierDown = 1 − down): a buy's limit at most mark × (1 + up), a
   * sell's at least mark × (1 − down). Absent: no band.
   */
  priceBand: z
    .object({
      up: ratioPpm('priceBand.up', 100_000_000n),
      down: ratioPpm('priceBand.down', 1_000_000n),
    })
    .optional(),
  /**
   * 'paused' (a venue's halted symbol: Binance status BREAK, Bybit "Settling"/"Closed"): new
   * orders, amends and fills are refused with MARKET_PAUSED; cancels, liquidations, funding
   * and expiry go on. Absent: 'trading'.
   */
  status: z.enum(['trading', 'paused']).optional(),
  /**
   * Bybit's cross maintenance margin: a cross position's maintenance adds the taker fee to close
   * it at its bankruptcy price (Bybit "How to calculate Liquidation Price (Inverse Contract)":
   * MM = PV × MMR + Q × fee / BP, BP = (1 + fee)·Q / (Q/EP + balance) for a long). The engine
   * takes BP with the scope's other prices held (account/close-fee.ts). Absent: no fee term.
   */
  closeFeeInMaintenance: z.boolean().optional(),
  /**
   * BitMEX's fee and funding add-ons, rates of the requirement's notional (account/figures.ts
   * positionRequirement): `maintenanceTakerFee` adds the taker fee to exit to the maintenance
   * rate, `maintenanceFunding` the funding rate the position pays at the next funding (the
   * market's current rate × side: a long pays a positive rate, a short a negative one; a rate it
   * receives lowers the maintenance, never below zero), `initialTakerFees` both taker fees (entry
   * and exit) to the initial rate. BitMEX: maintenance = 0.5 % + exit taker fee + funding rate,
   * initial = 1/leverage + entry and exit taker fees. Absent: none.
   */
  marginAddOns: z
    .object({
      maintenanceTakerFee: z.boolean().optional(),
      maintenanceFunding: z.boolean().optional(),
      initialTakerFees: z.boolean().optional(),
    })
    .strict()
    .optional(),
});
export type MarketConfigInput = z.input<typeof MarketConfigSchema>;
export type MarketConfig = z.output<typeof MarketConfigSchema>;

/**
 * Cross-field rules of a market that need the other markets: an option names its contract,
 * expiry and an existing non-option underlying market on the same base, and only options use
 * the standardOption margin. Returns what is wrong, or undefined.
 */
export function marketIssue(
  m: MarketConfig,
  marketById: (id: string) => MarketConfig | undefined,
): string | undefined {
  const optionMargin = m.margin.kind === 'standardOption';
  const inverseIssue = contractIssue(m);
  if (inverseIssue) return inverseIssue;
  if (m.kind !== 'option') {
    if (m.option !== undefined || optionMargin)
      return `market ${m.id}: option terms and standardOption margin are for kind 'option'`;
    return undefined;
  }
  if (m.option === undefined) return `option market ${m.id} needs option terms (underlying, right, strike)`;
  if (m.expiryMs === undefined) return `option market ${m.id} needs expiryMs`;
  if (!optionMargin) return `option market ${m.id} needs a standardOption margin`;
  const u = marketById(m.option.underlying);
  if (u === undefined) return `option market ${m.id}: unknown underlying market ${m.option.underlying}`;
  if (u.kind === 'option') return `option market ${m.id}: the underlying must not be an option`;
  if (u.base !== m.base)
    return `option market ${m.id}: base ${m.base} differs from its underlying's ${u.base}`;
  return undefined;
}

/** A coin-settled (inverse) option: premium, P&L, margin and expiry payoff in the base coin. */
export function isCoinSettledOption(m: Pick<MarketConfig, 'option'>): boolean {
  return m.option?.settlement === 'inverse';
}

/** An inverse market names its contract value and is a perpetual or a dated future; a linear one has no contract value. */
function contractIssue(m: MarketConfig): string | undefined {
  if (m.contractType === 'inverse') {
    if (m.contractValue === undefined)
      return `inverse market ${m.id} needs a contractValue (quote per contract, > 0)`;
    if (m.kind === 'option') return `market ${m.id}: an option cannot be inverse`;
    return undefined;
  }
  if (m.contractValue !== undefined) return `market ${m.id}: contractValue is for contractType 'inverse'`;
  return undefined;
}
