/** The error table: every engine rejection code and every service code has exactly one HTTP status. */
import { describe, expect, it } from 'vitest';
import { RejectionCodes } from '../core/model/rejection.ts';
import { ApiError, HTTP_STATUS, ServerErrorCodes } from './errors.ts';

describe('HTTP_STATUS', () => {
  it('maps every engine rejection code and every service code, and nothing else', () => {
    const all = [...RejectionCodes, ...ServerErrorCodes];
    expect(Object.keys(HTTP_STATUS).sort()).toEqual([...new Set(all)].sort());
    for (const code of all) expect(HTTP_STATUS[code]).toBeGreaterThanOrEqual(400);
  });

  it.each([
    ['MALFORMED_COMMAND', 400],
    ['INVALID_REQUEST', 400],
    ['MALFORMED_JSON', 400],
    ['UNAUTHENTICATED', 401],
    ['REPLAYED_REQUEST', 401],
    ['STALE_REQUEST', 401],
    ['BAD_SIGNATURE', 401],
    ['FORBIDDEN', 403],
    ['UNKNOWN_SUBACCOUNT', 404],
    ['UNKNOWN_MARKET', 404],
    ['COMMAND_ID_CONFLICT', 409],
    ['BODY_TOO_LARGE', 413],
    ['INSUFFICIENT_MARGIN', 422],
    ['INSUFFICIENT_BALANCE', 422],
    ['NOT_LIQUIDATABLE', 422],
    ['RATE_LIMITED', 429],
    ['ENGINE_HALTED', 503],
    ['JOURNAL_WRITE_FAILED', 503],
    ['SAFE_MODE', 503],
  ] as const)('%s → %i', (code, status) => {
    expect(HTTP_STATUS[code]).toBe(status);
  });

  it('an ApiError carries its code, message and details, and nothing of a stack', () => {
    const e = ApiError.fromRejection({
      code: 'INSUFFICIENT_MARGIN',
      message: 'short by 5',
      details: { shortfall: '5' },
    });
    expect(e.status).toBe(422);
    expect(e.body()).toEqual({
      code: 'INSUFFICIENT_MARGIN',
      message: 'short by 5',
      details: { shortfall: '5' },
    });
  });
});
