/**
 * Engine state. Only `evolve` (events → state) writes it. All collections are
 * Maps/arrays with a deterministic order: insertion order of the event stream,
 * which replay reproduces exactly.
 *
 * The money ledger (INV-01, docs/invariants.md): for every asset,
 *   Σ subaccount balances + Σ isolated margins − Σ position entry values
 *   + insurance fund + fee pool + socialized-loss ledger (≤ 0) + Σ funding pools (lazy funding)
 *   = deposits − withdrawals,
 * where entry values, isolated margins and funding pools exist only in the settlement asset.
 */

import type { OracleConfig } from '../oracle/config.ts';
import type { OracleState } from '../oracle/state.ts';
import type { AssetConfig, MarketConfig } from './config.ts';
import type {
  EngineConfig,
  EnginePortfolio,
  Guards,
  LiquidationPolicy,
  SubaccountRef,
} from './engine-config.ts';
import type { HolderSet } from './holder-set.ts';
import { InlineMap, InlineMap2 } from './inline-map.ts';
import type { MarginModel } from './margin-model.ts';
import type { Rejection } from './rejection.ts';

export interface Position {
  readonly market: string;
  /** Signed size, base units at 9 decimals (long > 0). */
  size: bigint;
  /**
   * Signed quote units paid to open the position (long > 0, short < 0): cost basis.
   * Unrealized PnL = size × mark − entryValue.
   */
  entryValue: bigint;
  /**
   * The market's cumulative funding index when this position last settled funding (idx18); with
   * lazy funding, the index of the position's side (account/lazy-funding.ts).
   */
  fundingIndex: bigint;
  /** Isolated margin (quote units) if the position is isolated; 0n and unused in cross mode. */
  isolatedMargin: bigint;
  readonly isolated: boolean;
}

export interface Subaccount {
  readonly key: string;
  readonly ref: SubaccountRef;
  /**
   * Collateral balances per asset in the asset's smallest unit (settlement asset may go negative).
   * Both maps are inline maps (a `Map` with its first entries in its own fields): a million
   * subaccounts hold two million of them. Balances are an `InlineMap2` (two fields: one or two
   * assets, mostly), positions an `InlineMap` (four); every creation site uses that class, so
   * each map's hot loops stay monomorphic.
   */
  readonly balances: InlineMap2<string, bigint>;
  readonly positions: InlineMap<string, Position>;
  /**
   * Markets this subaccount trades in isolated mode. While empty it may be the one shared
   * `NO_ISOLATED_MARKETS` set: change it only through `ownIsolatedMarkets` (copy on write).
   */
  isolatedMarkets: Set<string>;
  /**
   * User leverage caps per market, ppm (20x = 20_000_000n): raise IM only. While empty it may be
   * the one shared `NO_LEVERAGE_CAPS` map: change it only through `ownMaxLeverage`.
   */
  maxLeverage: Map<string, bigint>;
  /** The cross scope is margined by the engine's portfolio (scenario) model instead of per position. */
  portfolioMargin?: boolean;
  /** Aave efficiency-mode category the subaccount is in (`set_emode`); absent = none. */
  eModeCategory?: number;
}

export interface MarketState {
  config: MarketConfig;
  model: MarginModel;
  /** Mark price px8, undefined until the first price update. */
  markPx8: bigint | undefined;
  /** Cumulative funding index (quote per whole base unit, 18 decimals); with lazy funding, the long side's. */
  fundingIndex: bigint;
  /** Lazy funding only: the short side's cumulative funding index (idx18). */
  fundingIndexShort?: bigint;
  /**
   * Lazy funding only: funding settled by payers and not yet paid to receivers, plus rounding
   * (settlement units, part of INV-01). Swept to the fee pool when the last position closes.
   */
  fundingPool?: bigint;
  lastFundingRate9: bigint;
  /** Time of the last funding settlement (0 = never). */
  lastFundingMs: number;
  /** Σ long sizes (= Σ |short sizes|), qty9. */
  openInterestQty9: bigint;
  /** Subaccount keys holding a position, in order of first entry (./holder-set.ts). */
  readonly holders: HolderSet;
  /** Set when a dated future has been settled at expiry. */
  settledPx8: bigint | undefined;
  liquidationsPaused: boolean;
  /**
   * Safe mode forced by the operator (force_safe_mode), on top of the oracle's own reasons:
   * while set, the market is treated exactly as an oracle in safe mode (price-trust.ts).
   */
  safeModeForced: boolean;
  /** The market's guarded oracle, when configured: its mark drives margin, its safe mode pauses liquidations. */
  oracle: { config: OracleConfig; state: OracleState } | undefined;
}

/**
 * A resting limit order (docs/orders.md). It holds no money: while it rests, its initial margin
 * is reserved out of the cross scope's free collateral (account/open-orders.ts).
 */
export interface Order {
  readonly id: string;
  /** Subaccount key (`account/sub`). */
  readonly sub: string;
  readonly market: string;
  readonly side: 'buy' | 'sell';
  /** Remaining size, base units at 9 decimals (> 0 while the order rests). */
  size: bigint;
  /** Limit price px8. */
  pricePx8: bigint;
  /** Only ever reduces the position: reserves nothing, trimmed when the position shrinks. */
  readonly reduceOnly: boolean;
}

