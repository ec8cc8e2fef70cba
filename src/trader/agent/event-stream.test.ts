/**
 * The resumable stream against a small WebSocket server that drops the connection: the client
 * reconnects with `since` = the last event it saw, signs each handshake afresh, and hands every
 * event on exactly once (a repeat the server sends after the resume point is dropped).
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { ResumableEventStream } from './event-stream.ts';

let server: WebSocketServer | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

describe('resumable event stream', () => {
  it('reconnects_from_the_last_seen_seq_after_a_drop', async () => {
    const asked: { url: string; sig: string | undefined }[] = [];
    server = new WebSocketServer({ port: 0 });
    let connection = 0;
    server.on('connection', (ws, req) => {
      asked.push({ url: req.url ?? '', sig: req.headers['x-sig'] as string | undefined });
      const since = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('since'));
      ws.send(JSON.stringify({ op: 'subscribed', since, head: 12 }));
      if (connection++ === 0) {
        // two events, then the connection drops (a server restart)
        for (const seq of [since + 1, since + 2])
          ws.send(JSON.stringify({ op: 'event', seq, event: { type: 'prices_updated' } }));
        setTimeout(() => ws.terminate(), 20);
      } else {
        // the resumed subscription: one repeat (ignored), then the next event
        for (const seq of [since, since + 1])
          ws.send(JSON.stringify({ op: 'event', seq, event: { type: 'prices_updated' } }));
      }
    });
    const port = (server.address() as AddressInfo).port;
    const seen: number[] = [];
    let signatures = 0;
    const stream = new ResumableEventStream({
      url: `http://127.0.0.1:${port}`,
      account: 'alice',
      since: 10,
      retryMs: 10,
      sign: (pathQuery) => ({ 'x-sig': `${++signatures}:${pathQuery}` }),
      onEvent: (e) => seen.push(e.seq),
    });
    const end = Date.now() + 5_000;
    while (seen.length < 3 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    stream.stop();
    expect(seen).toEqual([11, 12, 13]);
    expect(asked.map((a) => a.url)).toEqual([
      '/v1/events?since=10&accounts=alice',
      '/v1/events?since=12&accounts=alice',
    ]);
    expect(asked.map((a) => a.sig)).toEqual([
      '1:/v1/events?since=10&accounts=alice',
      '2:/v1/events?since=12&accounts=alice',
    ]);
    expect(stream.cursor).toBe(13);
  });
});
