/**
 * Load figures of `plimsoll serve` (g in bench/run.ts): autocannon on loopback against a real
 * server process (the CLI in a child process, SQLite journal in tmpdir, keeper off), every
 * request signed afresh by the client (HMAC over timestamp, nonce, method, path and body) in
 * autocannon's `setupRequest` — a fresh nonce per request, as the replay rule demands.
 *
 * 1. pre-trade checks: the order check (POST /v1/orders/check with a trader key: the full check
 *    of placing the order, read-only), and fills the margin check refuses (an account with 1 USDT buying 1 BTC):
 *    the request is authenticated, parsed, the engine runs the full pre-trade check and refuses;
 *    nothing is journaled. This is the check's throughput without a commit.
 * 2. accepted fills: fills between funded accounts, each acknowledged only after its events are
 *    committed to the durable journal (the service's sink; SQLite synchronous=FULL).
 * 3. event fan-out: 100 WebSocket subscribers (operator key, signed handshake) connected while
 *    (2) runs again; events delivered per second = messages received by all subscribers / time.
 *
 * Inside each timed region: the client's signing (setupRequest, same process as autocannon),
 * HTTP over loopback, auth, rate limit (set high), zod parsing, the engine, the journal commit
 * (2, 3), the response. autocannon's latency is from the request's write to its response (the
 * signing happens before, so it is not in the latency, only in the throughput).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import WebSocket from 'ws';
import { signedHeaders } from '../src/server/auth.ts';
import { PlimsollClient } from '../src/server/client.ts';

const REPO = join(import.meta.dirname, '..');

export interface ServeLoadResult {
  readonly seconds: number;
  readonly connections: number;
  readonly orderCheck: { perSecond: number; p50Ms: number; p99Ms: number; requests: number; non2xx: number };
  readonly checks: { perSecond: number; p50Ms: number; p99Ms: number; requests: number; non422: number };
  readonly fills: { perSecond: number; p50Ms: number; p99Ms: number; requests: number; non2xx: number };
  readonly fanout: {
    subscribers: number;
    eventsPerSecond: number;
    fillsPerSecond: number;
    delivered: number;
    allCaughtUp: boolean;
  };
}

const KEYS = [
  { id: 'operator', secret: 'o'.repeat(64), scopes: ['operator'] },
  { id: 'feed', secret: 'f'.repeat(64), scopes: ['feed'] },
  { id: 'venue', secret: 'v'.repeat(64), scopes: ['venue'] },
  { id: 'a0', secret: 't'.repeat(64), scopes: ['trader'], accounts: ['a0'] },
];
const key = (id: string) => KEYS.find((k) => k.id === id)!;
const ACCOUNTS = 20;

function startServer(dir: string): Promise<{ child: ChildProcess; url: string }> {
  const keysFile = join(dir, 'keys.json');
  writeFileSync(keysFile, JSON.stringify(KEYS), { mode: 0o600 });
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/main.ts',
      'serve',
      '--port',
      '0',
      '--store',
      join(dir, 'venue.sqlite'),
      '--keys',
      keysFile,
      '--keeper',
      'off',
      '--rate-limit',
      '100000000',
      '--json',
    ],
    { cwd: REPO, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += String(d);
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve({ child, url: JSON.parse(out.slice(0, nl)).url });
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
  });
}

/** A POST signed afresh for every request (new timestamp and nonce), by key `keyId`. */
function signedPost(path: string, keyId: string, body: () => Record<string, unknown>) {
  return {
    method: 'POST' as const,
    path,
    setupRequest: (req: Record<string, unknown>) => {
      const text = JSON.stringify(body());
      return {
        ...req,
        body: text,
        headers: {
          'content-type': 'application/json',
          ...signedHeaders(key(keyId), 'POST', path, text, Date.now()),
        },
      };
    },
  };
}

async function cannon(
  url: string,
  seconds: number,
  connections: number,
  body: () => Record<string, unknown>,
  path = '/v1/fills',
  keyId = 'venue',
) {
  const request = signedPost(path, keyId, body);
  // biome-ignore lint/suspicious/noExplicitAny: autocannon's request hook types are looser than its options
  return autocannon({ url, connections, duration: seconds, requests: [request as any] });
}

