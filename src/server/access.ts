/**
 * Which key may touch which account: operators any; liquidators read any account's risk; a trader
 * (and a liquidator acting as the receiving side) only the accounts listed on its key. Refused with
 * 403 FORBIDDEN before anything is looked up, so a key cannot even probe foreign ids.
 */
import type { ApiKey } from './auth.ts';
import { ApiError } from './errors.ts';

export function mayRead(key: ApiKey | undefined, account: string): boolean {
  if (!key) return false;
  if (key.scopes.includes('operator') || key.scopes.includes('liquidator')) return true;
  return key.accounts?.includes(account) === true;
}

export function mayMove(key: ApiKey | undefined, account: string): boolean {
  if (!key) return false;
  if (key.scopes.includes('operator')) return true;
  return key.accounts?.includes(account) === true;
}

export function requireRead(key: ApiKey | undefined, account: string): void {
  if (!mayRead(key, account)) throw new ApiError('FORBIDDEN', `this key may not read account ${account}`);
}

export function requireMove(key: ApiKey | undefined, account: string): void {
  if (!mayMove(key, account)) throw new ApiError('FORBIDDEN', `this key may not act on account ${account}`);
}
