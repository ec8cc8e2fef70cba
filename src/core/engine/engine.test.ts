/**
 * Engine behaviour, case by case. Expected numbers are derived by hand from the
 * published rules quoted in each case (fee = notional × rate; Binance funding
 * rate = P + clamp(I − P, ±0.05%); PnL = size × (exit − entry)), never pasted
 * from the engine's own output.
 */
import { describe, expect, it } from 'vitest';
import { assertConserved } from '../../../test/support/conservation.ts';
import { newVenue, ref, venueConfig } from '../../../test/support/fixtures.ts';
import { subaccountReport } from '../account/report.ts';
import { Engine } from './engine.ts';
import { fundingRate9 } from './handlers.ts';

const usdc = (e: Engine, who: string) => e.state.subaccounts.get(`${who}/0`)?.balances.get('USDC') ?? 0n;
const pos = (e: Engine, who: string, m = 'BTC-PERP') => e.state.subaccounts.get(`${who}/0`)?.positions.get(m);
const U = 1_000_000n; // 1 USDC in quote units

function funded(...who: [string, string][]): Engine {
  const e = newVenue();
  for (const [name, amount] of who)
    e.executeOrThrow({ type: 'deposit', to: ref(name), asset: 'USDC', amount });
  return e;
}

describe('deposits, withdrawals, transfers', () => {
  it('deposit_then_withdraw_changes_balances_exactly', () => {
    const e = funded(['alice', '100.25']);
    expect(usdc(e, 'alice')).toBe(100_250_000n);
    e.executeOrThrow({ type: 'withdraw', from: ref('alice'), asset: 'USDC', amount: '0.25' });
    expect(usdc(e, 'alice')).toBe(100n * U);
  });

  it('withdrawal_refused_when_free_collateral_would_go_negative', () => {
    const e = funded(['alice', '1000'], ['bob', '100000']);
    // 0.1 BTC at 60k: IM 10% = 600; taker fee 0.05% = 3; free = 1000 − 3 − 600 = 397.
    e.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('alice'),
      seller: ref('bob'),
      size: '0.1',
      price: '60000',
    });
    const before = e.stateHash();
    const r = e.execute({ type: 'withdraw', from: ref('alice'), asset: 'USDC', amount: '397.000001' });
    expect(r.ok ? '' : r.rejection.code).toBe('INSUFFICIENT_MARGIN');
    expect(e.stateHash()).toBe(before);
    expect(e.execute({ type: 'withdraw', from: ref('alice'), asset: 'USDC', amount: '397' }).ok).toBe(true);
  });

  it('transfer_between_own_subaccounts_opens_the_target', () => {
    const e = funded(['alice', '50']);
    e.executeOrThrow({
      type: 'transfer',
      from: ref('alice'),
      to: ref('alice', 'hedge'),
      asset: 'USDC',
      amount: '20',
    });
    expect(e.state.subaccounts.get('alice/hedge')!.balances.get('USDC')).toBe(20n * U);
    expect(usdc(e, 'alice')).toBe(30n * U);
  });

  it('transfer_to_unknown_other_account_is_refused', () => {
    const e = funded(['alice', '50']);
    const r = e.execute({
      type: 'transfer',
      from: ref('alice'),
      to: ref('nobody'),
      asset: 'USDC',
      amount: '1',
    });
    expect(r.ok ? '' : r.rejection.code).toBe('UNKNOWN_SUBACCOUNT');
  });
});

