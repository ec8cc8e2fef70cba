/**
 * An account's event history from the journal: paging backwards through the whole journal gives
 * every one of the account's events exactly once, newest first, however small the pages and the
 * per-request scan bound; and through the API it reaches events older than the in-memory history
 * keeps (200 per account).
 */
import { describe, expect, it } from 'vitest';
import { readRangeOf } from '../live.ts';
import { harness, seeded } from '../server.testkit.ts';
import { accountEventsFromJournal } from './journal-history.ts';

const DEPOSITS = 320;

async function busyAlice() {
  const h = harness();
  await seeded(h); // alice: one deposit of 10,000 and a 1 BTC fill
  for (let i = 0; i < DEPOSITS; i++) {
    const to = i % 3 === 0 ? 'bob' : 'alice';
    const r = await h.call('op', 'POST', '/v1/deposits', {
      account: to,
      asset: 'USDT',
      amount: String(i + 1),
    });
    expect(r.status).toBe(200);
  }
  return h;
}
const aliceDeposits = Array.from({ length: DEPOSITS }, (_, i) => i).filter((i) => i % 3 !== 0).length;

describe('accountEventsFromJournal', () => {
  it('pages backwards through everything, each event once, newest first, within the scan bound', async () => {
    const h = await busyAlice();
    const read = readRangeOf(h.journal);
    const head = h.engine.state.seq;
    const all = await accountEventsFromJournal(read, head, 'alice', { limit: 10_000 });
    expect(all.nextBefore).toBeNull();
    const seqs = all.events.map((e) => e.seq);
    expect([...seqs].sort((a, b) => b - a)).toEqual(seqs);
    // the deposits she received: 10,000 at the start and the 213 of the loop, each an exact amount
    const deposits = all.events.filter(
      (e) => e.type === 'moved' && (e.event.to as { sub?: string }).sub === 'alice/0',
    );
    expect(deposits.length).toBe(1 + aliceDeposits);
    expect(all.events.at(-1)!.type).toBe('subaccount_opened');
    expect(all.events.some((e) => e.type === 'traded')).toBe(true);
    // bob's deposits are not hers
    expect(
      all.events.some((e) => e.type === 'moved' && (e.event.to as { sub?: string }).sub === 'bob/0'),
    ).toBe(false);

    // small pages, small windows, a scan bound far below the journal's length
    const paged: number[] = [];
    let before: number | undefined;
    let requests = 0;
    for (;;) {
      const p = await accountEventsFromJournal(read, head, 'alice', {
        limit: 7,
        windowSize: 10,
        maxScan: 25,
        ...(before === undefined ? {} : { before }),
      });
      requests++;
      expect(p.scanned).toBeLessThanOrEqual(25);
      expect(p.events.length).toBeLessThanOrEqual(7);
      paged.push(...p.events.map((e) => e.seq));
      if (p.nextBefore === null) break;
      expect(p.nextBefore).toBeLessThan(before ?? Number.POSITIVE_INFINITY);
      before = p.nextBefore;
    }
    expect(paged).toEqual(seqs);
    expect(requests).toBeGreaterThan(head / 25 - 1);
  });

  it('an account with no events gets an empty page', async () => {
    const h = await busyAlice();
    const p = await accountEventsFromJournal(readRangeOf(h.journal), h.engine.state.seq, 'nobody');
    expect(p).toMatchObject({ events: [], nextBefore: null });
  });
});

describe('GET /v1/accounts/:account/events', () => {
  it('reaches events older than the in-memory history keeps, page by page', async () => {
    const h = await busyAlice();
    const seen: { seq: number; type: string }[] = [];
    let path = '/v1/accounts/alice/events?limit=200';
    for (;;) {
      const r = await h.call('alice', 'GET', path);
      expect(r.status).toBe(200);
      expect(r.body.source).toBe('journal');
      seen.push(...r.body.events);
      if (r.body.nextBefore === null) break;
      path = `/v1/accounts/alice/events?limit=200&before=${r.body.nextBefore}`;
    }
    expect(seen.length).toBeGreaterThan(200);
    expect(seen.at(-1)!.type).toBe('subaccount_opened');
    expect(seen.filter((e) => e.type === 'moved').length).toBeGreaterThanOrEqual(1 + aliceDeposits);
  });

  it('a trader key reads only its own account; bad paging is 400', async () => {
    const h = await busyAlice();
    expect((await h.call('alice', 'GET', '/v1/accounts/bob/events')).status).toBe(403);
    for (const q of ['before=0', 'before=x', 'limit=0', 'limit=201']) {
      const r = await h.call('alice', 'GET', `/v1/accounts/alice/events?${q}`);
      expect([r.status, r.body.code], q).toEqual([400, 'INVALID_REQUEST']);
    }
  });
});
