/**
 * The checks a signed route makes before its handler runs, in one place so the single-process
 * service and the cluster gateway refuse the same requests with the same errors: the signature
 * (401: UNAUTHENTICATED, UNKNOWN_KEY, STALE_REQUEST, BAD_SIGNATURE, REPLAYED_REQUEST), the key's
 * scope (403 FORBIDDEN) and the key's rate limit (429 RATE_LIMITED). A public route passes
 * without a key. Which accounts a key may touch is the handler's check (access.ts).
 */
import { type ApiKey, Authenticator, hasScope, type RequestToVerify } from './auth.ts';
import { ApiError } from './errors.ts';
import { DEFAULT_RATE_LIMIT, RateLimiter, type RateLimitOptions } from './rate-limit.ts';
import type { RouteDef } from './route.ts';

export interface RequestGuardOptions {
  readonly keys: readonly ApiKey[];
  readonly windowMs?: number;
  readonly rateLimit?: RateLimitOptions;
  readonly now?: () => number;
}

export class RequestGuard {
  private readonly auth: Authenticator;
  private readonly limiter: RateLimiter;

  constructor(opts: RequestGuardOptions) {
    this.auth = new Authenticator({
      keys: opts.keys,
      ...(opts.windowMs === undefined ? {} : { windowMs: opts.windowMs }),
      ...(opts.now === undefined ? {} : { now: opts.now }),
    });
    this.limiter = new RateLimiter({
      ...(opts.rateLimit ?? DEFAULT_RATE_LIMIT),
      ...(opts.now === undefined ? {} : { now: opts.now }),
    });
  }

  /**
   * The key that may call route `r` with this request (undefined for a public route); throws
   * ApiError otherwise. `verified` hears the key once its signature holds (for the request log),
   * before the scope and rate checks.
   */
  check(
    r: Pick<RouteDef, 'auth' | 'method' | 'path'>,
    req: RequestToVerify,
    verified?: (key: ApiKey) => void,
  ): ApiKey | undefined {
    if (r.auth === 'public') return undefined;
    const key = this.auth.verify(req);
    verified?.(key);
    if (!hasScope(key, r.auth))
      throw new ApiError(
        'FORBIDDEN',
        `this key's scopes (${key.scopes.join(', ')}) may not call ${r.method.toUpperCase()} ${r.path}`,
      );
    this.limiter.take(key.id);
    return key;
  }
}
