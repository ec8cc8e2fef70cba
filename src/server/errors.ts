/**
 * The API's error shape and the one table mapping every error code to an HTTP status.
 *
 * Every failure leaves the service as `{code, message, details?}` (never a stack trace). Engine
 * rejections keep their stable codes (src/core/model/rejection.ts); the service adds its own codes
 * for transport problems (malformed JSON, authentication, rate limits). `HTTP_STATUS` is total over
 * both sets, so a new engine code fails to compile until it is given a status.
 */
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Rejection, RejectionCode } from '../core/model/rejection.ts';

/** Codes the service itself produces (the engine never does). */
export const ServerErrorCodes = [
  'MALFORMED_JSON',
  'INVALID_REQUEST',
  'UNAUTHENTICATED',
  'BAD_SIGNATURE',
  'UNKNOWN_KEY',
  'STALE_REQUEST',
  'REPLAYED_REQUEST',
  'FORBIDDEN',
  'NOT_FOUND',
  'BODY_TOO_LARGE',
  'RATE_LIMITED',
  'NOT_READY',
  'SHUTTING_DOWN',
  'INTERNAL',
] as const;
export type ServerErrorCode = (typeof ServerErrorCodes)[number];
export type ApiErrorCode = RejectionCode | ServerErrorCode;

/**
 * One status per code. 400 malformed or invalid input; 401 unauthenticated (missing, unknown,
 * badly signed, stale or replayed requests); 403 a scope or account the key may not use; 404 unknown
 * ids; 409 conflicts (idempotency key reused for another command, a state that forbids the change);
 * 413 body too large; 422 business rejections of a well-formed request; 429 rate limit; 503 the
 * engine cannot take commands (halted, journal failure, safe mode, shutting down).
 */
export const HTTP_STATUS: { readonly [C in ApiErrorCode]: ContentfulStatusCode } = {
  // engine: input
  MALFORMED_COMMAND: 400,
  INVALID_AMOUNT: 400,
  INVALID_PRICE: 400,
  INVALID_SIZE: 400,
  STALE_TIME: 422,
  FUTURE_TIME: 422,
  // engine: references
  UNKNOWN_SUBACCOUNT: 404,
  UNKNOWN_MARKET: 404,
  UNKNOWN_ASSET: 404,
  SAME_SUBACCOUNT: 400,
  // engine: prices
  NO_PRICE: 422,
  PRICE_MOVE_TOO_LARGE: 422,
  FILL_PRICE_DEVIATION: 422,
  PRICE_OUTSIDE_BAND: 422,
  // engine: margin
  INSUFFICIENT_BALANCE: 422,
  INSUFFICIENT_MARGIN: 422,
  LIQUIDATOR_INSUFFICIENT_MARGIN: 422,
  MODE_CHANGE_WITH_POSITION: 409,
  POSITION_TOO_LARGE: 422,
  NOT_BORROWABLE: 422,
  EMODE_MISMATCH: 422,
  // engine: markets
  MARKET_EXPIRED: 409,
  MARKET_NOT_EXPIRED: 409,
  NOT_A_FUTURE: 422,
  FUNDING_TOO_EARLY: 409,
  NOT_A_PERPETUAL: 422,
  MARKET_PAUSED: 409,
  // engine: liquidation
  NOT_LIQUIDATABLE: 422,
  NO_LIQUIDATOR: 422,
  LIQUIDATIONS_PAUSED: 409,
  LIQUIDATION_CAP_REACHED: 429,
  LIQUIDATION_LEAVES_DUST: 422,
  // engine: oracle
  SAFE_MODE: 503,
  NO_ORACLE: 404,
  MARK_FROM_ORACLE: 409,
  // engine: orders
  DUPLICATE_ORDER_ID: 409,
  UNKNOWN_ORDER: 404,
  ORDER_MISMATCH: 409,
  REDUCE_ONLY_REJECTED: 422,
  TOO_MANY_ORDERS: 422,
  // engine: configuration
  INVALID_CONFIG: 400,
  // engine: not business outcomes
  COMMAND_ID_CONFLICT: 409,
  JOURNAL_WRITE_FAILED: 503,
  ENGINE_HALTED: 503,
  // service
  MALFORMED_JSON: 400,
  INVALID_REQUEST: 400,
  UNAUTHENTICATED: 401,
  BAD_SIGNATURE: 401,
  UNKNOWN_KEY: 401,
  STALE_REQUEST: 401,
  REPLAYED_REQUEST: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  BODY_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  NOT_READY: 503,
  SHUTTING_DOWN: 503,
  INTERNAL: 500,
};

export interface ErrorBody {
  readonly code: ApiErrorCode;
  readonly message: string;
  readonly details?: Record<string, unknown>;
}

/** A failure to answer with `{code, message, details?}` and the code's status. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    /** Extra response headers (Retry-After). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }

  get status(): ContentfulStatusCode {
    return HTTP_STATUS[this.code];
  }

  body(): ErrorBody {
    return { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) };
  }

  static fromRejection(r: Rejection): ApiError {
    return new ApiError(r.code, r.message, r.details);
  }
}
