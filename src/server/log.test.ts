/** Logs: bigints are written as strings (JSON cannot carry them), one line per request with its key id. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Engine } from '../core/engine/engine.ts';
import { InlineMap } from '../core/model/inline-map.ts';
import { getPreset } from '../core/presets/index.ts';
import { createApp, createContext } from './app.ts';
import { signedHeaders } from './auth.ts';
import { DirectSink } from './direct-sink.ts';
import { createLogger, plainForLog } from './log.ts';
import { KEYS } from './server.testkit.ts';

function capture(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(
        ...String(chunk)
          .split('\n')
          .filter((l) => l !== ''),
      );
      done();
    },
  });
  return { lines, stream };
}

describe('logs', () => {
  it('writes bigints as decimal strings, nested included', () => {
    const { lines, stream } = capture();
    const log = createLogger({ destination: stream });
    log.info({ amount: 12345678901234567890123n, nested: { list: [1n, -2n] } }, 'money');
    const line = JSON.parse(lines[0]!);
    expect(line.amount).toBe('12345678901234567890123');
    expect(line.nested.list).toEqual(['1', '-2']);
    expect(plainForLog(new Map([['a', 3n]]))).toEqual({ a: '3' });
    expect(plainForLog(new InlineMap([['a', 3n]]))).toEqual({ a: '3' });
  });

  it('copies an object reached twice without a cycle, and cuts a real cycle', () => {
    const guards = { maxPriceMove: 5n };
    expect(plainForLog({ before: { guards }, after: { guards } })).toEqual({
      before: { guards: { maxPriceMove: '5' } },
      after: { guards: { maxPriceMove: '5' } },
    });
    const loop: Record<string, unknown> = { n: 1n };
    loop.self = loop;
    expect(plainForLog(loop)).toEqual({ n: '1', self: '[cycle]' });
  });

  it('logs one line per request with method, route, status, ms and key id', async () => {
    const { lines, stream } = capture();
    const engine = Engine.create(getPreset('binance-usdm')!.config());
    const ctx = createContext({
      sink: new DirectSink(engine),
      logger: createLogger({ destination: stream }),
    });
    const { app } = createApp(ctx, { keys: KEYS });
    const body = JSON.stringify({ account: 'alice', asset: 'USDT', amount: '5' });
    const op = KEYS.find((k) => k.id === 'op')!;
    await app.request('/v1/deposits', {
      method: 'POST',
      headers: signedHeaders(op, 'POST', '/v1/deposits', body),
      body,
    });
    await app.request('/v1/markets/NOPE');
    const requests = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request');
    expect(requests).toHaveLength(2);
    expect(requests[0]).toMatchObject({ method: 'POST', route: '/v1/deposits', status: 200, keyId: 'op' });
    expect(typeof requests[0].ms).toBe('number');
    expect(requests[1]).toMatchObject({ method: 'GET', route: '/v1/markets/:symbol', status: 404 });
  });
});
