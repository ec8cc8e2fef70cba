/**
 * INV-02 with the real embedded store: an engine journaling to a SQLite file,
 * closed and reopened (from the events alone, and from a snapshot plus the tail),
 * reproduces the identical state — the same figures to the unit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { venueConfig } from '../../test/support/fixtures.ts';
import { subaccountReport } from '../core/account/report.ts';
import { Engine } from '../core/engine/engine.ts';
import { InMemoryJournal } from './memory-journal.ts';
import { SqliteJournal } from './sqlite-journal.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function drive(engine: Engine, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const px = (60000 * (1 - 0.004 * i)).toFixed(1);
    engine.execute({ type: 'prices', timeMs: 10 + i, marks: { 'BTC-PERP': px }, assets: { BTC: px } });
    for (const l of engine.liquidatable())
      engine.execute({ type: 'liquidate', subaccount: l.ref, timeMs: 10 + i });
  }
}

describe('engine restart from a SQLite journal', () => {
  it('replays to the identical state, with and without a snapshot', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plimsoll-'));
    dirs.push(dir);
    const file = join(dir, 'journal.sqlite');
    const journal = SqliteJournal.open(file);
    const engine = Engine.create(venueConfig(), { journal });
    engine.executeOrThrow({
      type: 'prices',
      timeMs: 1,
      marks: { 'BTC-PERP': '60000', 'ETH-PERP': '3000' },
      assets: { BTC: '60000', ETH: '3000' },
      exchangeRates: { stETH: '1.1' },
    });
    engine.executeOrThrow({ type: 'deposit', to: { account: 'backstop' }, asset: 'USDC', amount: '1000000' });
    engine.executeOrThrow({ type: 'deposit', to: { account: 'mm' }, asset: 'USDC', amount: '1000000' });
    for (let i = 0; i < 40; i++) {
      const who = { account: `t${i}` };
      engine.executeOrThrow({ type: 'deposit', to: who, asset: 'USDC', amount: String(500 + 37 * i) });
      if (i % 5 === 0) engine.executeOrThrow({ type: 'deposit', to: who, asset: 'BTC', amount: '0.001' });
      if (i % 4 === 0)
        engine.executeOrThrow({
          type: 'set_margin_mode',
          subaccount: who,
          market: 'BTC-PERP',
          mode: 'isolated',
        });
      const size = (0.01 + (i % 7) * 0.002).toFixed(3);
      engine.executeOrThrow({
        type: 'fill',
        market: 'BTC-PERP',
        buyer: who,
        seller: { account: 'mm' },
        size,
        price: '60000',
      });
    }
    drive(engine, 0, 30);
    engine.snapshot();
    drive(engine, 30, 60);
    engine.executeOrThrow({
      type: 'funding_tick',
      market: 'BTC-PERP',
      timeMs: 8 * 3600_000,
      premiumIndex: '0.0003',
    });
    const liveHash = engine.stateHash();
    const liveReport = JSON.stringify(subaccountReport(engine.state, engine.state.subaccounts.get('t7/0')!));
    journal.close();

    const reopened = SqliteJournal.open(file);
    const resumed = Engine.open(reopened);
    expect(resumed.stateHash()).toBe(liveHash);
    expect(JSON.stringify(subaccountReport(resumed.state, resumed.state.subaccounts.get('t7/0')!))).toBe(
      liveReport,
    );
    // and it keeps working after the restart
    expect(resumed.execute({ type: 'deposit', to: { account: 't7' }, asset: 'USDC', amount: '1' }).ok).toBe(
      true,
    );
    reopened.close();

    // from the events alone (ignoring the snapshot)
    const eventsOnly = new InMemoryJournal();
    const again = SqliteJournal.open(file);
    eventsOnly.append([...again.read(0)].filter((e) => e.seq <= resumed.state.seq - 1));
    again.close();
    expect(eventsOnly.lastSeq()).toBeGreaterThan(100);
    expect(Engine.open(eventsOnly).stateHash()).toBe(liveHash);
  });
});

describe('engine restart from a SQLite journal without a snapshot', () => {
  it('opens, keeps journaling and closes cleanly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plimsoll-'));
    dirs.push(dir);
    const file = join(dir, 'journal.sqlite');
    const journal = SqliteJournal.open(file);
    const engine = Engine.create(venueConfig(), { journal });
    engine.executeOrThrow({ type: 'deposit', to: { account: 'a' }, asset: 'USDC', amount: '10' });
    const hash = engine.stateHash();
    journal.close();

    const reopened = SqliteJournal.open(file);
    const resumed = Engine.open(reopened);
    expect(resumed.stateHash()).toBe(hash);
    resumed.executeOrThrow({ type: 'deposit', to: { account: 'a' }, asset: 'USDC', amount: '5' });
    expect(reopened.lastSeq()).toBe(resumed.state.seq);
    reopened.close();
  });
});
