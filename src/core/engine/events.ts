/**
 * Events: the facts the engine records. state = fold(evolve, events). Each event
 * carries everything `evolve` needs; informational fields (figures before/after)
 * make the journal an audit trail a risk team can read.
 */

import type { AssetConfig, MarketConfig } from '../model/config.ts';
import type {
  EngineConfig,
  EnginePortfolio,
  Guards,
  LiquidationPolicy,
  SubaccountRef,
} from '../model/engine-config.ts';
import type { Rejection } from '../model/rejection.ts';
import type { OracleConfig } from '../oracle/config.ts';
import type { OracleTransition } from '../oracle/oracle.ts';

/** A place money can sit. `external` is the outside world (deposits come from it). */
export type Ledger =
  | { kind: 'external' }
  | { kind: 'balance'; sub: string }
  | { kind: 'isolated'; sub: string; market: string }
  | { kind: 'insurance' }
  | { kind: 'fees' }
  | { kind: 'socialized' };

export type MoveReason =
  | 'deposit'
  | 'withdrawal'
  | 'transfer'
  | 'isolated_margin'
  | 'trading_fee'
  | 'liquidation_fee'
  | 'insurance_cover'
  | 'insurance_funding'
  | 'collateral_seized'
  | 'socialized_loss'
  | 'isolated_release'
  | 'backstop_takeover'
  | 'borrow'
  | 'debt_repaid';

/** Why a resting order left the book (or was trimmed) other than by filling. */
export type OrderCancelReason = 'user' | 'liquidation' | 'expiry' | 'reduce_only';

/** A resting order as the events record it (order ids are unique among open orders). */
export interface OrderRecord {
  readonly id: string;
  /** Subaccount key. */
  readonly sub: string;
  readonly market: string;
  readonly side: 'buy' | 'sell';
  readonly sizeQty9: bigint;
  readonly pricePx8: bigint;
  readonly reduceOnly: boolean;
}

export type TradeReason = 'fill' | 'liquidation' | 'backstop' | 'adl';

