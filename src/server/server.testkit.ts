/**
 * Test support: an app over an in-memory engine on the binance-usdm preset, keys for every role,
 * and a signed `call` that goes through `app.request()` (no socket).
 */
import { Engine } from '../core/engine/engine.ts';
import { getPreset } from '../core/presets/index.ts';
import { InMemoryJournal } from '../store/memory-journal.ts';
import { createApp, createContext, type PlimsollApp } from './app.ts';
import type { ApiKey } from './auth.ts';
import { signedHeaders } from './auth.ts';
import { DirectSink } from './direct-sink.ts';
import { readRangeOf } from './live.ts';
import { createLogger } from './log.ts';
import type { RateLimitOptions } from './rate-limit.ts';

export const SECRET = 'x'.repeat(64);
export const KEYS: ApiKey[] = [
  { id: 'op', secret: `op${SECRET}`, scopes: ['operator'] },
  { id: 'feed', secret: `feed${SECRET}`, scopes: ['feed'] },
  { id: 'venue', secret: `venue${SECRET}`, scopes: ['venue'] },
  { id: 'liq', secret: `liq${SECRET}`, scopes: ['liquidator'], accounts: ['keeper'] },
  { id: 'alice', secret: `alice${SECRET}`, scopes: ['trader'], accounts: ['alice'] },
  { id: 'bob', secret: `bob${SECRET}`, scopes: ['trader'], accounts: ['bob'] },
];
export const key = (id: string) => KEYS.find((k) => k.id === id)!;

export interface Harness extends PlimsollApp {
  readonly engine: Engine;
  readonly journal: InMemoryJournal;
  /** Signed request by key `keyId` (or unsigned when keyId is undefined). */
  call(
    keyId: string | undefined,
    method: string,
    path: string,
    body?: unknown,
    extraHeaders?: Record<string, string>,
    // biome-ignore lint/suspicious/noExplicitAny: tests read response fields directly
  ): Promise<{ status: number; body: any; headers: Headers }>;
  /** The test keys by id. */
  readonly KEYS_FOR_TEST: Record<string, ApiKey>;
  /** seq and state hash: what a refused request must leave unchanged. */
  fingerprint(): { seq: number; journal: number; hash: string };
}

export const T0 = Date.UTC(2026, 0, 1);

export function harness(opts: { rateLimit?: RateLimitOptions; now?: () => number } = {}): Harness {
  const journal = new InMemoryJournal();
  const now = opts.now ?? Date.now;
  const engine = Engine.create(getPreset('binance-usdm')!.config(), { journal, clock: { now } });
  const sink = new DirectSink(engine);
  const ctx = createContext({
    sink,
    logger: createLogger({ level: 'silent' }),
    now,
    readRange: readRangeOf(journal),
  });
  const built = createApp(ctx, { keys: KEYS, ...(opts.rateLimit ? { rateLimit: opts.rateLimit } : {}) });
  const call: Harness['call'] = async (keyId, method, path, body, extraHeaders = {}) => {
    const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
    const headers: Record<string, string> = { 'content-type': 'application/json', ...extraHeaders };
    if (keyId !== undefined) Object.assign(headers, signedHeaders(key(keyId), method, path, text, now()));
    Object.assign(headers, extraHeaders);
    const res = await built.app.request(path, {
      method,
      headers,
      ...(method === 'GET' || method === 'HEAD' ? {} : { body: text }),
    });
    const raw = await res.text();
    let parsed: unknown = raw;
    try {
      parsed = JSON.parse(raw);
    } catch {}
    return { status: res.status, body: parsed, headers: res.headers };
  };
  return {
    ...built,
    engine,
    journal,
    call,
    KEYS_FOR_TEST: Object.fromEntries(KEYS.map((k) => [k.id, k])),
    fingerprint: () => ({ seq: engine.state.seq, journal: journal.lastSeq(), hash: engine.stateHash() }),
  };
}

/** Funds alice and bob, sets marks, and trades 1 BTC between them (alice long). */
export async function seeded(h: Harness): Promise<void> {
  const ok = async (r: Promise<{ status: number; body: unknown }>) => {
    const x = await r;
    if (x.status !== 200) throw new Error(`setup failed: ${x.status} ${JSON.stringify(x.body)}`);
  };
  await ok(h.call('op', 'POST', '/v1/deposits', { account: 'alice', asset: 'USDT', amount: '10000' }));
  await ok(h.call('op', 'POST', '/v1/deposits', { account: 'bob', asset: 'USDT', amount: '10000' }));
  await ok(h.call('op', 'POST', '/v1/deposits', { account: 'keeper', asset: 'USDT', amount: '100000' }));
  await ok(h.call('feed', 'POST', '/v1/prices', { marks: { BTCUSDT: '60000', ETHUSDT: '3000' } }));
  await ok(
    h.call('venue', 'POST', '/v1/fills', {
      symbol: 'BTCUSDT',
      buyer: { account: 'alice' },
      seller: { account: 'bob' },
      amount: '1',
      price: '60000',
    }),
  );
}