describe('fills, fees and PnL', () => {
  it('taker_and_maker_fees_follow_the_notional', () => {
    const e = funded(['alice', '1000'], ['bob', '100000']);
    e.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('alice'),
      seller: ref('bob'),
      size: '0.1',
      price: '60000',
    });
    // notional 6000: taker 0.05% = 3, maker 0.02% = 1.2
    expect(usdc(e, 'alice')).toBe(997n * U);
    expect(usdc(e, 'bob')).toBe(100_000n * U - 1_200_000n);
    expect(e.state.feePool).toBe(4_200_000n);
  });

  it('closing_realizes_size_times_price_difference', () => {
    const e = funded(['alice', '1000'], ['bob', '100000']);
    e.executeOrThrow({
      type: 'set_market',
      config: { ...venueConfig().markets![0]!, takerFee: '0', makerFee: '0' },
    });
    e.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('alice'),
      seller: ref('bob'),
      size: '0.1',
      price: '60000',
    });
    e.executeOrThrow({ type: 'prices', timeMs: 2, marks: { 'BTC-PERP': '61000' } });
    e.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('bob'),
      seller: ref('alice'),
      size: '0.04',
      price: '61000',
    });
    // realized 0.04 × 1000 = 40; remaining entry value 0.06 × 60000 = 3600
    expect(usdc(e, 'alice')).toBe(1040n * U);
    expect(pos(e, 'alice')!.entryValue).toBe(3600n * U);
    // flip: sell 0.1 more at 61000 → realize 0.06 × 1000 = 60, open short 0.04 at 61000
    e.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('bob'),
      seller: ref('alice'),
      size: '0.1',
      price: '61000',
    });
    expect(usdc(e, 'alice')).toBe(1100n * U);
    expect(pos(e, 'alice')!.size).toBe(-40_000_000n);
    expect(pos(e, 'alice')!.entryValue).toBe(-2440n * U);
    assertConserved(e.state);
  });

  it('open_interest_counts_one_side', () => {
    const e = funded(['alice', '10000'], ['bob', '10000'], ['carol', '10000']);
    e.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('alice'),
      seller: ref('bob'),
      size: '0.1',
      price: '60000',
    });
    e.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('carol'),
      seller: ref('alice'),
      size: '0.05',
      price: '60000',
    });
    expect(e.state.markets.get('BTC-PERP')!.openInterestQty9).toBe(100_000_000n);
  });

  it('fill_that_breaches_initial_margin_is_refused_and_changes_nothing', () => {
    const e = funded(['alice', '1000'], ['bob', '100000']);
    const before = e.stateHash();
    const r = e.execute({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('alice'),
      seller: ref('bob'),
      size: '0.2',
      price: '60000',
    });
    expect(r.ok ? '' : r.rejection.code).toBe('INSUFFICIENT_MARGIN');
    expect(e.stateHash()).toBe(before);
  });

  it('reducing_a_position_is_allowed_even_below_initial_margin', () => {
    const e = funded(['alice', '1000'], ['bob', '100000']);
    e.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('alice'),
      seller: ref('bob'),
      size: '0.1',
      price: '60000',
    });
    e.executeOrThrow({ type: 'prices', timeMs: 2, marks: { 'BTC-PERP': '54000' } });
    expect(
      e.execute({
        type: 'fill',
        market: 'BTC-PERP',
        buyer: ref('bob'),
        seller: ref('alice'),
        size: '0.05',
        price: '54000',
      }).ok,
    ).toBe(true);
  });

  it('user_leverage_cap_raises_initial_margin_only', () => {
    const e = funded(['alice', '1000'], ['bob', '100000']);
    e.executeOrThrow({
      type: 'set_leverage',
      subaccount: ref('alice'),
      market: 'BTC-PERP',
      maxLeverage: '5',
    });
    // at 5x, 0.1 BTC @ 60k needs 1200 IM > 1000 equity
    const r = e.execute({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('alice'),
      seller: ref('bob'),
      size: '0.1',
      price: '60000',
    });
    expect(r.ok ? '' : r.rejection.code).toBe('INSUFFICIENT_MARGIN');
    e.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('alice'),
      seller: ref('bob'),
      size: '0.05',
      price: '60000',
    });
    const rep = subaccountReport(e.state, e.state.subaccounts.get('alice/0')!);
    expect(rep.cross.initialMargin).toBe('600'); // 3000 / 5
    expect(rep.cross.maintenanceMargin).toBe('150'); // 5% of 3000, unchanged by the cap
  });
});

describe('collateral', () => {
  it('btc_collateral_counts_at_its_weights', () => {
    const e = newVenue();
    e.executeOrThrow({ type: 'deposit', to: ref('carol'), asset: 'BTC', amount: '0.5' });
    const rep = subaccountReport(e.state, e.state.subaccounts.get('carol/0')!);
    // 0.5 × 60000 = 30000; maintenance weight 0.9 → 27000; initial 0.8 → 24000
    expect(rep.cross.collateralValue).toBe('27000');
    expect(rep.cross.collateralValueInitial).toBe('24000');
  });

  it('yield_bearing_token_is_valued_through_its_exchange_rate', () => {
    const e = newVenue();
    e.executeOrThrow({ type: 'deposit', to: ref('dan'), asset: 'stETH', amount: '2' });
    // 2 stETH × 1.1 ETH/stETH × 3000 = 6600; × 0.85 = 5610; × 0.75 = 4950
    const rep = subaccountReport(e.state, e.state.subaccounts.get('dan/0')!);
    expect(rep.cross.collateralValue).toBe('5610');
    expect(rep.cross.collateralValueInitial).toBe('4950');
  });
});

