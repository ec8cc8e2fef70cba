/**
 * Business outcomes are values: a command either yields events or a Rejection
 * with a stable code. Codes are grouped by area and never reused.
 */
import { type Rejection, type RejectionCode, RejectionCodes } from '../model/rejection.ts';

export { type Rejection, type RejectionCode, RejectionCodes };

/** Thrown inside command handlers, caught by the engine and returned as a value. */
export class RejectedError extends Error {
  override name = 'RejectedError';
  constructor(readonly rejection: Rejection) {
    super(`${rejection.code}: ${rejection.message}`);
  }
}

export function reject(code: RejectionCode, message: string, details?: Record<string, unknown>): never {
  throw new RejectedError(details === undefined ? { code, message } : { code, message, details });
}
