/**
 * INV-14 (time cannot be poisoned) and INV-15 (strict, bounded input), docs/invariants.md.
 * Each refused input changes nothing: the state hash is the same before and after.
 */
import { describe, expect, it } from 'vitest';
import { newVenue, ref, venueConfig } from '../../../test/support/fixtures.ts';
import { parseDecimal } from '../num/index.ts';
import { Engine, MAX_COMMAND_TIME_MS } from './engine.ts';

const prices = (timeMs: number, px = '60000') => ({ type: 'prices', timeMs, marks: { 'BTC-PERP': px } });

function refused(e: Engine, command: unknown, code: string): string {
  const hash = e.stateHash();
  const r = e.execute(command);
  expect(r.ok, JSON.stringify(command).slice(0, 200)).toBe(false);
  if (r.ok) return '';
  expect(r.rejection.code).toBe(code);
  expect(e.stateHash()).toBe(hash);
  return r.rejection.message;
}

describe('INV-14 time cannot be poisoned', () => {
  it('timeMs 8.64e15 is refused with FUTURE_TIME and prices stay updatable', () => {
    const e = newVenue();
    refused(e, prices(8.64e15), 'FUTURE_TIME');
    refused(e, { type: 'deposit', to: ref('a'), asset: 'USDC', amount: '1', timeMs: 8.64e15 }, 'FUTURE_TIME');
    refused(e, prices(MAX_COMMAND_TIME_MS + 1), 'FUTURE_TIME');
    e.executeOrThrow(prices(2, '61000'));
    expect(e.state.markets.get('BTC-PERP')!.markPx8).toBe(61_000n * 10n ** 8n);
  });

  it('with a clock: timeMs ≤ now + maxFutureSkewMs; a historical time is fine', () => {
    let now = 1_700_000_000_000;
    const e = Engine.create(venueConfig(), { clock: { now: () => now }, time: { maxFutureSkewMs: 1_000 } });
    e.executeOrThrow(prices(now + 1_000));
    refused(e, prices(now + 1_001), 'FUTURE_TIME');
    now += 10_000;
    e.executeOrThrow(prices(now + 500));
    // the default skew is 5 s
    const d = Engine.create(venueConfig(), { clock: { now: () => now } });
    d.executeOrThrow(prices(now + 5_000));
    refused(d, prices(now + 5_001), 'FUTURE_TIME');
  });

  it('without a clock, an optional bound on the jump past the engine time (labs replaying history leave it off)', () => {
    const e = Engine.create(venueConfig(), { time: { maxJumpMs: 60_000 } });
    e.executeOrThrow(prices(1_000_000)); // the first time is only bounded by MAX_COMMAND_TIME_MS
    e.executeOrThrow(prices(1_060_000));
    refused(e, prices(1_120_001), 'FUTURE_TIME');
    const lab = Engine.create(venueConfig());
    lab.executeOrThrow(prices(1_000));
    lab.executeOrThrow(prices(Date.UTC(2025, 9, 10)));
  });

  it('a refused future time with a command id is remembered like any rejection', () => {
    const e = newVenue();
    const r = e.execute({ ...prices(8.64e15), commandId: 'p-1' });
    expect(r).toMatchObject({ ok: false, rejection: { code: 'FUTURE_TIME' } });
    expect(e.execute({ ...prices(8.64e15), commandId: 'p-1' })).toEqual({ ...r, replayed: true });
  });
});

