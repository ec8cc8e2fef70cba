import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { longsAgainstWhale, venueConfig } from '../../test/support/fixtures.ts';
import { Engine } from '../core/engine/engine.ts';
import { exactScan, liquidationRounds } from '../core/keeper/index.ts';
import { InMemoryJournal } from '../store/memory-journal.ts';
import { DirectSink } from './direct-sink.ts';
import { KeeperService, type LiquidationOrder } from './keeper-service.ts';

const COUNT = 12;

function venue() {
  const engine = Engine.create(venueConfig(), { journal: new InMemoryJournal() });
  engine.executeOrThrow({
    type: 'prices',
    timeMs: 1,
    marks: { 'BTC-PERP': '60000' },
    assets: { BTC: '60000' },
  });
  longsAgainstWhale(engine, COUNT, 2);
  return engine;
}

const drop = (px: string, timeMs: number) => ({ type: 'prices', timeMs, marks: { 'BTC-PERP': px } });

describe('KeeperService', () => {
  it('liquidates through the sink after a price drop, ending where the library keeper ends', async () => {
    const engine = venue();
    const sink = new DirectSink(engine);
    const registry = new Registry();
    const keeper = new KeeperService(sink, { registry });
    const r = await sink.submit(drop('55000', 10));
    expect(r.ok).toBe(true);
    await keeper.idle();
    expect(keeper.stats.steps).toBeGreaterThan(0);
    expect(engine.liquidatable()).toEqual([]);

    // the library's rounds on an identical venue
    const reference = venue();
    reference.executeOrThrow(drop('55000', 10));
    const lib = liquidationRounds(reference, 10, { finder: exactScan, maxRounds: 50 });
    const libSteps = Object.values(lib.steps).reduce((a, b) => a + b, 0);
    expect(libSteps).toBeGreaterThan(0);
    expect(engine.stateHash()).toBe(reference.stateHash());

    const metrics = await registry.getMetricsAsJSON();
    const hist = metrics.find((m) => m.name === 'plimsoll_liquidation_latency_seconds');
    const count = hist?.values.find(
      (v) => (v as { metricName?: string }).metricName === 'plimsoll_liquidation_latency_seconds_count',
    );
    expect(count?.value).toBe(libSteps);
    await keeper.stop();
  });

  it('coalesces a burst of prices into few passes and never runs two at once', async () => {
    const engine = venue();
    const sink = new DirectSink(engine);
    let inPass = 0;
    let maxInPass = 0;
    // a sink whose liquidations take a while, to let prices pile up during a pass
    const slow = {
      get engine() {
        return sink.engine;
      },
      onCommitted: sink.onCommitted.bind(sink),
      drain: sink.drain.bind(sink),
      async submit(c: unknown) {
        if ((c as { type: string }).type === 'liquidate') {
          inPass++;
          maxInPass = Math.max(maxInPass, inPass);
          await new Promise((r) => setTimeout(r, 5));
          inPass--;
        }
        return sink.submit(c);
      },
    };
    const keeper = new KeeperService(slow, { finder: () => exactScan });
    const burst = [];
    for (let i = 0; i < 20; i++) burst.push(sink.submit(drop(String(59000 - 200 * i), 10 + i)));
    await Promise.all(burst);
    await keeper.idle();
    expect(keeper.stats.passes).toBeLessThan(20);
    expect(maxInPass).toBeLessThanOrEqual(COUNT); // one round's steps at most, never two passes' worth
    expect(engine.liquidatable()).toEqual([]);
    expect(keeper.stats.steps).toBeGreaterThan(0);
  });

  it('in orders mode reports the liquidatable scopes and executes nothing', async () => {
    const engine = venue();
    const sink = new DirectSink(engine);
    const orders: LiquidationOrder[] = [];
    const keeper = new KeeperService(sink, { mode: 'orders', onOrders: (o) => orders.push(...o) });
    await sink.submit(drop('55000', 10));
    const seqAfterPrice = engine.state.seq;
    await keeper.idle();
    expect(engine.state.seq).toBe(seqAfterPrice);
    const expected = engine
      .liquidatable()
      .map((c) => c.ref.account)
      .sort();
    expect(expected.length).toBeGreaterThan(0);
    expect(orders.map((o) => o.subaccount.account).sort()).toEqual(expected);
  });
});
