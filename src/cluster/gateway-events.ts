/**
 * The cluster's merged event stream: every partition's committed engine events (read from its
 * PostgreSQL journal, the source of truth, so a worker crash loses or repeats nothing) and the
 * coordinator's insurance covers, on one WebSocket at the gateway's /v1/events with the single
 * process's protocol and message shape.
 *
 * Messages: `{"op":"event","seq":N,"event":{...},"partition":P,"bcast":B,"cursor":"s0,s1,…"}` —
 * `seq` and `event` exactly as the single process sends them (the journal's encoding); `seq` is
 * the partition's own journal sequence. `bcast` is the number of the last broadcast (prices,
 * oracle, configuration) the partition had applied at that event (the broadcast's own events
 * carry its number). `cursor` is the stream position after the message: one journal sequence per
 * partition; resume with `?since=<cursor>` (`since=0`: from the start of every journal). The
 * coordinator's covers come as `{"op":"event","source":"coordinator","event":{"type":
 * "cluster_cover_paid","partition":P,"total":"…","paid":"…"}}`, live only (not resumed).
 *
 * Order: per partition, journal order, each event once (the cursor is advanced as it is sent). The
 * gateway reads every partition each poll (default every 20 ms) and sends what one poll found
 * ordered by (bcast, partition, seq); so a broadcast's events in every partition come before the
 * next broadcast's events found in the same poll. There is no single cluster-wide sequence:
 * sorting by (bcast, partition, seq) gives a deterministic total order after the fact.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import pg from 'pg';
import { type WebSocket, WebSocketServer } from 'ws';
import type { ClusterNames } from './names.ts';

/** Close codes as the single process's stream: too slow (resume with the cursor), bad request. */
const CLOSE_TOO_SLOW = 4008;
const CLOSE_BAD_REQUEST = 4400;
const PAGE = 1000;

export class CursorError extends Error {
  override name = 'CursorError';
}

/** `"s0,s1,…"` (one non-negative journal sequence per partition), or `"0"`: from the start. */
export function parseCursor(text: string, partitions: number): number[] {
  if (text === '0') return Array.from({ length: partitions }, () => 0);
  const parts = text.split(',');
  if (parts.length !== partitions || parts.some((p) => !/^[0-9]{1,15}$/.test(p)))
    throw new CursorError(`since: "0" or ${partitions} journal sequences joined by commas`);
  return parts.map(Number);
}

export interface MergedEvent {
  readonly partition: number;
  readonly seq: number;
  readonly bcast: number;
  readonly type: string;
  readonly json: string;
}

/** Orders one poll's events: (bcast, partition, seq). */
export function mergeOrder(a: MergedEvent, b: MergedEvent): number {
  return a.bcast - b.bcast || a.partition - b.partition || a.seq - b.seq;
}

/**
 * Tags a page of one partition's events with their broadcast number, starting from `epoch` (the
 * last broadcast applied before the page). A broadcast's events (`firstSeq`…, `count` of its
 * command_accepted `bcast:<n>`) carry n. A full page is cut after its last command_accepted, so a
 * command's events are never split across polls (a journal group holds whole commands).
 */
export function tagPage(
  partition: number,
  rows: readonly { seq: number; type: string; json: string }[],
  epoch: number,
  full: boolean,
): { events: MergedEvent[]; epoch: number } {
  let end = rows.length;
  if (full) {
    let last = rows.length - 1;
    while (last >= 0 && rows[last]!.type !== 'command_accepted') last--;
    if (last >= 0) end = last + 1;
  }
  const spans: { from: number; to: number; n: number }[] = [];
  for (let i = 0; i < end; i++) {
    const r = rows[i]!;
    if (r.type !== 'command_accepted') continue;
    const e = JSON.parse(r.json) as { commandId?: string; firstSeq?: number; count?: number };
    const n = broadcastNumber(e.commandId);
    if (n !== undefined) spans.push({ from: e.firstSeq ?? r.seq, to: r.seq, n });
  }
  const events: MergedEvent[] = [];
  let current = epoch;
  for (let i = 0; i < end; i++) {
    const r = rows[i]!;
    const span = spans.find((s) => r.seq >= s.from && r.seq <= s.to);
    if (span) current = Math.max(current, span.n);
    events.push({ partition, seq: r.seq, bcast: span ? span.n : current, type: r.type, json: r.json });
  }
  return { events, epoch: current };
}

