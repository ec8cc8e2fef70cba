import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ref, venueConfig } from '../../test/support/fixtures.ts';
import { Engine } from '../core/engine/engine.ts';
import { InMemoryJournal } from '../store/memory-journal.ts';
import { DirectSink } from './direct-sink.ts';
import {
  CLOSE_FORBIDDEN,
  CLOSE_TOO_SLOW,
  EventHub,
  type SubscriberTransport,
  SubscriptionError,
} from './event-hub.ts';

class FakeTransport implements SubscriberTransport {
  readonly seqs: number[] = [];
  readonly events: { seq: number; event: Record<string, unknown> }[] = [];
  closed: { code: number; reason: string } | undefined;
  buffered = 0;
  send(text: string): void {
    const m = JSON.parse(text);
    this.seqs.push(m.seq);
    this.events.push(m);
  }
  bufferedAmount(): number {
    return this.buffered;
  }
  close(code: number, reason: string): void {
    this.closed = { code, reason };
  }
}

/** A venue on an in-memory journal with a hub on its committed events. */
function venue(ringSize: number) {
  const journal = new InMemoryJournal();
  const engine = Engine.create(venueConfig(), { journal });
  const sink = new DirectSink(engine);
  const hub = new EventHub({
    headSeq: engine.state.seq,
    ringSize,
    pageSize: 3,
    readRange: async (after, limit) => {
      await new Promise((r) => setTimeout(r, 1));
      const out = [];
      for (const e of journal.read(after)) {
        if (out.length >= limit) break;
        out.push(e);
      }
      return out;
    },
  });
  sink.onCommitted((events) => hub.publish(events));
  return { engine, sink, hub, journal };
}

const ACCOUNTS = ['a', 'b', 'c'];
const commandArb = fc.oneof(
  fc.record({ kind: fc.constant('deposit' as const), who: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ kind: fc.constant('fill' as const), who: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ kind: fc.constant('price' as const), who: fc.constant(0) }),
);

function run(engine: Engine, c: { kind: 'deposit' | 'fill' | 'price'; who: number }, i: number) {
  const who = ACCOUNTS[c.who]!;
  if (c.kind === 'deposit')
    engine.execute({ type: 'deposit', commandId: `d${i}`, to: ref(who), asset: 'USDC', amount: '100000' });
  else if (c.kind === 'fill')
    engine.execute({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref(who),
      seller: ref(ACCOUNTS[(c.who + 1) % 3]!),
      size: '0.01',
      price: '60000',
      timeMs: 1000 + i,
    });
  else engine.execute({ type: 'prices', timeMs: 1000 + i, marks: { 'BTC-PERP': String(60000 + i) } });
}

