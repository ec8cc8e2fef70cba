/**
 * An account's event history read from the journal, newest first, a page at a time: the whole
 * life of the account, not only what happened since the service started (history.ts keeps that
 * in memory for the live page).
 *
 * The journal has no index by account, so a page is found by reading the journal backwards in
 * windows of `windowSize` events (readRange, the same read the event stream's resume uses) and
 * keeping the account's events. Each request reads at most `maxScan` events: an account quiet
 * for longer than that gets an empty (or short) page with `nextBefore` where the scan stopped,
 * so the next page continues from there — bounded work per request, nothing is ever skipped.
 * A cheap test on the stored text (the account id as a JSON string, alone or as the start of a
 * subaccount key) decides which events are
 * decoded at all; the decoded event's audience (event-audience.ts, the stream's own rule) then
 * decides whether it is the account's.
 */
import { decodeEvent } from '../../core/engine/codec.ts';
import { eventAudience } from '../event-audience.ts';
import type { JournalRecord } from '../event-hub.ts';
import { type AccountEvent, plainEvent } from './history.ts';

export type ReadRange = (afterSeq: number, limit: number) => Promise<readonly JournalRecord[]>;

export interface JournalHistoryPage {
  /** The account's events, newest first. */
  readonly events: AccountEvent[];
  /** Ask again with `before` = this for older events; null when the scan reached the journal's start. */
  readonly nextBefore: number | null;
  /** Journal events read for this page. */
  readonly scanned: number;
}

export interface JournalHistoryOptions {
  /** Only events with seq < before (default: everything up to `headSeq`). */
  readonly before?: number;
  readonly limit?: number;
  /** Events read per request at most (default 200,000). */
  readonly maxScan?: number;
  /** Events per readRange call (default 5,000). */
  readonly windowSize?: number;
}

const TIME = /"timeMs":(\d+)/;

/** The account's events in the journal before `opts.before`, newest first (see the header). */
export async function accountEventsFromJournal(
  readRange: ReadRange,
  headSeq: number,
  account: string,
  opts: JournalHistoryOptions = {},
): Promise<JournalHistoryPage> {
  const limit = opts.limit ?? 100;
  const maxScan = opts.maxScan ?? 200_000;
  const windowSize = opts.windowSize ?? 5_000;
  // the account appears as itself ("alice") or in a subaccount key ("alice/0")
  const quoted = JSON.stringify(account);
  const keyed = `${quoted.slice(0, -1)}/`;
  const events: AccountEvent[] = [];
  let hi = Math.min(headSeq, (opts.before ?? Number.POSITIVE_INFINITY) - 1);
  let scanned = 0;
  while (hi >= 1 && scanned < maxScan) {
    const lo = Math.max(1, hi - Math.min(windowSize, maxScan - scanned) + 1);
    const page = await readRange(lo - 1, hi - lo + 1);
    scanned += hi - lo + 1;
    // forward through the window: the latest engine time seen so far dates events that carry none
    const found: AccountEvent[] = [];
    let timeMs: number | null = null;
    for (const r of page) {
      if (r.seq > hi) break;
      const t = TIME.exec(r.json);
      if (t) timeMs = Number(t[1]);
      if (r.type === 'command_accepted' || r.type === 'command_rejected') continue;
      if (!r.json.includes(quoted) && !r.json.includes(keyed)) continue;
      const e = decodeEvent(r.json);
      if (!eventAudience(e).accounts.includes(account)) continue;
      found.push({ seq: r.seq, timeMs: timeMs ?? 0, type: e.type, event: plainEvent(e) });
    }
    for (let i = found.length - 1; i >= 0; i--) {
      events.push(found[i]!);
      if (events.length === limit) return { events, nextBefore: found[i]!.seq, scanned };
    }
    hi = lo - 1;
  }
  return { events, nextBefore: hi >= 1 ? hi + 1 : null, scanned };
}
