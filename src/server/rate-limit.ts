/**
 * Per-key token buckets: each key may burst `burst` requests and then `ratePerSec` per second.
 * A request beyond that is refused with 429 RATE_LIMITED and a Retry-After (whole seconds), before
 * it reaches the engine. Buckets are created on first use and are per process.
 */
import { ApiError } from './errors.ts';

export interface RateLimitOptions {
  /** Sustained requests per second per key. */
  readonly ratePerSec: number;
  /** Bucket size: requests a key may make at once. */
  readonly burst: number;
  readonly now?: () => number;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { ratePerSec: 200, burst: 400 };

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly now: () => number;

  constructor(private readonly opts: RateLimitOptions) {
    if (!(opts.ratePerSec > 0) || !(opts.burst >= 1))
      throw new Error('rate limit: ratePerSec > 0 and burst >= 1');
    this.now = opts.now ?? Date.now;
  }

  /** Takes one token for `key`; throws ApiError RATE_LIMITED when the bucket is empty. */
  take(key: string): void {
    const now = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.opts.burst, at: now };
    b.tokens = Math.min(this.opts.burst, b.tokens + ((now - b.at) / 1000) * this.opts.ratePerSec);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens < 1) {
      const waitSec = Math.max(1, Math.ceil((1 - b.tokens) / this.opts.ratePerSec));
      throw new ApiError(
        'RATE_LIMITED',
        `rate limit of ${this.opts.ratePerSec}/s (burst ${this.opts.burst}) exceeded for this key`,
        { retryAfterSec: waitSec },
        { 'Retry-After': String(waitSec) },
      );
    }
    b.tokens -= 1;
  }
}