export type EngineEvent =
  | { type: 'engine_configured'; config: EngineConfig }
  | { type: 'subaccount_opened'; ref: SubaccountRef }
  | { type: 'moved'; from: Ledger; to: Ledger; asset: string; amount: bigint; reason: MoveReason }
  | { type: 'margin_mode_set'; sub: string; market: string; isolated: boolean }
  | { type: 'leverage_set'; sub: string; market: string; maxLeverage: bigint | null }
  | { type: 'portfolio_margin_set'; sub: string; enabled: boolean }
  | { type: 'emode_set'; sub: string; category: number }
  | {
      type: 'prices_updated';
      timeMs: number;
      marks: [string, bigint][];
      assets: [string, bigint][];
      exchangeRates: [string, bigint][];
    }
  | {
      type: 'traded';
      market: string;
      buyer: string;
      seller: string;
      sizeQty9: bigint;
      pricePx8: bigint;
      /** Quote value size × price, computed once so both sides use the same number. */
      valueQuote: bigint;
      reason: TradeReason;
    }
  /** A limit order rests (docs/orders.md); its initial margin is reserved from now on. */
  | { type: 'order_placed'; order: OrderRecord }
  /** New remaining size and limit price ('user' amend, or 'reduce_only' trim of a reduce-only order). */
  | {
      type: 'order_amended';
      orderId: string;
      sizeQty9: bigint;
      pricePx8: bigint;
      reason: 'user' | 'reduce_only';
    }
  | { type: 'order_cancelled'; orderId: string; reason: OrderCancelReason }
  /** `sizeQty9` of the order filled (by the `traded` event just before); removed when nothing remains. */
  | { type: 'order_filled'; orderId: string; sizeQty9: bigint }
  | { type: 'funding_settled'; market: string; timeMs: number; rate9: bigint; indexDelta18: bigint }
  /**
   * Lazy funding (`settle_funding`): the position's unsettled funding, `amountQuote` (< 0: paid),
   * moves between its margin and the market's funding pool; it is settled at its side's index.
   */
  | { type: 'position_funding_settled'; sub: string; market: string; amountQuote: bigint }
  /**
   * Interest on an interest-bearing asset over `elapsedMs` (collateral/interest.ts): the yearly
   * rates at the utilization then (rays), the new cumulative indexes, every balance read again
   * at them, and `protocolAmount` = interest paid − interest received booked to the insurance fund.
   */
  | {
      type: 'interest_accrued';
      asset: string;
      timeMs: number;
      elapsedMs: number;
      utilization: bigint;
      borrowRate: bigint;
      depositRate: bigint;
      depositIndex: bigint;
      borrowIndex: bigint;
      interestPaid: bigint;
      interestReceived: bigint;
      protocolAmount: bigint;
    }
  /** A dated future settles at pricePx8; an option at its intrinsic value pricePx8 on underlyingPx8. */
  | { type: 'expiry_settled'; market: string; pricePx8: bigint; underlyingPx8?: bigint }
  /**
   * Loss socialized through the funding index (policy `socializeVia: 'funding_index'`): `amount`
   * is charged to the open positions on `side` of `market` pro rata to size (largest remainder,
   * ties by subaccount key, so Σ charged = amount exactly) and credited to `to`.
   */
  | {
      type: 'loss_socialized';
      market: string;
      /** 'both': every open position of the market except `exclude` (the bankrupt subaccount), pro rata to |size|. */
      side: 'long' | 'short' | 'both';
      to: Ledger;
      amount: bigint;
      exclude?: string;
    }
  | {
      type: 'liquidation_started';
      sub: string;
      scope: string;
      mode: 'partial' | 'full' | 'bankrupt' | 'backstop';
      equityQuote: bigint;
      maintenanceQuote: bigint;
    }
  | {
      type: 'liquidation_completed';
      sub: string;
      scope: string;
      market: string;
      mode: 'partial' | 'full' | 'bankrupt' | 'backstop';
      timeMs: number;
      closedQty9: bigint;
      closedNotionalQuote: bigint;
      liquidatorRewardQuote: bigint;
      insuranceFeeQuote: bigint;
      healthBeforeQuote: bigint;
      healthAfterQuote: bigint;
      /**
       * Under a time-ramped penalty (policy penalty `drift`): when the scope entered liquidation,
       * present while the scope stays in liquidation after this step (absent: it has left it).
       */
      liquidationStartMs?: number;
      /** Under `maxInsuranceLossPerWindow`: the insurance fund's cover paid to the scope in this step. */
      insuranceCoverQuote?: bigint;
    }
  | { type: 'adl_ranked'; market: string; bankrupt: string; counterparty: string; score: bigint }
  /** Raw oracle inputs at timeMs; evolve re-runs the pure oracle step, so replay reproduces it exactly. */
  | { type: 'oracle_stepped'; market: string; timeMs: number; inputs: unknown[] }
  /** Index reliable/unreliable, breaker tripped/released, safe mode entered/exited (informational). */
  | { type: 'oracle_transition'; market: string; transition: OracleTransition }
  | { type: 'oracle_configured'; config: OracleConfig }
  | { type: 'market_configured'; config: MarketConfig }
  | { type: 'asset_configured'; config: AssetConfig }
  | { type: 'market_paused'; market: string; paused: boolean }
  /** The operator forced the market into safe mode (forced: true) or released the force. */
  | { type: 'safe_mode_forced'; market: string; forced: boolean }
  | { type: 'policy_set'; policy: LiquidationPolicy; guards: Guards }
  /** The portfolio margin model offered to subaccounts (null: none). */
  | { type: 'portfolio_model_set'; portfolio: EnginePortfolio | null }
  /**
   * Closes the events of a command that carried a client command id: the `count` events before
   * this one (seqs firstSeq .. firstSeq + count − 1) are its outcome. `digest` identifies the
   * validated command, so a different command under the same id is told apart.
   */
  | { type: 'command_accepted'; commandId: string; digest: string; firstSeq: number; count: number }
  /** A command with a client command id was rejected: a repeat gets the same rejection. */
  | {
      type: 'command_rejected';
      commandId: string;
      digest: string;
      rejection: Rejection;
    };

export type EventType = EngineEvent['type'];
export type Sequenced<E extends EngineEvent = EngineEvent> = E & { seq: number };