function broadcastNumber(commandId: string | undefined): number | undefined {
  if (commandId === undefined || !commandId.startsWith('bcast:')) return undefined;
  const n = Number(commandId.slice(6));
  return Number.isSafeInteger(n) ? n : undefined;
}

export interface TailOptions {
  readonly pool: pg.Pool;
  readonly names: ClusterNames;
  readonly partitions: number;
  /** Milliseconds between polls (default 20). */
  readonly pollMs?: number;
}

/** Reads every partition's journal after a cursor, a poll at a time. */
export class MergedTail {
  private readonly epochs: number[];
  private coverSeen: Set<string> | undefined;

  private constructor(
    private readonly opts: TailOptions,
    readonly cursor: number[],
    epochs: number[],
  ) {
    this.epochs = epochs;
  }

  /** A tail starting after `cursor` (undefined: at the journals' heads, live only). */
  static async open(opts: TailOptions, cursor?: number[]): Promise<MergedTail> {
    const at = cursor ?? (await headCursor(opts));
    const epochs = await Promise.all(at.map((seq, p) => epochAt(opts, p, seq)));
    const t = new MergedTail(opts, [...at], epochs);
    await t.covers(); // covers paid before the subscription are not sent
    return t;
  }

  /** One poll: the new events of every partition, in merge order, and the new covers. */
  async poll(): Promise<{ events: MergedEvent[]; covers: unknown[] }> {
    const { pool, names } = this.opts;
    const pages = await Promise.all(
      this.cursor.map((after, p) =>
        pool
          .query<{ seq: string; type: string; json: string }>(
            `SELECT seq, type, json FROM "${names.partitionSchema(p)}".events WHERE seq > $1 ORDER BY seq LIMIT ${PAGE}`,
            [after],
          )
          .then((r) => r.rows.map((x) => ({ seq: Number(x.seq), type: x.type, json: x.json }))),
      ),
    );
    const events: MergedEvent[] = [];
    pages.forEach((rows, p) => {
      const t = tagPage(p, rows, this.epochs[p]!, rows.length === PAGE);
      this.epochs[p] = t.epoch;
      events.push(...t.events);
    });
    events.sort(mergeOrder);
    return { events, covers: await this.covers() };
  }

  /** Advances the cursor past an event that was sent. */
  sent(e: MergedEvent): void {
    this.cursor[e.partition] = e.seq;
  }

  private async covers(): Promise<unknown[]> {
    const rows = await this.opts.pool
      .query<{ partition: number; total: string; paid: string }>(
        `SELECT partition, total::text AS total, paid::text AS paid FROM ${this.opts.names.coordinatorSchema}.covers ORDER BY partition, total`,
      )
      .then((r) => r.rows)
      .catch(() => []); // the coordinator has not created its tables yet
    const first = this.coverSeen === undefined;
    this.coverSeen ??= new Set();
    const out: unknown[] = [];
    for (const r of rows) {
      const key = `${r.partition}:${r.total}`;
      if (this.coverSeen.has(key)) continue;
      this.coverSeen.add(key);
      if (!first)
        out.push({ type: 'cluster_cover_paid', partition: r.partition, total: r.total, paid: r.paid });
    }
    return out;
  }
}

async function headCursor(opts: TailOptions): Promise<number[]> {
  return Promise.all(
    Array.from({ length: opts.partitions }, (_, p) =>
      opts.pool
        .query<{ m: string | null }>(`SELECT MAX(seq) AS m FROM "${opts.names.partitionSchema(p)}".events`)
        .then((r) => Number(r.rows[0]?.m ?? 0)),
    ),
  );
}

/** The last broadcast a partition had applied at journal sequence `seq`. */
async function epochAt(opts: TailOptions, p: number, seq: number): Promise<number> {
  if (seq === 0) return 0;
  const r = await opts.pool.query<{ json: string }>(
    `SELECT json FROM "${opts.names.partitionSchema(p)}".events
      WHERE seq <= $1 AND type = 'command_accepted' AND json LIKE '%"bcast:%' ORDER BY seq DESC LIMIT 1`,
    [seq],
  );
  const json = r.rows[0]?.json;
  return json === undefined
    ? 0
    : (broadcastNumber((JSON.parse(json) as { commandId?: string }).commandId) ?? 0);
}

