/**
 * The partition function and command routing. FNV-1a golden values are the published test vectors
 * of the FNV reference (Landon Curt Noll's test suite, test_fnv.c: FNV-1a 32-bit of "" is
 * 0x811c9dc5, of "a" 0xe40c292c, of "foobar" 0xbf9cf968).
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { ADL_CLEARING_ACCOUNT, COVER_ACCOUNT, fnv1a32, partitionOf, routeCommand } from './partition.ts';
import { staleBroadcast } from './worker.ts';

describe('fnv1a32', () => {
  it('matches the published FNV-1a 32-bit vectors', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  test.prop([fc.string()])('matches a naive BigInt reference', (s) => {
    let h = 0x811c9dc5n;
    for (const b of new TextEncoder().encode(s)) h = ((h ^ BigInt(b)) * 0x01000193n) % 2n ** 32n;
    expect(fnv1a32(s)).toBe(Number(h));
  });
});

describe('partitionOf', () => {
  it('is fnv1a32 mod N: "a" (0xe40c292c = 3826002220) in 3 partitions is 3826002220 mod 3 = 1', () => {
    expect(partitionOf('a', 3)).toBe(1);
    expect(partitionOf('foobar', 1)).toBe(0);
  });
  it('refuses a partition count that is not a positive integer', () => {
    expect(() => partitionOf('a', 0)).toThrow(RangeError);
    expect(() => partitionOf('a', 2.5)).toThrow(RangeError);
  });
  test.prop([fc.string({ minLength: 1 }), fc.integer({ min: 1, max: 64 })])('stays in range', (a, n) => {
    const p = partitionOf(a, n);
    expect(p).toBeGreaterThanOrEqual(0);
    expect(p).toBeLessThan(n);
  });
});

describe('routeCommand', () => {
  const N = 3;
  const home = (a: string) => partitionOf(a, N);
  // two account ids in different partitions, found by search so the test does not hardcode hashes
  const names = Array.from({ length: 20 }, (_, i) => `acct${i}`);
  const a = names[0]!;
  const b = names.find((x) => home(x) !== home(a))!;

  it('sends an account command to the account partition', () => {
    expect(routeCommand({ type: 'deposit', to: { account: a }, asset: 'USDC', amount: '1' }, N)).toEqual({
      kind: 'partition',
      partition: home(a),
    });
    expect(routeCommand({ type: 'transfer', from: { account: a }, to: { account: a, sub: '1' } }, N)).toEqual(
      {
        kind: 'partition',
        partition: home(a),
      },
    );
  });
  it('broadcasts prices and configuration', () => {
    expect(routeCommand({ type: 'prices', timeMs: 1, marks: {} }, N)).toEqual({ kind: 'broadcast' });
    expect(routeCommand({ type: 'set_policy' }, N)).toEqual({ kind: 'broadcast' });
  });
  it('refuses a fill between two partitions, an account-less command, the cover account, a non-object', () => {
    const fill = routeCommand({ type: 'fill', buyer: { account: a }, seller: { account: b } }, N);
    expect(fill).toMatchObject({ kind: 'rejected', code: 'CROSS_PARTITION' });
    expect(routeCommand({ type: 'cancel_order', orderId: 'x' }, N)).toMatchObject({
      code: 'UNROUTABLE_COMMAND',
    });
    expect(routeCommand({ type: 'deposit', to: { account: COVER_ACCOUNT } }, N)).toMatchObject({
      code: 'RESERVED_ACCOUNT',
    });
    expect(routeCommand([1], N)).toMatchObject({ code: 'UNROUTABLE_COMMAND' });
    expect(routeCommand({ type: 7 }, N)).toMatchObject({ code: 'UNROUTABLE_COMMAND' });
  });
});

describe('routeCommand: orders and the ADL escrow', () => {
  const N = 3;
  it('routes amend_order and cancel_order by the order subaccount, and refuses them without it', () => {
    const sub = { account: 'acct7', sub: '2' };
    const to = { kind: 'partition', partition: partitionOf('acct7', N) };
    expect(routeCommand({ type: 'cancel_order', orderId: 'o1', subaccount: sub }, N)).toEqual(to);
    expect(routeCommand({ type: 'amend_order', orderId: 'o1', price: '1', subaccount: sub }, N)).toEqual(to);
    expect(routeCommand({ type: 'place_order', orderId: 'o1', subaccount: sub }, N)).toEqual(to);
    expect(routeCommand({ type: 'amend_order', orderId: 'o1', price: '1' }, N)).toMatchObject({
      code: 'UNROUTABLE_COMMAND',
      message: expect.stringMatching(/subaccount/),
    });
  });
  it('refuses any command naming the ADL clearing account, and any adl_leg (only the coordinator sends those)', () => {
    for (const c of [
      { type: 'withdraw', from: { account: ADL_CLEARING_ACCOUNT, sub: 'b7' } },
      { type: 'transfer', from: { account: 'x' }, to: { account: ADL_CLEARING_ACCOUNT } },
      { type: 'place_order', subaccount: { account: ADL_CLEARING_ACCOUNT } },
      { type: 'liquidate', subaccount: { account: ADL_CLEARING_ACCOUNT, sub: 'b7' } },
      { type: 'adl_leg', subaccount: { account: 'x' }, clearing: { account: 'y' } },
    ]) {
      expect(routeCommand(c, N)).toMatchObject({ kind: 'rejected', code: 'RESERVED_ACCOUNT' });
    }
  });
});

describe('staleBroadcast', () => {
  it('applies the next sequence and refuses a repeat, a late one and a non-sequence', () => {
    expect(staleBroadcast(6, 5)).toBeUndefined();
    expect(staleBroadcast(9, 5)).toBeUndefined();
    expect(staleBroadcast(5, 5)).toMatch(/repeat or out of order/);
    expect(staleBroadcast(2, 5)).toMatch(/repeat or out of order/);
    expect(staleBroadcast(0, 0)).toMatch(/positive integer/);
  });
});
