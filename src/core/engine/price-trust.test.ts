/**
 * Safe mode protects the venue: while a market a scope is exposed to has no trustworthy
 * price (oracle safe mode, or a held mark whose sources went quiet), value may not leave the
 * scope and risk may not grow in it; deposits and risk-reducing trades stay open.
 *
 * The finding reproduced: feeds go down, the oracle holds 60,000 while the true price is
 * 50,000 (16.7 % lower). Alice (10,000 USDC, long 1 BTC) asks to withdraw 7,000: at the held
 * mark her free collateral is 8,800, so a margin check alone lets her go, and when the feeds
 * return she is bankrupt by 7,000 (10,000 − 7,000 − 10,000 of loss).
 */
import { describe, expect, it } from 'vitest';
import { threeSourceOracle, venueConfig } from '../../../test/support/fixtures.ts';
import { crossView, evaluate } from '../account/figures.ts';
import { Engine } from './engine.ts';

const oracleConfig = threeSourceOracle({
  maxAgeMs: 10_000,
  maxMovePerInterval: '0.1',
  recovery: { minHealthyMs: 5_000 },
});

const T0 = 1_000_000;

function venue(opts: { lending?: boolean } = {}): Engine {
  const markets = venueConfig().markets!.map((m) =>
    m.id === 'BTC-PERP'
      ? { ...m, margin: { kind: 'fixed' as const, initialRatio: '0.02', maintenance: { ratio: '0.01' } } }
      : m,
  );
  const e = Engine.create(
    venueConfig({
      markets,
      oracles: [oracleConfig],
      ...(opts.lending ? { liquidation: { lending: {} } } : {}),
    }),
  );
  e.executeOrThrow({ type: 'prices', timeMs: 1, marks: { 'ETH-PERP': '3000' }, assets: { BTC: '60000' } });
  for (const [account, amount] of [
    ['backstop', '10000000'],
    ['mm', '10000000'],
    ['alice', '10000'],
    ['carol', '10000'],
    ['bob', '10000'],
    ['dave', '10000'],
  ] as const) {
    e.executeOrThrow({ type: 'deposit', to: { account }, asset: 'USDC', amount });
  }
  oracle(e, T0, '60000');
  oracle(e, T0 + 6_000, '60000'); // healthy for minHealthyMs: out of safe mode
  expect(e.state.markets.get('BTC-PERP')!.oracle!.state.safeMode.active).toBe(false);
  // Alice: long 1 BTC (6x) in her cross scope. Bob: an isolated long in his sub 1.
  fill(e, 'alice', 'mm', '1', '60000', T0 + 6_000);
  e.executeOrThrow({
    type: 'transfer',
    from: { account: 'bob' },
    to: { account: 'bob', sub: '1' },
    asset: 'USDC',
    amount: '1000',
  });
  e.executeOrThrow({
    type: 'set_margin_mode',
    subaccount: { account: 'bob', sub: '1' },
    market: 'BTC-PERP',
    mode: 'isolated',
  });
  fill(e, 'bob', 'mm', '0.1', '60000', T0 + 6_000, '1');
  e.executeOrThrow({
    type: 'adjust_isolated_margin',
    subaccount: { account: 'bob', sub: '1' },
    market: 'BTC-PERP',
    amount: '500',
  });
  return e;
}

function oracle(e: Engine, t: number, px: string, sources = ['a', 'b', 'c']) {
  return e.executeOrThrow({
    type: 'oracle',
    market: 'BTC-PERP',
    timeMs: t,
    inputs: sources.map((source) => ({ source, price: px, timestampMs: t })),
  });
}
function fill(e: Engine, buyer: string, seller: string, size: string, price: string, t: number, sub = '0') {
  return e.executeOrThrow({
    type: 'fill',
    market: 'BTC-PERP',
    buyer: { account: buyer, sub },
    seller: { account: seller },
    size,
    price,
    timeMs: t,
  });
}
const code = (r: ReturnType<Engine['execute']>) => (r.ok ? 'accepted' : r.rejection.code);
/** Cross-scope figures of `account/0` at the current marks. */
const figures = (e: Engine, account: string) =>
  evaluate(e.state as never, crossView(e.state.subaccounts.get(`${account}/0`)!));
const equity = (e: Engine, account: string) => Number(figures(e, account).equityQuote) / 1e6;
const withdraw = (account: string, amount: string, timeMs?: number) => ({
  type: 'withdraw' as const,
  from: { account },
  asset: 'USDC',
  amount,
  ...(timeMs === undefined ? {} : { timeMs }),
});