describe('funding', () => {
  it('binance_funding_rate_formula', () => {
    // Binance: F = P + clamp(I − P, 0.05%, −0.05%), I = 0.01% per 8h.
    expect(fundingRate9(0n, 100_000n, 500_000n, 30_000_000n)).toBe(100_000n); // P=0 → F=I=0.01%
    // P=0.1%: I−P = −0.09% clamps to −0.05%, so F = 0.1% − 0.05% = 0.05%
    expect(fundingRate9(1_000_000n, 100_000n, 500_000n, 30_000_000n)).toBe(500_000n);
    // P=0.02%: I−P = −0.01% is inside the clamp, so F = I = 0.01%
    expect(fundingRate9(200_000n, 100_000n, 500_000n, 30_000_000n)).toBe(100_000n);
    // a huge premium is capped at ±3%
    expect(fundingRate9(-90_000_000n, 100_000n, 500_000n, 30_000_000n)).toBe(-30_000_000n);
  });

  it('funding_paid_equals_funding_received_exactly', () => {
    const e = funded(['a', '10000'], ['b', '10000'], ['c', '10000'], ['d', '10000']);
    e.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('a'),
      seller: ref('b'),
      size: '0.033',
      price: '60000',
    });
    e.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('a'),
      seller: ref('c'),
      size: '0.034',
      price: '60000',
    });
    e.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('d'),
      seller: ref('c'),
      size: '0.001',
      price: '60000',
    });
    const before = ['a', 'b', 'c', 'd'].map((w) => usdc(e, w));
    e.executeOrThrow({
      type: 'funding_tick',
      market: 'BTC-PERP',
      timeMs: 8 * 3600_000,
      premiumIndex: '0.00037',
    });
    const delta = ['a', 'b', 'c', 'd'].map((w, i) => usdc(e, w) - before[i]!);
    expect(delta.reduce((x, y) => x + y, 0n)).toBe(0n);
    // rate = 0.037% + clamp(0.01% − 0.037%) = 0.037% − 0.027% = 0.01%; longs a (0.067) and d (0.001) pay
    // a pays ceil(0.067 × 60000 × 0.0001) = 0.402 USDC exactly
    expect(delta[0]).toBe(-402_000n);
    expect(delta[3]).toBe(-6_000n);
  });

  it('funding_too_early_is_refused', () => {
    const e = funded(['a', '10000'], ['b', '10000']);
    e.executeOrThrow({ type: 'funding_tick', market: 'BTC-PERP', timeMs: 8 * 3600_000, premiumIndex: '0' });
    const r = e.execute({
      type: 'funding_tick',
      market: 'BTC-PERP',
      timeMs: 9 * 3600_000,
      premiumIndex: '0',
    });
    expect(r.ok ? '' : r.rejection.code).toBe('FUNDING_TOO_EARLY');
  });
});

describe('isolated margin', () => {
  it('isolated_position_takes_its_initial_margin_from_the_balance', () => {
    const e = funded(['alice', '1000'], ['bob', '100000']);
    e.executeOrThrow({
      type: 'set_margin_mode',
      subaccount: ref('alice'),
      market: 'BTC-PERP',
      mode: 'isolated',
    });
    e.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('alice'),
      seller: ref('bob'),
      size: '0.1',
      price: '60000',
    });
    // IM 600 moves into the position; fee 3 from the balance: 1000 − 3 − 600 = 397
    expect(pos(e, 'alice')!.isolatedMargin).toBe(600n * U);
    expect(usdc(e, 'alice')).toBe(397n * U);
    e.executeOrThrow({
      type: 'adjust_isolated_margin',
      subaccount: ref('alice'),
      market: 'BTC-PERP',
      amount: '100',
    });
    const r = e.execute({
      type: 'adjust_isolated_margin',
      subaccount: ref('alice'),
      market: 'BTC-PERP',
      amount: '-100.000001',
    });
    expect(r.ok ? '' : r.rejection.code).toBe('INSUFFICIENT_MARGIN');
    // closing releases the margin back to the balance
    e.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('bob'),
      seller: ref('alice'),
      size: '0.1',
      price: '60000',
    });
    expect(pos(e, 'alice')).toBeUndefined();
    expect(usdc(e, 'alice')).toBe(997n * U - 1_200_000n); // second fill: alice is maker (0.02% of 6000)
  });

  it('mode_change_with_open_position_is_refused', () => {
    const e = funded(['alice', '1000'], ['bob', '100000']);
    e.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('alice'),
      seller: ref('bob'),
      size: '0.01',
      price: '60000',
    });
    const r = e.execute({
      type: 'set_margin_mode',
      subaccount: ref('alice'),
      market: 'BTC-PERP',
      mode: 'isolated',
    });
    expect(r.ok ? '' : r.rejection.code).toBe('MODE_CHANGE_WITH_POSITION');
  });
});

