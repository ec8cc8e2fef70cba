/**
 * API keys and HMAC-signed requests.
 *
 * A key has an id, a secret and scopes (`trader`, `feed`, `liquidator`, `venue`, `operator`); a
 * trader key is bound to its `accounts`. A request is signed like Binance, Bybit and OKX do it:
 *
 *   PLIM-KEY:       the key id
 *   PLIM-TIMESTAMP: ms since the epoch
 *   PLIM-NONCE:     a fresh random string (8-64 chars)
 *   PLIM-SIGNATURE: hex HMAC-SHA256(secret, timestamp \n nonce \n METHOD \n path?query \n body)
 *
 * The secret never crosses the wire, the signature covers the body (integrity), and a request is
 * accepted once: within ±windowMs of the server clock, and only if its nonce was not seen in that
 * window (a replay is refused with REPLAYED_REQUEST). Signatures are compared in constant time.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { ApiError } from './errors.ts';
import { idString } from './wire/common.ts';

export const Scopes = ['trader', 'feed', 'liquidator', 'venue', 'operator'] as const;
export type Scope = (typeof Scopes)[number];

export const ApiKeySchema = z.strictObject({
  id: idString,
  secret: z.string().min(32).max(256),
  scopes: z.array(z.enum(Scopes)).min(1),
  /** The accounts a trader key may read and move; absent = none (operators see all). */
  accounts: z.array(idString).optional(),
});
export type ApiKey = z.infer<typeof ApiKeySchema>;
export const ApiKeysSchema = z.array(ApiKeySchema).superRefine((keys, ctx) => {
  const ids = new Set<string>();
  for (const k of keys) {
    if (ids.has(k.id)) ctx.addIssue({ code: 'custom', message: `duplicate key id ${k.id}` });
    ids.add(k.id);
  }
});

export const HEADER_KEY = 'plim-key';
export const HEADER_TIMESTAMP = 'plim-timestamp';
export const HEADER_NONCE = 'plim-nonce';
export const HEADER_SIGNATURE = 'plim-signature';
export const DEFAULT_WINDOW_MS = 5_000;

/** The exact text that is signed. */
export function signingPayload(
  timestamp: string,
  nonce: string,
  method: string,
  pathQuery: string,
  body: string,
): string {
  return `${timestamp}\n${nonce}\n${method.toUpperCase()}\n${pathQuery}\n${body}`;
}

export function sign(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('hex');
}

/** Headers for a signed request (used by the client, tests and the bench). */
export function signedHeaders(
  key: { id: string; secret: string },
  method: string,
  pathQuery: string,
  body: string,
  now: number = Date.now(),
  nonce: string = randomBytes(12).toString('hex'),
): Record<string, string> {
  const timestamp = String(now);
  return {
    'PLIM-KEY': key.id,
    'PLIM-TIMESTAMP': timestamp,
    'PLIM-NONCE': nonce,
    'PLIM-SIGNATURE': sign(key.secret, signingPayload(timestamp, nonce, method, pathQuery, body)),
  };
}

/** Nonces seen within the window, forgotten once older than it (bounded memory). */
class NonceCache {
  private readonly seen = new Map<string, number>();
  constructor(private readonly windowMs: number) {}

  /** false if `keyId/nonce` was seen within the window; otherwise remembers it. */
  claim(keyId: string, nonce: string, now: number): boolean {
    this.expire(now);
    const k = `${keyId}\n${nonce}`;
    if (this.seen.has(k)) return false;
    this.seen.set(k, now);
    return true;
  }

  private expire(now: number): void {
    // insertion order is arrival order: drop from the front until a fresh one
    for (const [k, t] of this.seen) {
      if (now - t <= 2 * this.windowMs) break;
      this.seen.delete(k);
    }
  }
}

export interface AuthOptions {
  readonly keys: readonly ApiKey[];
  readonly windowMs?: number;
  readonly now?: () => number;
}

export interface RequestToVerify {
  readonly method: string;
  readonly pathQuery: string;
  readonly body: string;
  header(name: string): string | undefined;
}

/** Verifies signed requests against a key set. */
export class Authenticator {
  private readonly byId: Map<string, ApiKey>;
  private readonly nonces: NonceCache;
  private readonly windowMs: number;
  private readonly now: () => number;

  constructor(opts: AuthOptions) {
    this.byId = new Map(opts.keys.map((k) => [k.id, k]));
    this.windowMs = opts.windowMs ?? DEFAULT_WINDOW_MS;
    this.nonces = new NonceCache(this.windowMs);
    this.now = opts.now ?? Date.now;
  }

