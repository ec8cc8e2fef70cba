import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Engine } from '../core/engine/engine.ts';
import { getPreset } from '../core/presets/index.ts';
import { InMemoryJournal } from '../store/memory-journal.ts';
import { createApp, createContext, type RunningServer, startServer } from './app.ts';
import { signedHeaders } from './auth.ts';
import { PlimsollClient } from './client.ts';
import { DirectSink } from './direct-sink.ts';
import { attachLive, EVENTS_PATH, type Live, readRangeOf } from './live.ts';
import { createLogger } from './log.ts';
import { KEYS, key } from './server.testkit.ts';

let running: RunningServer | undefined;
let live: Live | undefined;
afterEach(async () => {
  await live?.close();
  await running?.close();
});

async function start() {
  const journal = new InMemoryJournal();
  const engine = Engine.create(getPreset('binance-usdm')!.config(), { journal, clock: { now: Date.now } });
  const sink = new DirectSink(engine);
  const ctx = createContext({ sink, logger: createLogger({ level: 'silent' }) });
  const app = createApp(ctx, { keys: KEYS, rateLimit: { ratePerSec: 1e6, burst: 1e6 } });
  running = await startServer({ app, port: 0 });
  live = attachLive({
    server: running.server,
    sink,
    keys: KEYS,
    readRange: readRangeOf(journal),
    registry: ctx.metrics.registry,
    clock: Date.now,
    liquidator: { account: 'keeper', sub: '0' },
  });
  const client = (id: string) => new PlimsollClient({ url: running!.url, keyId: id, secret: key(id).secret });
  return { engine, client, url: running.url };
}

function connect(url: string, keyId: string, query: string) {
  const path = `${EVENTS_PATH}${query}`;
  const headers = signedHeaders(key(keyId), 'GET', path, '', Date.now());
  return new WebSocket(url.replace('http', 'ws') + path, { headers });
}

describe('live service: event stream and keeper over the API', () => {
  it('streams signed subscribers their events and liquidates after a price drop, with the latency metric', async () => {
    const { engine, client, url } = await start();
    const op = client('op');
    await op.request('POST', '/v1/prices', { marks: { BTCUSDT: '60000' } });
    await op.request('POST', '/v1/deposits', { account: 'alice', asset: 'USDT', amount: '700' });
    await op.request('POST', '/v1/deposits', { account: 'bob', asset: 'USDT', amount: '1000000' });
    await op.request('POST', '/v1/deposits', { account: 'keeper', asset: 'USDT', amount: '1000000' });
    await client('venue').request('POST', '/v1/fills', {
      symbol: 'BTCUSDT',
      buyer: { account: 'alice' },
      seller: { account: 'bob' },
      amount: '0.1',
      price: '60000',
    });
    const ws = connect(url, 'alice', '?since=0');
    const seen: { op: string; seq?: number; event?: { type: string } }[] = [];
    const liquidated = new Promise<void>((resolve, reject) => {
      ws.on('message', (d) => {
        const m = JSON.parse(String(d));
        seen.push(m);
        if (m.op === 'event' && m.event.type === 'liquidation_completed') resolve();
      });
      ws.on('close', (code, reason) => reject(new Error(`closed ${code} ${reason}`)));
      ws.on('error', reject);
    });
    await new Promise((r) => ws.once('open', r));
    await client('feed').request('POST', '/v1/prices', { marks: { BTCUSDT: '50000' } });
    await liquidated;
    await live!.keeper!.idle();
    expect(engine.liquidatable()).toEqual([]);
    const events = seen.filter((m) => m.op === 'event');
    expect(events.map((e) => e.seq)).toEqual([...events.map((e) => e.seq)].sort((a, b) => a! - b!));
    // bob appears only as alice's counterparty, never in an event of his own (his deposit)
    for (const e of events) {
      const text = JSON.stringify(e.event);
      if (!/alice/.test(text)) expect(text).not.toMatch(/bob/);
    }
    expect(events.some((e) => e.event?.type === 'moved' && /alice/.test(JSON.stringify(e.event)))).toBe(true);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/plimsoll_liquidation_latency_seconds_count [1-9]/);
    expect(metrics).toMatch(/plimsoll_ws_clients 1/);
    ws.close();
  }, 60_000);

  it('an unsigned handshake sees public market events only; a wrongly signed one is refused', async () => {
    const { url, client } = await start();
    const op = client('op');
    await op.request('POST', '/v1/deposits', { account: 'alice', asset: 'USDT', amount: '700' });
    await op.request('POST', '/v1/prices', { marks: { BTCUSDT: '60000' } });
    const bare = new WebSocket(`${url.replace('http', 'ws')}${EVENTS_PATH}?since=0`);
    const types: string[] = [];
    await new Promise<void>((resolve, reject) => {
      bare.on('message', (d) => {
        const m = JSON.parse(String(d));
        if (m.op === 'event') types.push(m.event.type);
        if (m.op === 'event' && m.event.type === 'prices_updated') resolve();
      });
      bare.on('unexpected-response', (_q, res) => reject(new Error(`status ${res.statusCode}`)));
    });
    bare.close();
    expect(types).toContain('prices_updated');
    expect(types).not.toContain('moved'); // alice's deposit is hers, not public
    // asking for an account without a key is refused
    const nosy = new WebSocket(`${url.replace('http', 'ws')}${EVENTS_PATH}?since=0&accounts=alice`);
    const code = await new Promise<number>((resolve) => nosy.on('close', (c) => resolve(c)));
    expect(code).toBe(4403);
    // a key with a bad signature is refused outright
    const bad = signedHeaders(
      { ...key('alice'), secret: 'not-the-secret' },
      'GET',
      `${EVENTS_PATH}?since=0`,
      '',
      Date.now(),
    );
    const wrong = new WebSocket(`${url.replace('http', 'ws')}${EVENTS_PATH}?since=0`, { headers: bad });
    const status = await new Promise<number>((resolve) =>
      wrong.on('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0)),
    );
    expect(status).toBe(401);
    // signed for another query: the signature covers the subscription
    const headers = signedHeaders(key('alice'), 'GET', `${EVENTS_PATH}?since=5`, '', Date.now());
    const forged = new WebSocket(`${url.replace('http', 'ws')}${EVENTS_PATH}?since=0`, { headers });
    const status2 = await new Promise<number>((resolve) =>
      forged.on('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0)),
    );
    expect(status2).toBe(401);
  }, 30_000);
});

describe('signed handshake in the query', () => {
  it('accepts the signature fields as query parameters, left out of the signed path', async () => {
    const { url } = await start();
    const path = `${EVENTS_PATH}?since=0`;
    const h = signedHeaders(key('alice'), 'GET', path, '', Date.now());
    const q = `&key=${h['PLIM-KEY']}&ts=${h['PLIM-TIMESTAMP']}&nonce=${h['PLIM-NONCE']}&sig=${h['PLIM-SIGNATURE']}`;
    const ws = new WebSocket(url.replace('http', 'ws') + path + q);
    const first = await new Promise<{ op: string }>((resolve, reject) => {
      ws.once('message', (d) => resolve(JSON.parse(String(d))));
      ws.once('unexpected-response', (_q, res) => reject(new Error(`status ${res.statusCode}`)));
    });
    expect(first.op).toBe('subscribed');
    ws.close();
  }, 30_000);
});
