/**
 * A live feed from a newline-delimited JSON stream: one observation per line,
 *   {"source":"gemini","price":"121758.75","timestampMs":1760054406843,"confidence":"0.5","volume":"0.01"}
 * (or {"kind":"trade",...} / {"kind":"book",...}, see OracleInputRaw), read from any
 * Readable: process.stdin, a TCP or Unix socket (`connectNdjsonFeed`), a file stream.
 *
 * Transport problems stay here: a line that is not JSON is counted in `stats.malformedLines`
 * (and reported to `onMalformedLine`), never yielded. Everything that parses is yielded as
 * received — prices must be decimal *strings*; a JSON number is passed on and the oracle
 * rejects it (ORACLE_BAD_PRICE), like every other content problem, so counting happens in
 * one place. Blank lines are skipped; lines longer than maxLineBytes are counted as
 * malformed (a stream without newlines cannot exhaust memory).
 *
 * Other live transports (a WebSocket, a NATS subject) implement the same PriceFeed
 * interface: an async iterator of raw inputs plus close().
 */
import { connect, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { OracleInputRaw } from '../../core/oracle/index.ts';
import type { PriceFeed } from './feed.ts';

export interface NdjsonFeedOptions {
  /** Called for each line that is not valid JSON (1-based line number). */
  readonly onMalformedLine?: (line: string, lineNo: number) => void;
  /** Longest accepted line in bytes (default 64 KiB). */
  readonly maxLineBytes?: number;
}

export interface NdjsonFeedStats {
  lines: number;
  yielded: number;
  malformedLines: number;
}

export interface NdjsonFeed extends PriceFeed {
  readonly stats: Readonly<NdjsonFeedStats>;
}

/** A feed over newline-delimited JSON read from `stream`. */
export function ndjsonFeed(name: string, stream: Readable, opts: NdjsonFeedOptions = {}): NdjsonFeed {
  const maxLine = opts.maxLineBytes ?? 65_536;
  const stats: NdjsonFeedStats = { lines: 0, yielded: 0, malformedLines: 0 };
  let closed = false;
  const malformed = (line: string) => {
    stats.malformedLines++;
    opts.onMalformedLine?.(line.length > 200 ? `${line.slice(0, 197)}...` : line, stats.lines);
  };
  return {
    name,
    stats,
    close() {
      if (closed) return;
      closed = true;
      stream.destroy();
    },
    async *[Symbol.asyncIterator]() {
      let buf = '';
      let skipping = false; // inside an over-long line, until its newline
      const handle = function* (line: string): Generator<OracleInputRaw> {
        stats.lines++;
        const text = line.endsWith('\r') ? line.slice(0, -1) : line;
        if (text.trim() === '') return;
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch {
          malformed(text);
          return;
        }
        stats.yielded++;
        yield value as OracleInputRaw;
      };
      try {
        stream.setEncoding('utf8');
        for await (const chunk of stream as AsyncIterable<string>) {
          if (closed) return;
          buf += chunk;
          let nl = buf.indexOf('\n');
          while (nl >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (skipping) skipping = false;
            else if (Buffer.byteLength(line) > maxLine) {
              stats.lines++;
              malformed(line);
            } else yield* handle(line);
            if (closed) return;
            nl = buf.indexOf('\n');
          }
          if (Buffer.byteLength(buf) > maxLine) {
            if (!skipping) {
              stats.lines++;
              malformed(buf);
            }
            skipping = true;
            buf = '';
          }
        }
        if (!skipping && buf !== '') yield* handle(buf);
      } catch (err) {
        // A stream destroyed by close() ends the iteration quietly.
        if (!closed) throw err;
      }
    },
  };
}

/** Connects to a TCP ({host, port}) or Unix socket ({path}) and reads NDJSON from it. */
export async function connectNdjsonFeed(
  target: { host: string; port: number } | { path: string },
  opts: NdjsonFeedOptions = {},
): Promise<NdjsonFeed> {
  const label = 'path' in target ? `ndjson unix:${target.path}` : `ndjson tcp:${target.host}:${target.port}`;
  const socket: Socket = await new Promise((resolve, reject) => {
    const s = 'path' in target ? connect(target.path) : connect(target.port, target.host);
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
  return ndjsonFeed(label, socket, opts);
}