/**
 * An interest-bearing asset (its config's `interest`, collateral/interest.ts): the cumulative
 * indexes (rays, from 1) and each subaccount's scaled balance. A subaccount's balance of the asset
 * is always its scaled balance read at the indexes (deposits at the deposit index rounded down,
 * debts at the borrow index rounded up): `evolve` keeps the two in step.
 */
export interface InterestState {
  depositIndex: bigint;
  borrowIndex: bigint;
  /** Yearly rates of the last accrual (rays). */
  borrowRate: bigint;
  depositRate: bigint;
  /** Scaled balances by subaccount key, in the order the subaccounts first held the asset. */
  readonly scaled: Map<string, bigint>;
}

export interface LiquidationWindow {
  startMs: number;
  notionalQuote: bigint;
}

export interface EngineState {
  config: EngineConfig;
  /** Sequence number of the last event applied. */
  seq: number;
  /** Time of the last command with a time, ms since epoch. */
  timeMs: number;
  settlement: AssetConfig;
  readonly assets: Map<string, AssetConfig>;
  readonly markets: Map<string, MarketState>;
  /** Collateral asset prices px8 (settlement asset is always 1). */
  readonly assetPricesPx8: Map<string, bigint>;
  /** Yield-bearing token exchange rates (underlying per token, 18 decimals). */
  readonly exchangeRates18: Map<string, bigint>;
  readonly subaccounts: Map<string, Subaccount>;
  /** Insurance fund holdings per asset. */
  readonly insurance: Map<string, bigint>;
  /** Trading fees and funding rounding collected, settlement units. */
  feePool: bigint;
  /** Loss written off after insurance and ADL were exhausted; ≤ 0 (a debit of the venue). */
  socializedLedger: bigint;
  /** Net deposits (deposits − withdrawals) per asset, the right-hand side of INV-01. */
  readonly netDeposits: Map<string, bigint>;
  policy: LiquidationPolicy;
  guards: Guards;
  /** Portfolio margin model offered to subaccounts (config.portfolio, changed by set_policy). */
  portfolio?: EnginePortfolio;
  readonly accountWindows: Map<string, LiquidationWindow>;
  readonly marketWindows: Map<string, LiquidationWindow>;
  /** Time of the last partial liquidation step per scope (`sub|scope`), for the fraction sizing's cooldown. */
  readonly lastPartialMs: Map<string, number>;
  /**
   * When each scope (`sub|scope`) entered liquidation, for a penalty that ramps with time (policy
   * penalty `drift`); absent until such a step happens, an entry removed when the scope's step
   * leaves it at the target or closes it.
   */
  liquidationStartMs?: Map<string, number>;
  /**
   * The insurance fund's losses (cover paid) per subaccount in the current window, for the
   * policy's `maxInsuranceLossPerWindow` (dYdX's per-block limit); absent until a cover is paid
   * under that cap.
   */
  insuranceLossWindows?: Map<string, LiquidationWindow>;
  /**
   * Outcomes of the commands that carried a client command id, oldest first; at most
   * `config.commandIdRetention` (default DEFAULT_COMMAND_ID_RETENTION) entries, the oldest
   * dropped first. Built by evolve from command_accepted / command_rejected, so replay rebuilds it.
   */
  readonly commandIds: Map<string, CommandOutcome>;
  /** Resting orders by order id, in the order they were placed (replay reproduces it). */
  readonly orders: Map<string, Order>;
  /** Interest-bearing assets by id (absent when no asset bears interest). */
  interest?: Map<string, InterestState>;
  /** The same orders per subaccount key (no entry for a subaccount without orders). */
  readonly ordersBySub: Map<string, Map<string, Order>>;
}

/**
 * The engine state as everything outside the engine sees it (`engine.state`): every map, set and
 * field read-only, so the only way to change the state is a command. Read functions (figures,
 * reports, risk screens, invariant checks) take these types; evolve writes the mutable ones above,
 * which are assignable to them. Configuration objects (markets, assets, policy, oracle) are the
 * validated configurations, replaced whole by commands and never changed in place; their fields
 * keep their own types.
 */
export type ReadonlyPosition = Readonly<Position>;

export interface ReadonlySubaccount {
  readonly key: string;
  readonly ref: Readonly<SubaccountRef>;
  readonly balances: ReadonlyMap<string, bigint>;
  readonly positions: ReadonlyMap<string, ReadonlyPosition>;
  readonly isolatedMarkets: ReadonlySet<string>;
  readonly maxLeverage: ReadonlyMap<string, bigint>;
  readonly portfolioMargin?: boolean | undefined;
  readonly eModeCategory?: number | undefined;
}

export interface ReadonlyMarketState extends Readonly<Omit<MarketState, 'holders' | 'oracle'>> {
  readonly holders: ReadonlySet<string>;
  readonly oracle: { readonly config: OracleConfig; readonly state: Readonly<OracleState> } | undefined;
}

