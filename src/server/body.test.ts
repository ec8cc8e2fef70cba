/**
 * The body limit on a real socket, where the body is read from Node's request stream (the
 * in-process `app.request()` path is covered by the bad-input tests): a declared length over the
 * limit and a chunked body that grows past it both get 413 BODY_TOO_LARGE and change nothing; a body
 * under the limit still works.
 */
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from './app.ts';
import { signedHeaders } from './auth.ts';
import { harness, key, seeded } from './server.testkit.ts';

let running: RunningServer | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

function post(url: string, path: string, chunks: string[], headers: Record<string, string>) {
  return new Promise<{ status: number; body: { code?: string } }>((resolve, reject) => {
    const req = request(`${url}${path}`, { method: 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (d) => {
        text += String(d);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}

describe('request body limit on a socket', () => {
  it('refuses a declared or a chunked body over 64 KiB with 413, and reads one under it', async () => {
    const h = harness();
    await seeded(h);
    running = await startServer({ app: h, port: 0 });
    const before = h.fingerprint();
    const marks: Record<string, string> = {};
    for (let i = 0; i < 5000; i++) marks[`M${i}`] = '1.2345678';
    const big = JSON.stringify({ marks });
    expect(Buffer.byteLength(big)).toBeGreaterThan(64 * 1024);
    const signed = (text: string) => ({
      'content-type': 'application/json',
      ...signedHeaders(key('feed'), 'POST', '/v1/prices', text, Date.now()),
    });
    const declared = await post(running.url, '/v1/prices', [big], {
      ...signed(big),
      'content-length': String(Buffer.byteLength(big)),
    });
    expect(declared).toMatchObject({ status: 413, body: { code: 'BODY_TOO_LARGE' } });
    // no content-length: sent in chunks, refused once the running total passes the limit
    const parts = big.match(/[\s\S]{1,8192}/g)!;
    const chunked = await post(running.url, '/v1/prices', parts, {
      ...signed(big),
      'transfer-encoding': 'chunked',
    });
    expect(chunked).toMatchObject({ status: 413, body: { code: 'BODY_TOO_LARGE' } });
    expect(h.fingerprint()).toEqual(before);
    const small = JSON.stringify({ marks: { BTCUSDT: '61000' } });
    const ok = await post(running.url, '/v1/prices', [small], signed(small));
    expect(ok.status).toBe(200);
    expect(h.fingerprint().seq).toBeGreaterThan(before.seq);
  }, 30_000);
});