describe('dated futures', () => {
  it('expiry_settles_every_position_at_the_settlement_price', () => {
    const e = Engine.create(
      venueConfig({
        markets: [
          {
            id: 'BTC-DEC',
            kind: 'future',
            base: 'BTC',
            expiryMs: 1000,
            margin: { kind: 'fixed', initialRatio: '0.1', maintenance: { ratio: '0.05' } },
          },
        ],
      }),
    );
    e.executeOrThrow({ type: 'prices', timeMs: 1, marks: { 'BTC-DEC': '60000' } });
    e.executeOrThrow({ type: 'deposit', to: ref('a'), asset: 'USDC', amount: '10000' });
    e.executeOrThrow({ type: 'deposit', to: ref('b'), asset: 'USDC', amount: '10000' });
    e.executeOrThrow({
      type: 'fill',
      market: 'BTC-DEC',
      buyer: ref('a'),
      seller: ref('b'),
      size: '0.3',
      price: '60000',
    });
    expect(e.execute({ type: 'settle_expiry', market: 'BTC-DEC', price: '61000', timeMs: 999 }).ok).toBe(
      false,
    );
    e.executeOrThrow({ type: 'settle_expiry', market: 'BTC-DEC', price: '61000', timeMs: 1000 });
    expect(usdc(e, 'a')).toBe(10_300n * U); // 0.3 × 1000
    expect(usdc(e, 'b')).toBe(9_700n * U);
    const r = e.execute({
      type: 'fill',
      market: 'BTC-DEC',
      buyer: ref('a'),
      seller: ref('b'),
      size: '0.1',
      price: '61000',
    });
    expect(r.ok ? '' : r.rejection.code).toBe('MARKET_EXPIRED');
  });
});