const settle = () => new Promise((r) => setTimeout(r, 30));
async function waitUntil(cond: () => boolean, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('EventHub', () => {
  it('a client that resumes with its last seen seq gets every event exactly once, in order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(commandArb, { minLength: 5, maxLength: 40 }),
        fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 5 }),
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.boolean(), { minLength: 41, maxLength: 41 }),
        async (commands, cuts, ringSize, waits) => {
          const { engine, sink, hub } = venue(ringSize);
          engine.execute({
            type: 'prices',
            timeMs: 1,
            marks: { 'BTC-PERP': '60000' },
            assets: { BTC: '60000' },
          });
          for (const a of ACCOUNTS)
            await sink.submit({ type: 'deposit', to: ref(a), asset: 'USDC', amount: '1000000' });
          const seen: number[] = [];
          const cutSet = new Set(cuts);
          let t = new FakeTransport();
          let stop = hub.subscribe(t, { viewer: { operator: true }, since: 0 });
          for (const [i, c] of commands.entries()) {
            if (cutSet.has(i)) {
              // sometimes the client drops mid-catch-up, sometimes after it went live
              if (waits[i]) await settle();
              stop();
              seen.push(...t.seqs);
              run(engine, c, i); // happens while the client is away
              t = new FakeTransport();
              stop = hub.subscribe(t, { viewer: { operator: true }, since: seen.at(-1) ?? 0 });
            } else run(engine, c, i);
          }
          await waitUntil(() => (t.seqs.at(-1) ?? seen.at(-1)) === engine.state.seq);
          seen.push(...t.seqs);
          stop();
          expect(seen).toEqual(Array.from({ length: engine.state.seq }, (_, i) => i + 1));
        },
      ),
      { numRuns: 40 },
    );
  }, 60_000);

  it('a trader sees its own accounts, public market events and anonymous liquidations, never another account', async () => {
    const { engine, sink, hub } = venue(4);
    await sink.submit({
      type: 'prices',
      timeMs: 1,
      marks: { 'BTC-PERP': '60000' },
      assets: { BTC: '60000' },
    });
    await sink.submit({ type: 'deposit', to: ref('backstop'), asset: 'USDC', amount: '10000000' });
    const early = new FakeTransport();
    hub.subscribe(early, { viewer: { operator: false, accounts: ['a'] }, since: 0 });
    await sink.submit({ type: 'deposit', commandId: 'dep-a', to: ref('a'), asset: 'USDC', amount: '700' });
    await sink.submit({
      type: 'deposit',
      commandId: 'dep-b',
      to: ref('b'),
      asset: 'USDC',
      amount: '1000000',
    });
    await sink.submit({ type: 'deposit', to: ref('c'), asset: 'USDC', amount: '1000000' });
    await sink.submit({
      type: 'fill',
      commandId: 'f1',
      market: 'BTC-PERP',
      buyer: ref('b'),
      seller: ref('c'),
      size: '0.1',
      price: '60000',
      timeMs: 2,
    });
    await sink.submit({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('a'),
      seller: ref('c'),
      size: '0.1',
      price: '60000',
      timeMs: 3,
    });
    await sink.submit({
      type: 'prices',
      timeMs: 4,
      marks: { 'BTC-PERP': '54000' },
      assets: { BTC: '54000' },
    });
    const liq = engine.execute({ type: 'liquidate', subaccount: ref('a'), timeMs: 5 });
    expect(liq.ok).toBe(true);
    // a late subscriber from 0 reads the same through the journal
    const late = new FakeTransport();
    hub.subscribe(late, { viewer: { operator: false, accounts: ['b'] }, since: 0 });
    await settle();

    await waitUntil(() => late.seqs.at(-1) === engine.state.seq || early.seqs.at(-1) === engine.state.seq);
    const text = (t: FakeTransport) => t.events.map((e) => JSON.stringify(e.event));
    // every event a sees names a, is a market event, or is anonymous; b's deposit and the b–c fill never
    const marketTypes = new Set(['engine_configured', 'prices_updated']);
    for (const e of early.events) {
      const m = JSON.stringify(e.event);
      expect(m).not.toMatch(/dep-b|"f1"/);
      const ownOrPublic =
        /"a\/0"|"account":"a"|dep-a/.test(m) || marketTypes.has(String(e.event.type)) || m.includes('"*"');
      expect(ownOrPublic, m).toBe(true);
      if (!/"a\/0"|"account":"a"|dep-a/.test(m)) expect(m).not.toMatch(/"[bc]\/0"|"account":"[bc]"/);
    }
    expect(text(early).some((m) => m.includes('dep-a'))).toBe(true);
    expect(early.events.some((e) => e.event.type === 'prices_updated')).toBe(true);
    // the trader's own liquidation in full
    expect(early.events.some((e) => e.event.type === 'liquidation_completed' && e.event.sub === 'a/0')).toBe(
      true,
    );
    // b sees a's liquidation only anonymously, and a's deposit not at all
    const bText = text(late);
    expect(bText.some((m) => m.includes('dep-b'))).toBe(true);
    expect(bText.some((m) => m.includes('"f1"'))).toBe(true);
    expect(late.events.some((e) => e.event.type === 'liquidation_completed' && e.event.sub === '*')).toBe(
      true,
    );
    for (const m of bText) expect(m).not.toMatch(/"a\/0"|"account":"a"|dep-a/);
    // seqs strictly increase for both
    for (const t of [early, late]) expect([...t.seqs].sort((x, y) => x - y)).toEqual(t.seqs);
  });

  it('refuses a subscription to accounts the key does not own', () => {
    const { hub } = venue(4);
    expect(() =>
      hub.subscribe(new FakeTransport(), { viewer: { operator: false, accounts: ['a'] }, accounts: ['b'] }),
    ).toThrow(SubscriptionError);
    try {
      hub.subscribe(new FakeTransport(), { viewer: { operator: false, accounts: ['a'] }, accounts: ['b'] });
    } catch (e) {
      expect((e as SubscriptionError).closeCode).toBe(CLOSE_FORBIDDEN);
    }
  });

  it('disconnects a live client whose buffer overflows, naming the seq to resume from', async () => {
    const { sink, hub } = venue(100);
    const slow = new FakeTransport();
    const fast = new FakeTransport();
    hub.subscribe(slow, { viewer: { operator: true } });
    hub.subscribe(fast, { viewer: { operator: true } });
    await settle();
    await sink.submit({ type: 'deposit', to: ref('a'), asset: 'USDC', amount: '1' });
    slow.buffered = 64 * 1024 * 1024;
    await sink.submit({ type: 'deposit', to: ref('a'), asset: 'USDC', amount: '1' });
    await sink.submit({ type: 'deposit', to: ref('a'), asset: 'USDC', amount: '1' });
    expect(slow.closed?.code).toBe(CLOSE_TOO_SLOW);
    const last = slow.seqs.at(-1);
    expect(slow.closed?.reason).toContain(`since=${last}`);
    expect(hub.subscriberCount).toBe(1);
    expect(fast.closed).toBeUndefined();
    expect(fast.seqs.length).toBeGreaterThan(slow.seqs.length);
  });

  it('sends notices (liquidation orders) to operator and liquidator subscribers only', async () => {
    const { hub } = venue(10);
    const op = new FakeTransport();
    const liq = new FakeTransport();
    const trader = new FakeTransport();
    hub.subscribe(op, { viewer: { operator: true } });
    hub.subscribe(liq, { viewer: { operator: false, accounts: ['keeper'], orders: true } });
    hub.subscribe(trader, { viewer: { operator: false, accounts: ['a'] } });
    await settle();
    const seen: string[][] = [[], [], []];
    for (const [i, t] of [op, liq, trader].entries()) t.send = (text) => seen[i]!.push(text);
    hub.notice({ op: 'liquidation_orders', orders: [{ subaccount: { account: 'a', sub: '0' } }] });
    expect(seen[0]).toHaveLength(1);
    expect(seen[1]).toHaveLength(1);
    expect(seen[2]).toHaveLength(0);
  });
});
