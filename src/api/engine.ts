/**
 * `plimsoll/engine`: the engine a venue embeds — validated commands in, sequenced
 * events out, state = fold(events) — with the figures it reads from that state
 * (equity, IM, MM, health, liquidation and bankruptcy prices) and the checks that
 * prove a run sound (state hash after replay, ledger sums for conservation), and the
 * read-only risk views a venue's API serves (docs/risk-views.md): the margin breakdown, the
 * what-if simulator, the ADL queue, the insurance fund and the socialized-loss ledger.
 *
 * This file only re-exports: it is the published surface, so internal modules
 * can move without breaking importers.
 */

export {
  type BracketTier,
  type CollateralBreakdown,
  type MarginBreakdown,
  type ModelBreakdown,
  marginBreakdown,
  type PortfolioBreakdown,
  type PositionBreakdown,
  type RoundedAmount,
  type ScopeBreakdown,
} from '../core/account/breakdown.ts';
export {
  crossView,
  evaluate,
  isLiquidatable,
  isolatedView,
  marginRatioPpm,
  type Scope,
  type ScopeFigures,
  type ScopeView,
  scopeName,
  viewOf,
} from '../core/account/figures.ts';
export { MissingPriceError } from '../core/account/prices.ts';
export {
  bankruptcyPrice,
  liquidationPrice,
  type OpenOrderReport,
  type ReportOptions,
  type ScopeReport,
  type SubaccountReport,
  subaccountReport,
} from '../core/account/report.ts';
export {
  type ScopeChange,
  type WhatIfCashflow,
  WhatIfError,
  type WhatIfErrorCode,
  type WhatIfResult,
  type WhatIfScenario,
  type WhatIfTrade,
  whatIf,
} from '../core/calculator/what-if.ts';
export {
  decodeEvent,
  decodeSnapshot,
  encodeEvent,
  encodeSnapshot,
  stateHash,
  stateToPlain,
} from '../core/engine/codec.ts';
export {
  type Command,
  type CommandInput,
  CommandSchema,
  type CommandType,
  PlaceOrderSchema,
} from '../core/engine/commands.ts';
export {
  ConfigError,
  Engine,
  EngineRejectedError,
  type ExecuteResult,
  type JournalPort,
  parseEngineConfig,
} from '../core/engine/engine.ts';
export { type Rejection, type RejectionCode, RejectionCodes } from '../core/engine/errors.ts';
export type {
  EngineEvent,
  EventType,
  OrderCancelReason,
  OrderRecord,
  Sequenced,
} from '../core/engine/events.ts';
export { type LedgerSum, ledgerSums } from '../core/engine/invariants.ts';
export {
  emptyLossLedger,
  foldLossLedger,
  type InsuranceFundView,
  insuranceFund,
  type LossLedger,
  type LossLedgerView,
  lossLedgerFrom,
  lossLedgerView,
  type SocializedLoss,
  socializedLossLedger,
} from '../core/engine/loss-ledger.ts';
export {
  checkOrder,
  type OrderCheck,
  type OrderCheckFigures,
  type OrderCheckInput,
} from '../core/engine/order-check.ts';
export { MAX_OPEN_ORDERS_PER_SUBACCOUNT } from '../core/engine/orders.ts';
export {
  type AdlQueueEntry,
  adlQueueView,
  type MarketAdlQueue,
  UnknownMarketError,
} from '../core/liquidation/adl-queue.ts';
export type { AssetConfig, MarketConfig, MarketConfigInput } from '../core/model/config.ts';
export {
  type EngineConfig,
  type EngineConfigInput,
  EngineConfigSchema,
  type Guards,
  type LiquidationPolicy,
  type SubaccountRef,
} from '../core/model/engine-config.ts';
export type {
  Order,
  ReadonlyEngineState,
  ReadonlyMarketState,
  ReadonlyPosition,
  ReadonlySubaccount,
} from '../core/model/state.ts';
export { subaccountKey } from '../core/model/state.ts';
