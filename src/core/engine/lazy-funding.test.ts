/**
 * Lazy funding (engine config `fundingSettlement: 'lazy'`, account/lazy-funding.ts), case by
 * case. Numbers are derived by hand from Binance's funding rule (rate = P + clamp(I − P, ±0.05 %))
 * and the venues' index rule (a position owes size × (index_now − index_at_settle)):
 * with P = 0.037 % and I = 0.01 % the rate is 0.01 %, so at a mark of 60,000.1 the index steps by
 * 0.0001 × 60,000.1 = 6.00001 USDC per BTC.
 */
import { describe, expect, it } from 'vitest';
import { assertConserved } from '../../../test/support/conservation.ts';
import { FaultyJournal } from '../../../test/support/faulty-journal.ts';
import { newVenue, ref } from '../../../test/support/fixtures.ts';
import { crossView, evaluate } from '../account/figures.ts';
import { Engine } from './engine.ts';

const usdc = (e: Engine, who: string) => e.state.subaccounts.get(`${who}/0`)?.balances.get('USDC') ?? 0n;
const equity = (e: Engine, who: string) =>
  evaluate(e.state, crossView(e.state.subaccounts.get(`${who}/0`)!)).equityQuote;

/** a long 0.067, d long 0.001; b short 0.033, c short 0.035 BTC-PERP, mark 60,000.1, one funding tick. */
function book(mode: 'eager' | 'lazy', journal?: FaultyJournal): Engine {
  const e = newVenue({ config: { fundingSettlement: mode }, ...(journal ? { journal } : {}) });
  for (const w of ['a', 'b', 'c', 'd'])
    e.executeOrThrow({ type: 'deposit', to: ref(w), asset: 'USDC', amount: '10000' });
  const fill = (buyer: string, seller: string, size: string) =>
    e.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref(buyer),
      seller: ref(seller),
      size,
      price: '60000',
    });
  fill('a', 'b', '0.033');
  fill('a', 'c', '0.034');
  fill('d', 'c', '0.001');
  e.executeOrThrow({ type: 'prices', timeMs: 2, marks: { 'BTC-PERP': '60000.1' } });
  e.executeOrThrow({
    type: 'funding_tick',
    market: 'BTC-PERP',
    timeMs: 8 * 3600_000,
    premiumIndex: '0.00037',
  });
  return e;
}

