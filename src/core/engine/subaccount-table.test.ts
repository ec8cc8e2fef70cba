/**
 * The compact snapshot (format 3: subaccounts as a table, ./subaccount-table.ts, holders as row
 * lists) decodes to the state it was taken from, and snapshots in format 2 and in the older
 * all-plain form still decode.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { newVenue, ref } from '../../../test/support/fixtures.ts';
import { InvariantError } from '../num/index.ts';
import { toJson } from '../num/json.ts';
import { decodeSnapshot, encodeSnapshot, stateHash, stateToPlain } from './codec.ts';

/** Cross and isolated positions, BTC and ETH collateral, a leverage cap, a second sub, and an amount past 2^53. */
function busyVenue() {
  const e = newVenue();
  e.executeOrThrow({ type: 'deposit', to: ref('whale'), asset: 'USDC', amount: '90000000000' }); // 9e16 units > 2^53
  e.executeOrThrow({ type: 'deposit', to: ref('alice'), asset: 'USDC', amount: '5000' });
  e.executeOrThrow({ type: 'deposit', to: ref('alice'), asset: 'ETH', amount: '1.5' });
  e.executeOrThrow({ type: 'deposit', to: ref('bob', 'hedge'), asset: 'BTC', amount: '0.2' });
  e.executeOrThrow({ type: 'deposit', to: ref('bob', 'hedge'), asset: 'USDC', amount: '3000' });
  e.executeOrThrow({
    type: 'set_margin_mode',
    subaccount: ref('alice'),
    market: 'ETH-PERP',
    mode: 'isolated',
  });
  e.executeOrThrow({
    type: 'set_leverage',
    subaccount: ref('bob', 'hedge'),
    market: 'BTC-PERP',
    maxLeverage: '5',
  });
  const fill = (market: string, buyer: string, seller: string, size: string, price: string, bsub = '0') =>
    e.executeOrThrow({ type: 'fill', market, buyer: ref(buyer, bsub), seller: ref(seller), size, price });
  fill('BTC-PERP', 'alice', 'whale', '0.05', '60000');
  fill('ETH-PERP', 'alice', 'whale', '1', '3000');
  fill('BTC-PERP', 'bob', 'whale', '0.01', '60010', 'hedge');
  e.executeOrThrow({ type: 'prices', timeMs: 5, marks: { 'BTC-PERP': '59000.3', 'ETH-PERP': '2950' } });
  return e;
}

describe('compact snapshot', () => {
  it('round-trips a state with cross, isolated, multi-asset and large balances (equal state hash)', () => {
    const e = busyVenue();
    const json = encodeSnapshot(e.state);
    expect(json.startsWith('{"format":"plimsoll-snapshot/3",')).toBe(true);
    const back = decodeSnapshot(json);
    expect(stateHash(back)).toBe(e.stateHash());
    expect(back.subaccounts.get('whale/0')!.balances.get('USDC')! > 2n ** 53n).toBe(true);
    // holders and subaccount keys are one string each, decoded from row numbers
    const holder = [...back.markets.get('BTC-PERP')!.holders][0]!;
    expect(back.subaccounts.has(holder)).toBe(true);
    // re-encoding the decoded state gives the same text
    expect(encodeSnapshot(back)).toBe(json);
  });

  it('is several times smaller than the plain form', () => {
    const e = busyVenue();
    expect(encodeSnapshot(e.state).length).toBeLessThan(toJson(stateToPlain(e.state)).length);
  });

  it('still decodes a snapshot written in the plain form', () => {
    const e = busyVenue();
    const old = toJson(stateToPlain(e.state));
    expect(stateHash(decodeSnapshot(old))).toBe(e.stateHash());
  });

  it('still opens a format-2 snapshot (written by the previous writer) to the same state', () => {
    // busyVenue plus bob/hedge buying ETH-PERP from alice, written by encodeSnapshot at cb269a3;
    // its state hash is the one that engine reported for it
    const old = readFileSync(
      new URL('../../../test/vectors/snapshot_format2_busy_venue.json', import.meta.url),
      'utf8',
    );
    expect(old.startsWith('{"format":"plimsoll-snapshot/2",')).toBe(true);
    const e = busyVenue();
    e.executeOrThrow({
      type: 'fill',
      market: 'ETH-PERP',
      buyer: ref('bob', 'hedge'),
      seller: ref('alice'),
      size: '0.5',
      price: '3001',
    });
    expect(stateHash(decodeSnapshot(old))).toBe('334f24359d4629a2');
    expect(stateHash(decodeSnapshot(old))).toBe(e.stateHash());
    // written again, it is format 3, and opens to the same state
    const again = encodeSnapshot(decodeSnapshot(old));
    expect(again.startsWith('{"format":"plimsoll-snapshot/3",')).toBe(true);
    expect(stateHash(decodeSnapshot(again))).toBe('334f24359d4629a2');
  });

  it('rejects format-3 holder lists that do not match the markets or the rows, with a typed error', () => {
    const json = encodeSnapshot(busyVenue().state);
    const raw = JSON.parse(json);
    const rewrite = (f: (r: typeof raw) => void) => {
      const copy = JSON.parse(json);
      f(copy);
      return JSON.stringify(copy);
    };
    expect(() => decodeSnapshot(rewrite((r) => r.holders.pop()))).toThrow(InvariantError);
    expect(() => decodeSnapshot(rewrite((r) => r.holders[0].push(99)))).toThrow(InvariantError);
    expect(() => decodeSnapshot(rewrite((r) => r.holders[0].push(r.holders[0][0])))).toThrow(InvariantError);
    expect(() => decodeSnapshot(rewrite((r) => (r.holders[0][0] = -1)))).toThrow(InvariantError);
    expect(() => decodeSnapshot(rewrite((r) => (r.holders[0] = 'x')))).toThrow(InvariantError);
    expect(() => decodeSnapshot(rewrite((r) => delete r.holders))).toThrow(InvariantError);
    // a holder without a position in the market: bob/hedge holds no ETH-PERP
    const eth = raw.state.markets.findIndex(([id]: [string]) => id === 'ETH-PERP');
    const bob = [...busyVenue().state.subaccounts.keys()].indexOf('bob/hedge');
    expect(bob).toBeGreaterThanOrEqual(0);
    expect(() => decodeSnapshot(rewrite((r) => r.holders[eth].push(bob)))).toThrow(InvariantError);
  });

  it('rejects a truncated table with a typed error', () => {
    const json = encodeSnapshot(busyVenue().state);
    const raw = JSON.parse(json);
    raw.subaccounts.chunks[0].pop();
    expect(() => decodeSnapshot(JSON.stringify(raw))).toThrow(InvariantError);
    raw.subaccounts.count += 1;
    expect(() => decodeSnapshot(JSON.stringify(raw))).toThrow(InvariantError);
  });
});

describe('compact snapshot: malformed tables', () => {
  it('rejects a count the table cannot hold, and a row cut short, with a typed error', () => {
    const json = encodeSnapshot(busyVenue().state);
    for (const count of [-1, 1.5, 'x', 1e12]) {
      const raw = JSON.parse(json);
      raw.subaccounts.count = count;
      expect(() => decodeSnapshot(JSON.stringify(raw))).toThrow(InvariantError);
    }
    const raw = JSON.parse(json);
    const chunk = raw.subaccounts.chunks[0] as unknown[];
    // the first row's balance count announces one more balance than the row holds
    chunk[3] = (chunk[3] as number) + 40;
    expect(() => decodeSnapshot(JSON.stringify(raw))).toThrow(InvariantError);
  });
});
