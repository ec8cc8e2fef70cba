/**
 * Wire pieces shared by the route schemas: ids, subaccount references, the idempotency key and
 * milliseconds. Field names follow ccxt's unified API where one exists (`symbol` for our market id,
 * `side`, `contracts`, `marginMode`, `collateral`, `notional`, …).
 */
import { z } from 'zod';
import { COMMAND_ID_PATTERN } from '../../core/engine/commands.ts';

export const idString = z
  .string()
  .min(1)
  .max(64)
  .regex(/^(?!(?:__proto__|constructor|prototype)$)[A-Za-z0-9_.:-]+$/, {
    error: 'ids use 1-64 letters, digits and _ . : -',
  });

/** An account id and its subaccount ("0" when omitted). */
export const subaccountRef = z.strictObject({ account: idString, sub: idString.optional() });

/** Client idempotency key: a repeat with the same key returns the first outcome and changes nothing. */
export const commandId = z
  .string()
  .regex(COMMAND_ID_PATTERN, { error: 'commandId: 1-128 letters, digits and _ . : -' })
  .optional()
  .meta({ description: 'idempotency key (1-128 letters, digits and _ . : -)' });

export const timeMs = z.number().int().min(0).max(8_640_000_000_000_000);

/** Engine ref from a wire ref. */
export function toRef(r: { account: string; sub?: string | undefined }): { account: string; sub: string } {
  return { account: r.account, sub: r.sub ?? '0' };
}