type StateMaps =
  | 'assets'
  | 'markets'
  | 'assetPricesPx8'
  | 'exchangeRates18'
  | 'subaccounts'
  | 'insurance'
  | 'netDeposits'
  | 'accountWindows'
  | 'marketWindows'
  | 'lastPartialMs'
  | 'liquidationStartMs'
  | 'insuranceLossWindows'
  | 'commandIds'
  | 'orders'
  | 'ordersBySub'
  | 'interest';

export interface ReadonlyEngineState extends Readonly<Omit<EngineState, StateMaps>> {
  readonly assets: ReadonlyMap<string, AssetConfig>;
  readonly markets: ReadonlyMap<string, ReadonlyMarketState>;
  readonly assetPricesPx8: ReadonlyMap<string, bigint>;
  readonly exchangeRates18: ReadonlyMap<string, bigint>;
  readonly subaccounts: ReadonlyMap<string, ReadonlySubaccount>;
  readonly insurance: ReadonlyMap<string, bigint>;
  readonly netDeposits: ReadonlyMap<string, bigint>;
  readonly accountWindows: ReadonlyMap<string, Readonly<LiquidationWindow>>;
  readonly marketWindows: ReadonlyMap<string, Readonly<LiquidationWindow>>;
  readonly lastPartialMs: ReadonlyMap<string, number>;
  readonly liquidationStartMs?: ReadonlyMap<string, number>;
  readonly insuranceLossWindows?: ReadonlyMap<string, Readonly<LiquidationWindow>>;
  readonly commandIds: ReadonlyMap<string, CommandOutcome>;
  readonly orders: ReadonlyMap<string, Readonly<Order>>;
  readonly ordersBySub: ReadonlyMap<string, ReadonlyMap<string, Readonly<Order>>>;
  readonly interest?: ReadonlyMap<
    string,
    Readonly<Omit<InterestState, 'scaled'>> & { readonly scaled: ReadonlyMap<string, bigint> }
  >;
}
/** What a repeated command id is answered with. */
export type CommandOutcome =
  | { readonly ok: true; readonly digest: string; readonly firstSeq: number; readonly count: number }
  | {
      readonly ok: false;
      readonly digest: string;
      readonly rejection: Rejection;
    };

/** Command ids remembered when the configuration does not say (FIFO: the oldest is forgotten first). */
export const DEFAULT_COMMAND_ID_RETENTION = 100_000;

export function subaccountKey(ref: SubaccountRef): string {
  return `${ref.account}/${ref.sub}`;
}

/**
 * Shared empty collections (copy on write). Most subaccounts never set a leverage cap and trade
 * no market in isolated mode, and V8 allocates a hash table even for an empty Map or Set
 * (~250 bytes each): at a million subaccounts, one private empty set and map each cost ~0.45 GB.
 * Every subaccount without caps or isolated markets points at these two instances instead;
 * `ownIsolatedMarkets` / `ownMaxLeverage` give a subaccount its own collection before the
 * first change. Their mutators throw (non-enumerable own properties, so the instances still
 * compare and iterate as a plain empty Set and Map): a write that bypasses the copy fails
 * loudly instead of changing every subaccount at once.
 */
function frozenEmpty<T extends Set<string> | Map<string, bigint>>(c: T, mutators: readonly string[]): T {
  for (const m of mutators)
    Object.defineProperty(c, m, {
      enumerable: false,
      value: () => {
        throw new TypeError(`shared empty collection: ${m} needs the subaccount's own copy`);
      },
    });
  return c;
}
export const NO_ISOLATED_MARKETS: ReadonlySet<string> = frozenEmpty(new Set<string>(), [
  'add',
  'delete',
  'clear',
]);
export const NO_LEVERAGE_CAPS: ReadonlyMap<string, bigint> = frozenEmpty(new Map<string, bigint>(), [
  'set',
  'delete',
  'clear',
]);

/** The subaccount's isolated-market set, its own (copied from the shared empty one if needed). */
export function ownIsolatedMarkets(s: Subaccount): Set<string> {
  if (s.isolatedMarkets === NO_ISOLATED_MARKETS) s.isolatedMarkets = new Set();
  return s.isolatedMarkets;
}

/** The subaccount's leverage caps, its own (copied from the shared empty map if needed). */
export function ownMaxLeverage(s: Subaccount): Map<string, bigint> {
  if (s.maxLeverage === NO_LEVERAGE_CAPS) s.maxLeverage = new Map();
  return s.maxLeverage;
}

export function emptySubaccount(ref: SubaccountRef): Subaccount {
  return {
    key: subaccountKey(ref),
    ref: { account: ref.account, sub: ref.sub },
    balances: new InlineMap2(),
    positions: new InlineMap(),
    isolatedMarkets: NO_ISOLATED_MARKETS as Set<string>,
    maxLeverage: NO_LEVERAGE_CAPS as Map<string, bigint>,
    portfolioMargin: false,
  };
}

/** Whether the market's oracle has it in safe mode (risk-increasing trades and withdrawals refused). */
export function inSafeMode(market: ReadonlyMarketState): boolean {
  return market.oracle?.state.safeMode.active === true;
}