describe('INV-15 strict, bounded input', () => {
  it('decimal strings are canonical: no whitespace, no +, no exponent, no leading zeros, no negative zero', () => {
    for (const bad of [
      ' 5',
      '5 ',
      '+5',
      '05',
      '00.5',
      '1e3',
      '1E3',
      '.5',
      '5.',
      '-0',
      '-0.00',
      '0x10',
      '5_000',
      '１',
      '',
    ]) {
      expect(parseDecimal(bad, 6).ok, JSON.stringify(bad)).toBe(false);
    }
    // trailing zeros are allowed (venues print them): '1.50' is 1.5
    expect(parseDecimal('1.50', 6)).toEqual({ ok: true, value: 1_500_000n });
    expect(parseDecimal('0.5', 6)).toEqual({ ok: true, value: 500_000n });
    expect(parseDecimal('-2.25', 6)).toEqual({ ok: true, value: -2_250_000n });
    expect(parseDecimal('0', 6)).toEqual({ ok: true, value: 0n });
    expect(parseDecimal('1'.repeat(81), 6).ok).toBe(false);
  });

  it('amounts and prices in commands follow the canonical form', () => {
    const e = newVenue();
    for (const amount of [' 5', '5 ', '+5', '05', '5e0']) {
      refused(e, { type: 'deposit', to: ref('a'), asset: 'USDC', amount }, 'INVALID_AMOUNT');
    }
    refused(e, prices(2, ' 60000'), 'MALFORMED_COMMAND');
    refused(e, prices(2, '+60000'), 'MALFORMED_COMMAND');
    e.executeOrThrow({ type: 'deposit', to: ref('a'), asset: 'USDC', amount: '5.00' });
  });

  it('__proto__, constructor and prototype are refused as keys and ids', () => {
    const e = newVenue();
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const marks = JSON.parse(`{"${key}": "1"}`);
      refused(e, { type: 'prices', timeMs: 2, marks }, 'MALFORMED_COMMAND');
      refused(e, { type: 'prices', timeMs: 2, assets: JSON.parse(`{"${key}": "1"}`) }, 'MALFORMED_COMMAND');
      refused(e, { type: 'deposit', to: { account: key }, asset: 'USDC', amount: '1' }, 'MALFORMED_COMMAND');
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('100,000 invalid marks are refused by the size bound, before any value is parsed', () => {
    // The bound is checked before the schema, so the refusal names the bound, not a bad price
    // (parsing all 100,000 values took 2.4 s and produced a 6 MB message). No timing here:
    // the speed of input checks belongs in the benchmarks.
    const e = newVenue();
    const marks: Record<string, string> = {};
    for (let i = 0; i < 100_000; i++) marks[`M${i}`] = 'not a price';
    const message = refused(e, { type: 'prices', timeMs: 2, marks }, 'MALFORMED_COMMAND');
    expect(message.length).toBeLessThan(500);
    expect(message).toMatch(/at most 4096/);
    expect(message).not.toMatch(/not a price|decimal/i);
  });

  it('a rejection lists at most a few problems, in bounded text', () => {
    const e = newVenue();
    const marks: Record<string, string> = {};
    for (let i = 0; i < 4_000; i++) marks[`M${i}`] = 'x'.repeat(60);
    const message = refused(e, { type: 'prices', timeMs: 2, marks }, 'MALFORMED_COMMAND');
    expect(message.length).toBeLessThanOrEqual(2_000);
    expect(message).toMatch(/and \d+ more problems/);
    expect(message.split('\n').length).toBeLessThanOrEqual(6);
  });
});

describe('fills: the bounds still apply to what the fast fill parser leaves to zod', () => {
  const fill = {
    type: 'fill',
    market: 'BTC-PERP',
    buyer: ref('a'),
    seller: ref('b'),
    size: '1',
    price: '60000',
  };
  it('a reserved key (own, JSON-parsed) or an oversized extra value is refused as malformed', () => {
    const e = newVenue();
    const proto = refused(
      e,
      JSON.parse(
        `{"type":"fill","market":"BTC-PERP","buyer":{"account":"a","__proto__":{}},"seller":{"account":"b"},"size":"1","price":"60000"}`,
      ),
      'MALFORMED_COMMAND',
    );
    expect(proto).toBe('key __proto__ is not allowed');
    const huge = refused(
      e,
      { ...fill, extra: Array.from({ length: 250_000 }, () => 0) },
      'MALFORMED_COMMAND',
    );
    expect(huge).toMatch(/command too large/);
  });
});