describe('safe mode protects the venue', () => {
  it('withdrawal_at_a_held_mark_is_refused_while_feeds_are_down', () => {
    const e = venue();
    // Feeds down: only source a still reports; b and c age out → index unreliable → safe mode.
    const down = T0 + 20_000;
    oracle(e, down, '60000', ['a']);
    const m = e.state.markets.get('BTC-PERP')!;
    expect(m.oracle!.state.safeMode.reasons).toContain('index_unreliable');
    expect(m.markPx8).toBe(60_000n * 10n ** 8n); // the held mark
    // At the held mark a margin check alone would let 7,000 go: free collateral ≈ 8,800.
    const s = e.state.subaccounts.get('alice/0')!;
    expect(figures(e, 'alice').freeCollateralQuote).toBeGreaterThan(7_000_000_000n);
    expect(crossView(s).positions.length).toBe(1);
    const r = e.execute(withdraw('alice', '7000', down + 1_000));
    expect(code(r)).toBe('SAFE_MODE');
    expect(!r.ok && r.rejection.details).toMatchObject({ markets: ['BTC-PERP'] });
    // Feeds return at the true price, 16.7 % lower: the breaker holds, then follows the new level.
    for (let t = down + 2_000; t <= down + 200_000; t += 2_000) oracle(e, t, '50000');
    expect(m.markPx8).toBe(50_000n * 10n ** 8n);
    expect(m.oracle!.state.safeMode.active).toBe(false);
    // Alice kept her 10,000 in the venue: it covers the 10,000 loss (equity ≈ −30 of fees), not −7,000.
    expect(equity(e, 'alice')).toBeGreaterThan(-100);
    expect(equity(e, 'alice')).toBeLessThan(100);
    // And at the true mark the margin check refuses the withdrawal on its own.
    expect(code(e.execute(withdraw('alice', '7000', down + 201_000)))).toBe('INSUFFICIENT_MARGIN');
  });

  it('a_mark_nobody_refreshed_is_stale_at_the_command_time', () => {
    const e = venue();
    // No oracle command at all after T0 + 6 s: the stored state still says "not in safe mode",
    // but at the withdrawal's time every source is older than its maxAge.
    expect(e.state.markets.get('BTC-PERP')!.oracle!.state.safeMode.active).toBe(false);
    expect(code(e.execute(withdraw('alice', '7000', T0 + 60_000)))).toBe('SAFE_MODE');
    // Within the sources' maxAge the same withdrawal passes (it is within free collateral).
    expect(code(e.execute(withdraw('alice', '100', T0 + 10_000)))).toBe('accepted');
  });

  it('every_exit_is_refused_and_every_entry_or_reduction_stays_open', () => {
    const e = venue();
    const t = T0 + 20_000;
    oracle(e, t, '60000', ['a']); // safe mode
    const isoSub = { account: 'bob', sub: '1' };
    const refused = {
      withdraw: e.execute(withdraw('alice', '10', t)),
      transfer: e.execute({
        type: 'transfer',
        from: { account: 'alice' },
        to: { account: 'carol' },
        asset: 'USDC',
        amount: '10',
        timeMs: t,
      }),
      fund_insurance: e.execute({
        type: 'fund_insurance',
        from: { account: 'alice' },
        asset: 'USDC',
        amount: '10',
        timeMs: t,
      }),
      isolated_margin_out: e.execute({
        type: 'adjust_isolated_margin',
        subaccount: isoSub,
        market: 'BTC-PERP',
        amount: '-10',
        timeMs: t,
      }),
      // A risk-increasing fill in another market, by a scope exposed to BTC-PERP.
      eth_long: e.execute({
        type: 'fill',
        market: 'ETH-PERP',
        buyer: { account: 'alice' },
        seller: { account: 'mm' },
        size: '1',
        price: '3000',
        timeMs: t,
      }),
      btc_long: e.execute({
        type: 'fill',
        market: 'BTC-PERP',
        buyer: { account: 'alice' },
        seller: { account: 'mm' },
        size: '0.01',
        price: '60000',
        timeMs: t,
      }),
    };
    for (const [what, r] of Object.entries(refused)) expect(code(r), what).toBe('SAFE_MODE');
    const open = {
      deposit: e.execute({
        type: 'deposit',
        to: { account: 'alice' },
        asset: 'USDC',
        amount: '10',
        timeMs: t,
      }),
      // Margin into bob/1's isolated position comes from bob/1's cross scope: cash only.
      iso_margin_in: e.execute({
        type: 'adjust_isolated_margin',
        subaccount: isoSub,
        market: 'BTC-PERP',
        amount: '10',
        timeMs: t,
      }),
      // Carol holds no position: her cash is not exposed to any price.
      carol_withdraws: e.execute(withdraw('carol', '10', t)),
      carol_transfers_to_alice: e.execute({
        type: 'transfer',
        from: { account: 'carol' },
        to: { account: 'alice' },
        asset: 'USDC',
        amount: '10',
        timeMs: t,
      }),
      // Carol and Dave hold no BTC-PERP: their ETH-PERP trade is priced by a sound mark.
      carol_trades_eth: e.execute({
        type: 'fill',
        market: 'ETH-PERP',
        buyer: { account: 'carol' },
        seller: { account: 'dave' },
        size: '1',
        price: '3000',
        timeMs: t,
      }),
      alice_reduces_btc: e.execute({
        type: 'fill',
        market: 'BTC-PERP',
        buyer: { account: 'mm' },
        seller: { account: 'alice' },
        size: '0.1',
        price: '60000',
        timeMs: t,
      }),
    };
    for (const [what, r] of Object.entries(open)) expect(code(r), what).toBe('accepted');
  });

  it('borrowing_against_a_scope_exposed_to_an_unsafe_market_is_refused', () => {
    const e = venue({ lending: true });
    const t = T0 + 20_000;
    expect(
      code(e.execute({ type: 'borrow', subaccount: { account: 'alice' }, amount: '10', timeMs: T0 + 7_000 })),
    ).toBe('accepted');
    oracle(e, t, '60000', ['a']);
    expect(
      code(e.execute({ type: 'borrow', subaccount: { account: 'alice' }, amount: '10', timeMs: t })),
    ).toBe('SAFE_MODE');
    expect(
      code(e.execute({ type: 'borrow', subaccount: { account: 'carol' }, amount: '10', timeMs: t })),
    ).toBe('accepted');
  });
});
