/**
 * The NDJSON feed: lines from a stream or a socket become raw inputs; non-JSON lines are
 * counted, not yielded; content problems reach the oracle, which rejects and counts them.
 */
import { createServer, type Server } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { parseOracleConfigUnsafe } from '../../core/oracle/index.ts';
import { driveOracle } from './drive.ts';
import { arrayFeed } from './feed.ts';
import { connectNdjsonFeed, ndjsonFeed } from './ndjson-feed.ts';

async function collect(feed: AsyncIterable<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const x of feed) out.push(x);
  return out;
}

describe('ndjsonFeed over a stream', () => {
  it('yields_json_lines_counts_malformed_skips_blank_handles_crlf_and_split_chunks', async () => {
    const s = new PassThrough();
    const bad: [string, number][] = [];
    const feed = ndjsonFeed('test', s, { onMalformedLine: (l, n) => bad.push([l, n]) });
    const got = collect(feed);
    s.write('{"source":"a","price":"100","timestampMs":1}\n');
    s.write('{"source":"b","pri');
    s.write('ce":"101","timestampMs":2}\r\n\n');
    s.write('not json\n');
    s.end('{"source":"a","price":102,"timestampMs":3}'); // no final newline; a number price
    expect(await got).toEqual([
      { source: 'a', price: '100', timestampMs: 1 },
      { source: 'b', price: '101', timestampMs: 2 },
      { source: 'a', price: 102, timestampMs: 3 },
    ]);
    expect(feed.stats).toEqual({ lines: 5, yielded: 3, malformedLines: 1 });
    expect(bad).toEqual([['not json', 4]]);
  });

  it('an_over_long_line_in_one_chunk_is_counted_not_parsed', async () => {
    const s = new PassThrough();
    const feed = ndjsonFeed('test', s, { maxLineBytes: 64 });
    const got = collect(feed);
    s.end(
      `{"source":"a","price":"${'9'.repeat(100)}","timestampMs":1}\n{"source":"a","price":"1","timestampMs":2}\n`,
    );
    expect(await got).toEqual([{ source: 'a', price: '1', timestampMs: 2 }]);
    expect(feed.stats).toEqual({ lines: 2, yielded: 1, malformedLines: 1 });
  });

  it('an_over_long_line_across_chunks_is_counted_and_skipped_to_its_newline', async () => {
    const s = new PassThrough();
    const feed = ndjsonFeed('test', s, { maxLineBytes: 64 });
    const got = collect(feed);
    s.write(`{"source":"a","price":"${'9'.repeat(100)}`);
    await new Promise((r) => setImmediate(r)); // let the reader see the first chunk alone
    s.write(`${'9'.repeat(100)}","timestampMs":1}\n{"source":"a","price":"1","timestampMs":2}\n`);
    s.end();
    expect(await got).toEqual([{ source: 'a', price: '1', timestampMs: 2 }]);
    expect(feed.stats.malformedLines).toBe(1);
  });

  it('close_ends_the_iteration', async () => {
    const s = new PassThrough();
    const feed = ndjsonFeed('test', s);
    const seen: unknown[] = [];
    const done = (async () => {
      for await (const x of feed) {
        seen.push(x);
        feed.close();
      }
    })();
    s.write('{"n":1}\n{"n":2}\n');
    await done;
    expect(seen).toEqual([{ n: 1 }]);
  });
});

describe('ndjsonFeed over a TCP socket', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  it('reads_observations_a_server_writes', async () => {
    server = createServer((sock) => {
      sock.write('{"source":"a","price":"100.5","timestampMs":10}\n');
      sock.end('{"kind":"trade","price":"100.6","timestampMs":11}\n');
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const feed = await connectNdjsonFeed({ host: '127.0.0.1', port: address.port });
    expect(feed.name).toBe(`ndjson tcp:127.0.0.1:${address.port}`);
    expect(await collect(feed)).toEqual([
      { source: 'a', price: '100.5', timestampMs: 10 },
      { kind: 'trade', price: '100.6', timestampMs: 11 },
    ]);
  });

  it('refused_connection_rejects', async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as { port: number }).port;
    await new Promise<void>((r) => s.close(() => r()));
    await expect(connectNdjsonFeed({ host: '127.0.0.1', port })).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('driveOracle', () => {
  it('steps_the_oracle_with_the_injected_clock_and_counts_bad_inputs', async () => {
    const cfg = parseOracleConfigUnsafe({
      market: 'BTC-PERP',
      sources: [
        { id: 'a', maxAgeMs: 10_000 },
        { id: 'b', maxAgeMs: 10_000 },
      ],
      minSources: 2,
    });
    const s = new PassThrough();
    const feed = ndjsonFeed('stdin', s);
    let clock = 1_000;
    const marks: (bigint | null)[] = [];
    const run = driveOracle(cfg, feed, {
      now: () => clock++,
      onStep: (r) => marks.push(r.outputs?.mark.pricePx8 ?? null),
    });
    s.end(
      [
        '{"source":"a","price":"100","timestampMs":1000}',
        '{"source":"b","price":"100.2","timestampMs":1001}',
        '{"source":"a","price":100,"timestampMs":1002}',
        '{"source":"zz","price":"1","timestampMs":1002}',
        '{"source":"b","price":"100.4","timestampMs":9999}',
      ].join('\n'),
    );
    const st = await run;
    expect(marks).toEqual([null, 100_10000000n, 100_10000000n, 100_10000000n, 100_10000000n]);
    expect(st.rejections.get('ORACLE_BAD_PRICE')).toBe(1);
    expect(st.rejections.get('ORACLE_UNKNOWN_SOURCE')).toBe(1);
    expect(st.rejections.get('ORACLE_FUTURE_TIMESTAMP')).toBe(1);
  });

  it('an_array_feed_stops_when_closed', async () => {
    const feed = arrayFeed('x', [
      { source: 'a', price: '1', timestampMs: 1 },
      { source: 'a', price: '1', timestampMs: 2 },
    ]);
    const seen: unknown[] = [];
    for await (const x of feed) {
      seen.push(x);
      feed.close();
    }
    expect(seen).toHaveLength(1);
  });
});