export async function benchServeLoad(opts: {
  quick: boolean;
  log: (s: string) => void;
}): Promise<ServeLoadResult> {
  const seconds = opts.quick ? 3 : 10;
  const connections = 16;
  const dir = mkdtempSync(join(tmpdir(), 'plimsoll-serve-bench-'));
  const { child, url } = await startServer(dir);
  try {
    const op = new PlimsollClient({ url, keyId: 'operator', secret: key('operator').secret });
    await new PlimsollClient({ url, keyId: 'feed', secret: key('feed').secret }).request(
      'POST',
      '/v1/prices',
      {
        marks: { BTCUSDT: '60000' },
      },
    );
    for (let i = 0; i < ACCOUNTS; i++)
      await op.request('POST', '/v1/deposits', { account: `a${i}`, asset: 'USDT', amount: '10000000' });
    await op.request('POST', '/v1/deposits', { account: 'poor', asset: 'USDT', amount: '1' });

    // warm-up (JIT, first connections), not measured
    await cannon(url, 1, connections, () => ({
      symbol: 'BTCUSDT',
      buyer: { account: 'poor' },
      seller: { account: 'a0' },
      amount: '1',
      price: '60000',
    }));

    // 1a. the order check: the pre-trade check of placing an order, read-only (nothing journaled)
    let k = 0;
    const checked = await cannon(
      url,
      seconds,
      connections,
      () => ({
        orderId: `o${k++}`,
        account: 'a0',
        symbol: 'BTCUSDT',
        side: k % 2 === 0 ? 'buy' : 'sell',
        amount: '0.5',
        price: '59000',
      }),
      '/v1/orders/check',
      'a0',
    );
    const orderCheck = {
      perSecond: checked.requests.average,
      p50Ms: checked.latency.p50,
      p99Ms: checked.latency.p99,
      requests: checked.requests.total,
      non2xx: checked.non2xx,
    };
    opts.log(
      `order checks (POST /v1/orders/check, trader key, read-only): ${orderCheck.perSecond.toFixed(0)}/s, p50 ${orderCheck.p50Ms} ms, p99 ${orderCheck.p99Ms} ms (${orderCheck.requests} requests, ${orderCheck.non2xx} not 2xx)`,
    );

    // 1b. pre-trade checks that refuse a fill: nothing journaled
    const refused = await cannon(url, seconds, connections, () => ({
      symbol: 'BTCUSDT',
      buyer: { account: 'poor' },
      seller: { account: 'a0' },
      amount: '1',
      price: '60000',
    }));
    const non422 = refused.requests.total - (refused.statusCodeStats?.['422']?.count ?? 0);
    const checks = {
      perSecond: refused.requests.average,
      p50Ms: refused.latency.p50,
      p99Ms: refused.latency.p99,
      requests: refused.requests.total,
      non422,
    };
    opts.log(
      `pre-trade checks (refused fills, nothing journaled): ${checks.perSecond.toFixed(0)}/s, p50 ${checks.p50Ms} ms, p99 ${checks.p99Ms} ms (${checks.requests} requests, ${non422} not 422)`,
    );

    // 2. accepted fills, durable before the answer
    let n = 0;
    const fillBody = () => {
      const i = n++;
      const b = i % ACCOUNTS;
      return {
        symbol: 'BTCUSDT',
        buyer: { account: `a${b}` },
        seller: { account: `a${(b + 1 + (i % 7)) % ACCOUNTS}` },
        amount: '0.001',
        price: '60000',
      };
    };
    const accepted = await cannon(url, seconds, connections, fillBody);
    const fills = {
      perSecond: accepted.requests.average,
      p50Ms: accepted.latency.p50,
      p99Ms: accepted.latency.p99,
      requests: accepted.requests.total,
      non2xx: accepted.non2xx,
    };
    opts.log(
      `accepted fills (durable journal, acknowledged after commit): ${fills.perSecond.toFixed(0)}/s, p50 ${fills.p50Ms} ms, p99 ${fills.p99Ms} ms (${fills.requests} requests, ${fills.non2xx} not 2xx)`,
    );

    // 3. fan-out to 100 subscribers while fills run
    const SUBS = 100;
    const state = (await op.request('GET', '/v1/state')) as { seq: number };
    const path = `/v1/events?since=${state.seq}`;
    let delivered = 0;
    const last: number[] = new Array(SUBS).fill(state.seq);
    const sockets = await Promise.all(
      Array.from({ length: SUBS }, (_, s) => {
        const ws = new WebSocket(url.replace(/^http/, 'ws') + path, {
          headers: signedHeaders(key('operator'), 'GET', path, '', Date.now()),
        });
        ws.on('message', (d) => {
          const m = JSON.parse(String(d)) as { op: string; seq?: number };
          if (m.op === 'event') {
            delivered++;
            last[s] = m.seq!;
          }
        });
        return new Promise<WebSocket>((resolve, reject) => {
          ws.once('open', () => resolve(ws));
          ws.once('error', reject);
        });
      }),
    );
    const t0 = performance.now();
    const during = await cannon(url, seconds, connections, fillBody);
    const head = ((await op.request('GET', '/v1/state')) as { seq: number }).seq;
    const until = Date.now() + 30_000;
    while (last.some((x) => x < head) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    const elapsed = (performance.now() - t0) / 1000;
    for (const ws of sockets) ws.close();
    const fanout = {
      subscribers: SUBS,
      eventsPerSecond: delivered / elapsed,
      fillsPerSecond: during.requests.average,
      delivered,
      allCaughtUp: last.every((x) => x === head),
    };
    opts.log(
      `event fan-out: ${SUBS} subscribers, ${fanout.eventsPerSecond.toFixed(0)} events/s delivered (${delivered} in ${elapsed.toFixed(1)} s, until every subscriber reached the head) while ${fanout.fillsPerSecond.toFixed(0)} fills/s were accepted; all caught up: ${fanout.allCaughtUp}`,
    );
    return { seconds, connections, orderCheck, checks, fills, fanout };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchServeLoad({
    quick: process.env.BENCH_QUICK === '1',
    log: (s) => process.stdout.write(`${s}\n`),
  });
  process.stdout.write(`${JSON.stringify(r)}\n`);
}