  /** The key that signed the request; throws ApiError (401) otherwise. Claims the nonce last. */
  verify(req: RequestToVerify): ApiKey {
    const keyId = req.header(HEADER_KEY);
    const ts = req.header(HEADER_TIMESTAMP);
    const nonce = req.header(HEADER_NONCE);
    const sig = req.header(HEADER_SIGNATURE);
    if (!keyId || !ts || !nonce || !sig)
      throw new ApiError(
        'UNAUTHENTICATED',
        'signed request required: PLIM-KEY, PLIM-TIMESTAMP, PLIM-NONCE, PLIM-SIGNATURE',
      );
    const key = this.byId.get(keyId);
    if (!key) throw new ApiError('UNKNOWN_KEY', 'unknown API key');
    if (!/^[0-9]{1,16}$/.test(ts))
      throw new ApiError('STALE_REQUEST', 'PLIM-TIMESTAMP must be ms since the epoch');
    if (!/^[A-Za-z0-9_-]{8,64}$/.test(nonce))
      throw new ApiError('UNAUTHENTICATED', 'PLIM-NONCE must be 8-64 letters, digits, _ or -');
    const now = this.now();
    const skew = Number(ts) - now;
    if (Math.abs(skew) > this.windowMs)
      throw new ApiError(
        'STALE_REQUEST',
        `PLIM-TIMESTAMP is outside ±${this.windowMs} ms of the server clock`,
        {
          serverTime: now,
        },
      );
    const expected = Buffer.from(
      sign(key.secret, signingPayload(ts, nonce, req.method, req.pathQuery, req.body)),
      'hex',
    );
    const wellFormed = /^[0-9a-fA-F]{64}$/.test(sig);
    const given = wellFormed ? Buffer.from(sig, 'hex') : Buffer.alloc(32);
    // compare even a malformed one, so the time taken says nothing about the secret
    if (!timingSafeEqual(expected, given) || !wellFormed)
      throw new ApiError('BAD_SIGNATURE', 'signature does not match the request');
    if (!this.nonces.claim(key.id, nonce, now))
      throw new ApiError('REPLAYED_REQUEST', 'this nonce was already used: sign every request afresh');
    return key;
  }
}

export function hasScope(key: ApiKey, scopes: readonly Scope[]): boolean {
  return key.scopes.some((s) => scopes.includes(s));
}

/** True when the key may act on `account`: an operator on any, a trader on its own. */
export function mayActOn(key: ApiKey, account: string): boolean {
  if (key.scopes.includes('operator')) return true;
  return key.accounts?.includes(account) === true;
}

/** Reads and validates a keys file; throws Error with a readable message. */
export function loadKeys(path: string): ApiKey[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read keys file ${path}: ${(e as Error).message}`);
  }
  const r = ApiKeysSchema.safeParse(raw);
  if (!r.success) throw new Error(`invalid keys file ${path}: ${z.prettifyError(r.error)}`);
  return r.data;
}

/** A fresh secret: 32 random bytes, hex. */
export function newSecret(): string {
  return randomBytes(32).toString('hex');
}

/**
 * The keys a first start generates (mode 0600): one per role, and a trader key for account
 * `alice`, so a newcomer can sign requests at once. Returns them (existing file: read as is).
 */
export function ensureKeysFile(path: string): { keys: ApiKey[]; created: boolean } {
  if (existsSync(path)) return { keys: loadKeys(path), created: false };
  const keys: ApiKey[] = [
    { id: 'operator', secret: newSecret(), scopes: ['operator'] },
    { id: 'feed', secret: newSecret(), scopes: ['feed'] },
    { id: 'venue', secret: newSecret(), scopes: ['venue'] },
    { id: 'liquidator', secret: newSecret(), scopes: ['liquidator'], accounts: ['liquidator'] },
    { id: 'alice', secret: newSecret(), scopes: ['trader'], accounts: ['alice'] },
  ];
  writeFileSync(path, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return { keys, created: true };
}

/**
 * The keys a service answers with: the `explicit` file (which must exist and hold keys), or the
 * `fallback` file, generated on a first start. Throws Error with a readable message; the
 * single-process service and the cluster gateway take their keys this same way.
 */
export function openKeysFile(
  explicit: string | undefined,
  fallback: string,
): { keys: ApiKey[]; file: string; created: boolean } {
  const file = resolve(explicit ?? fallback);
  let keys: ApiKey[];
  let created = false;
  if (explicit !== undefined) keys = loadKeys(file);
  else ({ keys, created } = ensureKeysFile(file));
  if (keys.length === 0) throw new Error(`no API keys in ${file}`);
  return { keys, file, created };
}