/** The wire message of one merged event (the single process's, plus partition, bcast and cursor). */
export function mergedMessage(e: MergedEvent, cursor: readonly number[]): string {
  return `{"op":"event","seq":${e.seq},"event":${e.json},"partition":${e.partition},"bcast":${e.bcast},"cursor":"${cursor.join(',')}"}`;
}

export interface ClusterEventsOptions {
  readonly pgUrl: string;
  readonly names: ClusterNames;
  readonly partitions: number;
  readonly path?: string;
  readonly pollMs?: number;
  /** A subscriber with more than this buffered is closed (4008, resume with the cursor); default 8 MiB. */
  readonly maxBufferedBytes?: number;
  /** Whether a handshake may subscribe (else HTTP 401, nothing upgraded); absent: everyone may. */
  readonly authorize?: (req: IncomingMessage) => boolean;
}

/** Attaches the merged stream to the gateway's http server ('upgrade'). */
export function attachClusterEvents(server: Server, opts: ClusterEventsOptions): { close(): Promise<void> } {
  const path = opts.path ?? '/v1/events';
  const pool = new pg.Pool({ connectionString: opts.pgUrl, max: 4 });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  const stops = new Set<() => void>();
  const pollMs = opts.pollMs ?? 20;
  const maxBuffered = opts.maxBufferedBytes ?? 8 * 1024 * 1024;
  const tailOpts: TailOptions = { pool, names: opts.names, partitions: opts.partitions, pollMs };

  const accept = (ws: WebSocket, url: URL) => {
    let running = false;
    let stop: (() => void) | undefined;
    const start = async (since: unknown) => {
      running = true;
      let tail: MergedTail;
      try {
        const cursor = since === undefined ? undefined : parseCursor(String(since), opts.partitions);
        tail = await MergedTail.open(tailOpts, cursor);
      } catch (e) {
        ws.close(CLOSE_BAD_REQUEST, (e as Error).message.slice(0, 120));
        return;
      }
      const head = await headCursor(tailOpts).catch(() => tail.cursor);
      ws.send(JSON.stringify({ op: 'subscribed', since: tail.cursor.join(','), head: head.join(',') }));
      let live = true;
      stop = () => {
        live = false;
      };
      stops.add(stop);
      while (live && ws.readyState === ws.OPEN) {
        if (ws.bufferedAmount > maxBuffered) {
          ws.close(CLOSE_TOO_SLOW, `too slow; resume with since=${tail.cursor.join(',')}`);
          break;
        }
        try {
          const { events, covers } = await tail.poll();
          for (const e of events) {
            tail.sent(e);
            ws.send(mergedMessage(e, tail.cursor));
          }
          for (const c of covers) ws.send(JSON.stringify({ op: 'event', source: 'coordinator', event: c }));
          if (events.length === 0) await new Promise((r) => setTimeout(r, pollMs));
        } catch {
          // PostgreSQL away (a restart): try again; the cursor did not move
          await new Promise((r) => setTimeout(r, 250));
        }
      }
      stops.delete(stop);
    };
    ws.on('message', (data) => {
      let msg: { op?: unknown; since?: unknown };
      try {
        msg = JSON.parse(String(data));
      } catch {
        return ws.close(CLOSE_BAD_REQUEST, 'messages are JSON');
      }
      if (msg?.op === 'ping') {
        void headCursor(tailOpts).then(
          (h) => ws.send(JSON.stringify({ op: 'pong', head: h.join(',') })),
          () => {},
        );
        return;
      }
      if (msg?.op === 'subscribe' && !running) return void start(msg.since);
      ws.close(CLOSE_BAD_REQUEST, running ? 'already subscribed' : 'expected {"op":"subscribe"}');
    });
    ws.on('close', () => stop?.());
    ws.on('error', () => ws.terminate());
    const since = url.searchParams.get('since');
    if (since !== null) void start(since);
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== path) return;
    socket.on('error', () => socket.destroy());
    if (opts.authorize !== undefined && !opts.authorize(req)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws, url));
  };
  server.on('upgrade', onUpgrade);
  return {
    async close() {
      server.off('upgrade', onUpgrade);
      for (const s of stops) s();
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      await pool.end();
    },
  };
}
