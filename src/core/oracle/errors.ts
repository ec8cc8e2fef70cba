/**
 * Oracle rejections: a bad observation is refused with a stable, typed code,
 * counted in the market's OracleState, and never applied to any price.
 *
 * Codes are grouped by what is wrong; they are never reused. The engine can
 * surface them as they are (they all start with ORACLE_).
 */

export const OracleRejectionCodes = [
  // shape
  /** Not an object, unknown `kind`, or a required field missing / of the wrong type. */
  'ORACLE_MALFORMED',
  /** `source` is not configured for this market. */
  'ORACLE_UNKNOWN_SOURCE',
  // values
  /** Price is not a plain decimal string with ≤ 8 places (NaN, exponent, number), or ≤ 0, or absurd. */
  'ORACLE_BAD_PRICE',
  /** Confidence half-width is malformed or negative. */
  'ORACLE_BAD_CONFIDENCE',
  /** Volume / size is malformed or negative. */
  'ORACLE_BAD_VOLUME',
  /** Book snapshot with impact bid above impact ask. */
  'ORACLE_CROSSED_BOOK',
  // time
  /** timestampMs is not a non-negative safe integer. */
  'ORACLE_BAD_TIMESTAMP',
  /** timestampMs is later than now + maxFutureSkewMs. */
  'ORACLE_FUTURE_TIMESTAMP',
  /** timestampMs is earlier than the last accepted observation of the same source (or input kind). */
  'ORACLE_OUT_OF_ORDER',
  /** A step whose nowMs is earlier than the previous step's. */
  'ORACLE_TIME_BACKWARDS',
  // plausibility
  /** Further than maxPrintDeviation from the current majority-backed index (a fat-finger / 10x print). */
  'ORACLE_IMPLAUSIBLE_PRICE',
] as const;
export type OracleRejectionCode = (typeof OracleRejectionCodes)[number];

/** A refused observation or step. `index` is the position of the input in its step (null for the step). */
export interface OracleRejection {
  readonly code: OracleRejectionCode;
  readonly message: string;
  readonly index: number | null;
  readonly details?: Readonly<Record<string, string | number | null>>;
}

export function oracleRejection(
  code: OracleRejectionCode,
  message: string,
  index: number | null,
  details?: Record<string, string | number | null>,
): OracleRejection {
  return details === undefined ? { code, message, index } : { code, message, index, details };
}