describe('lazy funding', () => {
  it('a tick moves only the indexes; each position settles the floor of its own claim', () => {
    const e = book('lazy');
    const m = e.state.markets.get('BTC-PERP')!;
    expect(m.fundingIndex).toBe(6_000_010_000_000_000_000n); // 6.00001 per BTC at 1e18
    expect(m.fundingIndexShort).toBe(6_000_010_000_000_000_000n);
    const cash = ['a', 'b', 'c', 'd'].map((w) => usdc(e, w));
    for (const w of ['a', 'b', 'c', 'd']) e.executeOrThrow({ type: 'settle_funding', subaccount: ref(w) });
    const delta = ['a', 'b', 'c', 'd'].map((w, i) => usdc(e, w) - cash[i]!);
    // a owes 0.067 × 6.00001 = 0.40200067 → pays 0.402001; d owes 0.00600001 → pays 0.006001;
    // b is owed 0.033 × 6.00001 = 0.19800033 → gets 0.198000; c 0.035 × 6.00001 = 0.21000035 → 0.210000.
    expect(delta).toEqual([-402_001n, 198_000n, 210_000n, -6_001n]);
    // The 2 units of rounding stay in the market's funding pool until the last position closes.
    expect(m.fundingPool).toBe(2n);
    assertConserved(e.state);
  });

  it('unsettled funding is inside unrealized PnL, so margin is the same before and after settling', () => {
    const e = book('lazy');
    const before = ['a', 'b', 'c', 'd'].map((w) => equity(e, w));
    for (const w of ['a', 'b', 'c', 'd']) e.executeOrThrow({ type: 'settle_funding', subaccount: ref(w) });
    expect(['a', 'b', 'c', 'd'].map((w) => equity(e, w))).toEqual(before);
  });

  it("payers' margin equals eager funding's; receivers get the floor (eager shares the payers' rounding)", () => {
    const lazy = book('lazy');
    const eager = book('eager');
    expect(equity(lazy, 'a')).toBe(equity(eager, 'a'));
    expect(equity(lazy, 'd')).toBe(equity(eager, 'd'));
    // eager: the pot 0.408002 is shared 33:35 by largest remainder: b 0.198001, c 0.210001
    expect(equity(eager, 'b') - equity(lazy, 'b')).toBe(1n);
    expect(equity(eager, 'c') - equity(lazy, 'c')).toBe(1n);
  });

  it('a trade settles the position first; the rounding goes to the fee pool when the last position closes', () => {
    const e = book('lazy');
    const fees0 = e.state.feePool;
    const close = (buyer: string, seller: string, size: string) =>
      e.executeOrThrow({
        type: 'fill',
        market: 'BTC-PERP',
        buyer: ref(buyer),
        seller: ref(seller),
        size,
        price: '60000',
        taker: 'buyer',
      });
    close('b', 'a', '0.033');
    close('c', 'a', '0.034');
    close('c', 'd', '0.001');
    const m = e.state.markets.get('BTC-PERP')!;
    expect(m.holders.size).toBe(0);
    expect(m.fundingPool).toBe(0n);
    // fees: 0.067 + 0.001 BTC at 60,000 → taker 0.05 % = 2.04, maker 0.02 % = 0.816; plus the 2 units
    expect(e.state.feePool - fees0).toBe(2_040_000n + 816_000n + 2n);
    assertConserved(e.state);
  });

  it('replays from the journal to the same state hash', () => {
    const journal = new FaultyJournal();
    const e = book('lazy', journal);
    e.executeOrThrow({ type: 'settle_funding', subaccount: ref('a'), market: 'BTC-PERP' });
    expect(Engine.open(journal).stateHash()).toBe(e.stateHash());
  });

  it('refuses settle_funding when funding is eager, or for a market without a position, changing nothing', () => {
    const eager = book('eager');
    const h = eager.stateHash();
    const r = eager.execute({ type: 'settle_funding', subaccount: ref('a') });
    expect(r.ok ? '' : r.rejection.code).toBe('INVALID_CONFIG');
    expect(eager.stateHash()).toBe(h);
    const lazy = book('lazy');
    const h2 = lazy.stateHash();
    const r2 = lazy.execute({ type: 'settle_funding', subaccount: ref('a'), market: 'ETH-PERP' });
    expect(r2.ok ? '' : r2.rejection.code).toBe('UNKNOWN_MARKET');
    const r3 = lazy.execute({ type: 'settle_funding', subaccount: ref('nobody') });
    expect(r3.ok ? '' : r3.rejection.code).toBe('UNKNOWN_SUBACCOUNT');
    expect(lazy.stateHash()).toBe(h2);
  });

  it('an inverse perpetual carries its funding in coin: rate × contract value / mark per contract', () => {
    // BitMEX-style XBTUSD, 100 USD contracts, mark 50,000, rate 0.01 % (interest 0.01 %, premium 0):
    // the index steps by 0.0001 × 100 / 50,000 = 0.0000002 BTC per contract, so a long of 10
    // contracts owes 0.000002 BTC = 200 sats and the short is owed as much.
    const e = Engine.create({
      settlementAsset: 'BTC',
      fundingSettlement: 'lazy',
      assets: [{ id: 'BTC', decimals: 8 }],
      markets: [
        {
          id: 'XBTUSD',
          kind: 'perpetual',
          base: 'BTC',
          contractType: 'inverse',
          contractValue: '100',
          stepSize: '1',
          tickSize: '0.5',
          margin: { kind: 'fixed', initialRatio: '0.02', maintenance: { ratio: '0.01' } },
        },
      ],
    });
    e.executeOrThrow({ type: 'prices', timeMs: 1, marks: { XBTUSD: '50000' } });
    for (const w of ['long', 'short'])
      e.executeOrThrow({ type: 'deposit', to: ref(w), asset: 'BTC', amount: '1' });
    e.executeOrThrow({
      type: 'fill',
      market: 'XBTUSD',
      buyer: ref('long'),
      seller: ref('short'),
      size: '10',
      price: '50000',
    });
    e.executeOrThrow({ type: 'funding_tick', market: 'XBTUSD', timeMs: 8 * 3600_000, premiumIndex: '0' });
    expect(e.state.markets.get('XBTUSD')!.fundingIndex).toBe(200_000_000_000n); // 2e-7 BTC at 1e18
    const btc = (w: string) => e.state.subaccounts.get(`${w}/0`)!.balances.get('BTC')!;
    const before = [btc('long'), btc('short')];
    for (const w of ['long', 'short']) e.executeOrThrow({ type: 'settle_funding', subaccount: ref(w) });
    expect([btc('long') - before[0]!, btc('short') - before[1]!]).toEqual([-200n, 200n]);
    assertConserved(e.state);
  });

  it('leaves the eager engine as it was (no lazy fields in its state)', () => {
    const e = book('eager');
    const m = e.state.markets.get('BTC-PERP')!;
    expect(m.fundingIndexShort).toBeUndefined();
    expect(m.fundingPool).toBeUndefined();
  });
});
