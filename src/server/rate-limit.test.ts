/** Per-key token buckets: a flood beyond the burst is refused with 429 and Retry-After, per key. */
import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limit.ts';
import { harness, seeded } from './server.testkit.ts';

describe('RateLimiter', () => {
  it('allows the burst, refuses the next, and refills at the rate', () => {
    let now = 0;
    const rl = new RateLimiter({ ratePerSec: 2, burst: 3, now: () => now });
    for (let i = 0; i < 3; i++) rl.take('k');
    expect(() => rl.take('k')).toThrow(/rate limit/);
    rl.take('other');
    now += 500; // one token back at 2/s
    rl.take('k');
    expect(() => rl.take('k')).toThrow();
  });
});

describe('flood', () => {
  it('a key flooding beyond its bucket gets 429 RATE_LIMITED with Retry-After; refused requests change nothing; other keys are unaffected', async () => {
    const h = harness({ rateLimit: { ratePerSec: 1, burst: 5 } });
    await seeded(h); // op 3, feed 1, venue 1 requests
    const before = h.fingerprint();
    const statuses: number[] = [];
    let limited: { status: number; body: { code: string }; headers: Headers } | undefined;
    for (let i = 0; i < 20; i++) {
      const r = await h.call('alice', 'POST', '/v1/withdrawals', {
        account: 'alice',
        asset: 'USDT',
        amount: '0.01',
      });
      statuses.push(r.status);
      if (r.status === 429) limited = r;
    }
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(5);
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(7); // 5 + refill during a slow run
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(13);
    expect(limited?.body.code).toBe('RATE_LIMITED');
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // only the accepted withdrawals moved anything: one event each
    const accepted = statuses.filter((s) => s === 200).length;
    expect(h.fingerprint().seq).toBe(before.seq + accepted);
    expect((await h.call('bob', 'GET', '/v1/accounts/bob')).status).toBe(200);
  });
});