describe('bad input is rejected with a typed error and changes nothing', () => {
  const cases: [string, unknown, string][] = [
    ['nan_amount', { type: 'deposit', to: ref('alice'), asset: 'USDC', amount: 'NaN' }, 'INVALID_AMOUNT'],
    [
      'infinity_amount',
      { type: 'deposit', to: ref('alice'), asset: 'USDC', amount: 'Infinity' },
      'INVALID_AMOUNT',
    ],
    [
      'number_instead_of_string',
      { type: 'deposit', to: ref('alice'), asset: 'USDC', amount: 5 },
      'MALFORMED_COMMAND',
    ],
    ['negative_amount', { type: 'deposit', to: ref('alice'), asset: 'USDC', amount: '-5' }, 'INVALID_AMOUNT'],
    ['zero_amount', { type: 'withdraw', from: ref('alice'), asset: 'USDC', amount: '0' }, 'INVALID_AMOUNT'],
    [
      'too_many_decimals',
      { type: 'deposit', to: ref('alice'), asset: 'USDC', amount: '1.0000001' },
      'INVALID_AMOUNT',
    ],
    ['exponent', { type: 'deposit', to: ref('alice'), asset: 'USDC', amount: '1e3' }, 'INVALID_AMOUNT'],
    [
      'absurd_amount',
      { type: 'deposit', to: ref('alice'), asset: 'USDC', amount: '1' + '0'.repeat(40) },
      'INVALID_AMOUNT',
    ],
    ['unknown_asset', { type: 'deposit', to: ref('alice'), asset: 'DOGE', amount: '1' }, 'UNKNOWN_ASSET'],
    [
      'unknown_subaccount',
      { type: 'withdraw', from: ref('ghost'), asset: 'USDC', amount: '1' },
      'UNKNOWN_SUBACCOUNT',
    ],
    [
      'unknown_market',
      { type: 'fill', market: 'XRP-PERP', buyer: ref('alice'), seller: ref('bob'), size: '1', price: '1' },
      'UNKNOWN_MARKET',
    ],
    [
      'negative_size',
      {
        type: 'fill',
        market: 'BTC-PERP',
        buyer: ref('alice'),
        seller: ref('bob'),
        size: '-0.1',
        price: '60000',
      },
      'MALFORMED_COMMAND',
    ],
    [
      'absurd_size',
      {
        type: 'fill',
        market: 'BTC-PERP',
        buyer: ref('alice'),
        seller: ref('bob'),
        size: '1' + '0'.repeat(30),
        price: '60000',
      },
      'MALFORMED_COMMAND',
    ],
    [
      'size_off_step',
      {
        type: 'fill',
        market: 'BTC-PERP',
        buyer: ref('alice'),
        seller: ref('bob'),
        size: '0.0001',
        price: '60000',
      },
      'INVALID_SIZE',
    ],
    [
      'price_off_tick',
      {
        type: 'fill',
        market: 'BTC-PERP',
        buyer: ref('alice'),
        seller: ref('bob'),
        size: '0.001',
        price: '60000.05',
      },
      'INVALID_PRICE',
    ],
    [
      'wild_fill_price',
      {
        type: 'fill',
        market: 'BTC-PERP',
        buyer: ref('alice'),
        seller: ref('bob'),
        size: '0.001',
        price: '90000',
      },
      'FILL_PRICE_DEVIATION',
    ],
    [
      'self_trade',
      {
        type: 'fill',
        market: 'BTC-PERP',
        buyer: ref('alice'),
        seller: ref('alice'),
        size: '0.001',
        price: '60000',
      },
      'SAME_SUBACCOUNT',
    ],
    ['zero_price', { type: 'prices', timeMs: 5, marks: { 'BTC-PERP': '0' } }, 'MALFORMED_COMMAND'],
    ['wild_price', { type: 'prices', timeMs: 5, marks: { 'BTC-PERP': '600000' } }, 'PRICE_MOVE_TOO_LARGE'],
    ['stale_price', { type: 'prices', timeMs: 0, marks: { 'BTC-PERP': '60001' } }, 'STALE_TIME'],
    ['unknown_command', { type: 'teleport' }, 'MALFORMED_COMMAND'],
    ['not_an_object', 'deposit', 'MALFORMED_COMMAND'],
    ['liquidate_healthy', { type: 'liquidate', subaccount: ref('alice') }, 'NOT_LIQUIDATABLE'],
  ];
  for (const [name, cmd, code] of cases) {
    it(name, () => {
      const e = funded(['alice', '1000'], ['bob', '100000']);
      const before = e.stateHash();
      const r = e.execute(cmd);
      expect(r.ok ? 'ok' : r.rejection.code).toBe(code);
      expect(e.stateHash()).toBe(before);
    });
  }
});

describe('event listeners', () => {
  it('a listener sees accepted commands until it unsubscribes', () => {
    const e = newVenue();
    const seen: string[] = [];
    const off = e.onEvents((events) => seen.push(...events.map((x) => x.type)));
    e.executeOrThrow({ type: 'deposit', to: ref('ann'), asset: 'USDC', amount: '1' });
    expect(e.execute({ type: 'withdraw', from: ref('ann'), asset: 'USDC', amount: '2' }).ok).toBe(false);
    off();
    e.executeOrThrow({ type: 'deposit', to: ref('ann'), asset: 'USDC', amount: '1' });
    expect(seen).toEqual(['subaccount_opened', 'moved']);
  });
});

describe('rejection messages speak in units a reader uses', () => {
  it('money with its asset, prices and sizes as decimals', () => {
    const e = newVenue();
    e.executeOrThrow({ type: 'deposit', to: ref('ann'), asset: 'USDC', amount: '100' });
    const fill = (size: string, price: string) =>
      e.execute({
        type: 'fill',
        market: 'BTC-PERP',
        buyer: ref('ann'),
        seller: ref('backstop'),
        size,
        price,
      });
    // 1 BTC at 60,000 needs 6,000 IM (10%) + a 30 USDC taker fee; ann has 100.
    expect(fill('1', '60000')).toMatchObject({
      ok: false,
      rejection: { message: expect.stringMatching(/free collateral after the trade would be -5930 USDC$/) },
    });
    expect(fill('0.001', '70000')).toMatchObject({
      ok: false,
      rejection: { message: 'fill price 70000 is too far from the mark 60000' },
    });
    expect(e.execute({ type: 'withdraw', from: ref('ann'), asset: 'USDC', amount: '100.5' })).toMatchObject({
      ok: false,
      rejection: { message: 'balance 100 USDC < 100.5 USDC' },
    });
  });
});
