/**
 * The shape of a business outcome that is not an event: a Rejection with a stable code.
 * Codes are grouped by area and never reused. It sits in the model (below the engine) because
 * the state remembers the rejections of commands that carried a client command id.
 */
export const RejectionCodes = [
  // input
  'MALFORMED_COMMAND',
  'INVALID_AMOUNT',
  'INVALID_PRICE',
  'INVALID_SIZE',
  'STALE_TIME',
  'FUTURE_TIME',
  // references
  'UNKNOWN_SUBACCOUNT',
  'UNKNOWN_MARKET',
  'UNKNOWN_ASSET',
  'SAME_SUBACCOUNT',
  // prices
  'NO_PRICE',
  'PRICE_MOVE_TOO_LARGE',
  'FILL_PRICE_DEVIATION',
  'PRICE_OUTSIDE_BAND',
  // margin
  'INSUFFICIENT_BALANCE',
  'INSUFFICIENT_MARGIN',
  'LIQUIDATOR_INSUFFICIENT_MARGIN',
  'MODE_CHANGE_WITH_POSITION',
  'POSITION_TOO_LARGE',
  'NOT_BORROWABLE',
  'EMODE_MISMATCH',
  // markets
  'MARKET_EXPIRED',
  'MARKET_NOT_EXPIRED',
  'NOT_A_FUTURE',
  'FUNDING_TOO_EARLY',
  'NOT_A_PERPETUAL',
  'MARKET_PAUSED',
  // liquidation
  'NOT_LIQUIDATABLE',
  'NO_LIQUIDATOR',
  'LIQUIDATIONS_PAUSED',
  'LIQUIDATION_CAP_REACHED',
  'LIQUIDATION_LEAVES_DUST',
  // oracle
  'SAFE_MODE',
  'NO_ORACLE',
  'MARK_FROM_ORACLE',
  // orders
  'DUPLICATE_ORDER_ID',
  'UNKNOWN_ORDER',
  'ORDER_MISMATCH',
  'REDUCE_ONLY_REJECTED',
  'TOO_MANY_ORDERS',
  // configuration
  'INVALID_CONFIG',
  // engine (not business outcomes: never remembered under a command id)
  'COMMAND_ID_CONFLICT',
  'JOURNAL_WRITE_FAILED',
  'ENGINE_HALTED',
] as const;
export type RejectionCode = (typeof RejectionCodes)[number];

export interface Rejection {
  readonly code: RejectionCode;
  readonly message: string;
  readonly details?: Record<string, unknown>;
}
