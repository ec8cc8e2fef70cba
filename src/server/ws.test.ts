import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ref, venueConfig } from '../../test/support/fixtures.ts';
import { Engine } from '../core/engine/engine.ts';
import { InMemoryJournal } from '../store/memory-journal.ts';
import { DirectSink } from './direct-sink.ts';
import { EventHub, type Viewer } from './event-hub.ts';
import { attachEventStream, type EventStream } from './ws.ts';

const KEYS: Record<string, Viewer> = { op: { operator: true }, alice: { operator: false, accounts: ['a'] } };

let server: Server | undefined;
let stream: EventStream | undefined;
afterEach(async () => {
  await stream?.close();
  await new Promise((r) => server?.close(r));
});

async function start() {
  const journal = new InMemoryJournal();
  const engine = Engine.create(venueConfig(), { journal });
  const sink = new DirectSink(engine);
  const hub = new EventHub({
    headSeq: engine.state.seq,
    ringSize: 2,
    readRange: async (after, limit) => [...journal.read(after)].slice(0, limit),
  });
  sink.onCommitted((e) => hub.publish(e));
  const registry = new Registry();
  server = createServer((_req, res) => res.end());
  stream = attachEventStream(server, {
    hub,
    registry,
    authenticate: (req) => KEYS[String(req.headers['x-key'])],
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { sink, engine, registry, url: `ws://127.0.0.1:${port}/v1/events` };
}

/** Collects messages until `n` events arrived (or the socket closed). */
function collect(ws: WebSocket, n: number) {
  const events: { seq: number; event: { type: string } }[] = [];
  const all: { op: string }[] = [];
  return new Promise<{ events: typeof events; all: typeof all; close?: { code: number; reason: string } }>(
    (resolve, reject) => {
      ws.on('message', (d) => {
        const m = JSON.parse(String(d));
        all.push(m);
        if (m.op === 'event') events.push(m);
        if (events.length >= n) resolve({ events, all });
      });
      ws.on('close', (code, reason) => resolve({ events, all, close: { code, reason: String(reason) } }));
      ws.on('error', reject);
    },
  );
}

describe('event stream over WebSocket', () => {
  it('resumes from ?since through the journal, then live, and counts clients', async () => {
    const { sink, engine, registry, url } = await start();
    for (let i = 0; i < 5; i++)
      await sink.submit({ type: 'deposit', to: ref('a'), asset: 'USDC', amount: '10' });
    const head = engine.state.seq;
    const ws = new WebSocket(`${url}?since=1`, { headers: { 'x-key': 'op' } });
    const got = collect(ws, head); // seqs 2..head, then the live one
    await new Promise((r) => ws.on('open', r));
    await sink.submit({ type: 'deposit', to: ref('a'), asset: 'USDC', amount: '10' });
    const { events } = await got;
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: events.length }, (_, i) => i + 2));
    expect(events.at(-1)!.seq).toBe(engine.state.seq);
    expect(await registry.getSingleMetricAsString('plimsoll_ws_clients')).toMatch(/plimsoll_ws_clients 1/);
    ws.close();
  }, 30_000);

  it('subscribes with a first message, filtered to the key’s accounts', async () => {
    const { sink, url } = await start();
    const ws = new WebSocket(url, { headers: { 'x-key': 'alice' } });
    await new Promise((r) => ws.on('open', r));
    const got = collect(ws, 1);
    ws.send(JSON.stringify({ op: 'subscribe' }));
    await new Promise((r) => setTimeout(r, 100));
    await sink.submit({ type: 'deposit', to: ref('b'), asset: 'USDC', amount: '10' });
    await sink.submit({ type: 'deposit', to: ref('a'), asset: 'USDC', amount: '10' });
    const { events, all } = await got;
    expect(all[0]).toMatchObject({ op: 'subscribed' });
    expect(JSON.stringify(events[0]!.event)).toContain('"account":"a"');
    for (const e of events) expect(JSON.stringify(e.event)).not.toMatch(/"b\/0"|"account":"b"/);
    ws.close();
  }, 30_000);

  it('refuses a handshake without a valid key and a subscription to another account', async () => {
    const { url } = await start();
    const bad = new WebSocket(`${url}?since=0`, { headers: { 'x-key': 'nobody' } });
    const status = await new Promise<number>((resolve) =>
      bad.on('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0)),
    );
    expect(status).toBe(401);
    const other = new WebSocket(`${url}?since=0&accounts=b`, { headers: { 'x-key': 'alice' } });
    const { close } = await collect(other, 1_000);
    expect(close?.code).toBe(4403);
  }, 30_000);
});
