/**
 * INV-13 (docs/invariants.md): a command carrying a client command id is applied at most once.
 * A repeat returns the first outcome (the same events with the same seqs, or the same
 * rejection) and changes nothing, in memory, after a restart from the journal, and in replay.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeEvent } from '../../src/core/engine/codec.ts';
import { Engine } from '../../src/core/engine/engine.ts';
import { InMemoryJournal } from '../../src/store/memory-journal.ts';
import { SqliteJournal } from '../../src/store/sqlite-journal.ts';
import { newVenue, ref, venueConfig } from '../support/fixtures.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const deposit = (amount: string, commandId?: string) => ({
  type: 'deposit',
  to: ref('alice'),
  asset: 'USDC',
  amount,
  ...(commandId === undefined ? {} : { commandId }),
});
const usdc = (e: Engine, who = 'alice/0') => e.state.subaccounts.get(who)?.balances.get('USDC') ?? 0n;

describe('INV-13 idempotent commands', () => {
  it('the same deposit sent twice with one id is credited once; the repeat returns the same events and seqs', () => {
    const e = newVenue();
    const first = e.execute(deposit('100', 'dep-1'));
    expect(first.ok).toBe(true);
    const hash = e.stateHash();
    const heard: number[] = [];
    e.onEvents((evs) => heard.push(...evs.map((x) => x.seq)));
    const again = e.execute(deposit('100', 'dep-1'));
    expect(again).toEqual({ ...first, replayed: true });
    expect(usdc(e)).toBe(100_000_000n);
    expect(e.stateHash()).toBe(hash);
    expect(heard).toEqual([]); // nothing new to listen to
    // without an id, a second deposit is a second deposit
    e.executeOrThrow(deposit('100'));
    expect(usdc(e)).toBe(200_000_000n);
  });

  it('the same fill twice does not double the position', () => {
    const e = newVenue();
    for (const who of ['alice', 'bob'])
      e.executeOrThrow({ type: 'deposit', to: ref(who), asset: 'USDC', amount: '100000' });
    const fill = {
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('alice'),
      seller: ref('bob'),
      size: '0.1',
      price: '60000',
      commandId: 'f-1',
    };
    e.executeOrThrow(fill);
    e.executeOrThrow(fill);
    expect(e.state.subaccounts.get('alice/0')!.positions.get('BTC-PERP')!.size).toBe(100_000_000n);
  });

  it('a rejected command with an id returns the same rejection on repeat, even once it would succeed', () => {
    const e = newVenue();
    const r1 = e.execute({
      type: 'withdraw',
      from: ref('alice'),
      asset: 'USDC',
      amount: '5',
      commandId: 'w-1',
    });
    expect(r1).toMatchObject({ ok: false, rejection: { code: 'UNKNOWN_SUBACCOUNT' } });
    e.executeOrThrow(deposit('10'));
    const r2 = e.execute({
      type: 'withdraw',
      from: ref('alice'),
      asset: 'USDC',
      amount: '5',
      commandId: 'w-1',
    });
    expect(r2).toEqual({ ...r1, replayed: true });
    expect(usdc(e)).toBe(10_000_000n);
  });

  it('a different command under a used id is refused with COMMAND_ID_CONFLICT and changes nothing', () => {
    const e = newVenue();
    e.executeOrThrow(deposit('100', 'dep-1'));
    const hash = e.stateHash();
    expect(e.execute(deposit('999', 'dep-1'))).toMatchObject({
      ok: false,
      rejection: { code: 'COMMAND_ID_CONFLICT' },
    });
    expect(e.stateHash()).toBe(hash);
  });

  it('ids are journaled: a repeat after a restart (SQLite reopen) and in replay gives the first outcome', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plimsoll-idem-'));
    dirs.push(dir);
    const file = join(dir, 'journal.sqlite');
    const journal = SqliteJournal.open(file);
    const e = newVenue({ journal });
    const accepted = e.execute(deposit('100', 'dep-1'));
    const rejected = e.execute({
      type: 'withdraw',
      from: ref('alice'),
      asset: 'USDC',
      amount: '500',
      commandId: 'w-1',
    });
    expect(rejected.ok).toBe(false);
    e.snapshot();
    e.executeOrThrow(deposit('1', 'dep-2'));
    const hash = e.stateHash();
    journal.close();

    const reopened = SqliteJournal.open(file);
    const resumed = Engine.open(reopened);
    expect(resumed.stateHash()).toBe(hash);
    expect(resumed.execute(deposit('100', 'dep-1'))).toEqual({ ...accepted, replayed: true });
    expect(
      resumed.execute({
        type: 'withdraw',
        from: ref('alice'),
        asset: 'USDC',
        amount: '500',
        commandId: 'w-1',
      }),
    ).toEqual({
      ...rejected,
      replayed: true,
    });
    expect(resumed.execute(deposit('1', 'dep-2'))).toMatchObject({ ok: true, replayed: true });
    expect(resumed.stateHash()).toBe(hash);
    expect(usdc(resumed)).toBe(101_000_000n);
    // replay of the events alone (no snapshot) rebuilds the same remembered ids
    const events = [...reopened.read(0)].map((r) => decodeEvent(r.json));
    expect(events.some((x) => x.type === 'command_accepted')).toBe(true);
    expect(events.some((x) => x.type === 'command_rejected')).toBe(true);
    const replayed = Engine.replay(events);
    expect([...replayed.commandIds.keys()]).toEqual(['dep-1', 'w-1', 'dep-2']);
    reopened.close();
  });

  it('retention: the oldest ids are forgotten first (FIFO); a forgotten id is a new command; replay agrees', () => {
    const journal = new InMemoryJournal();
    const e = Engine.create(venueConfig({ commandIdRetention: 3 }), { journal });
    for (let i = 1; i <= 5; i++) e.executeOrThrow(deposit('1', `d-${i}`));
    expect([...e.state.commandIds.keys()]).toEqual(['d-3', 'd-4', 'd-5']);
    expect(e.execute(deposit('1', 'd-5'))).toMatchObject({ ok: true, replayed: true });
    expect(e.execute(deposit('1', 'd-1'))).toMatchObject({ ok: true }); // forgotten: applied again
    expect(usdc(e)).toBe(6_000_000n);
    expect([...e.state.commandIds.keys()]).toEqual(['d-4', 'd-5', 'd-1']);
    expect(Engine.open(journal).stateHash()).toBe(e.stateHash());
  });

  it('command ids are bounded and canonical', () => {
    const e = newVenue();
    for (const bad of ['', ' x', 'a b', 'x'.repeat(129), 'é', 5]) {
      expect(e.execute({ ...deposit('1'), commandId: bad })).toMatchObject({
        ok: false,
        rejection: { code: 'MALFORMED_COMMAND' },
      });
    }
    expect(e.execute(deposit('1', 'order:42_retry.1-a'))).toMatchObject({ ok: true });
  });

  it('an engine without a journal answers repeats from memory', () => {
    const e = Engine.create(venueConfig());
    const r = e.execute(deposit('7', 'k'));
    expect(e.execute(deposit('7', 'k'))).toEqual({ ...r, replayed: true });
    expect(usdc(e)).toBe(7_000_000n);
  });
});
