/**
 * PriceFeed: where oracle observations come from — a replay of real history, or a live
 * source (a WebSocket, a NATS subject, a newline-delimited JSON stream on stdin or a
 * socket). A feed is an async iterator of *raw* inputs (OracleInputRaw as received: decimal
 * strings, ms timestamps); validation, counting and rejection happen in the oracle core
 * (`step`), so a replay and a live service treat a bad print identically.
 */
import type { OracleInputRaw } from '../../core/oracle/index.ts';

export interface PriceFeed extends AsyncIterable<OracleInputRaw> {
  /** A label for logs and reports ("replay 2025-10-10", "ndjson stdin"). */
  readonly name: string;
  /** Stops the feed and releases its resources; idempotent. */
  close(): void;
}

/** A feed over an in-memory list (used by the replay and by tests). */
export function arrayFeed(name: string, inputs: readonly OracleInputRaw[]): PriceFeed {
  let closed = false;
  return {
    name,
    close() {
      closed = true;
    },
    async *[Symbol.asyncIterator]() {
      for (const input of inputs) {
        if (closed) return;
        yield input;
      }
    },
  };
}
