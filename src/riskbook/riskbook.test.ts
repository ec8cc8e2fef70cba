import { describe, expect, it } from 'vitest';
import { newVenue, ref } from '../../test/support/fixtures.ts';
import { Engine } from '../core/engine/engine.ts';
import { diffScreens, priceMove, riskVenue } from './riskbook.testkit.ts';
import { RiskBook, touchedSubaccounts } from './riskbook.ts';

/** A book kept in step with the engine through onEvents. */
function syncedBook(engine: Engine): RiskBook {
  const book = RiskBook.fromState(engine.state);
  engine.onEvents((events) => book.sync(engine.state, events));
  return book;
}

function expectAgrees(engine: Engine, book: RiskBook): void {
  const exact = engine.liquidatable();
  const cands = book.candidates();
  const keyOf = (k: string, s: { kind: string; market?: string }) =>
    `${k}:${s.kind === 'cross' ? 'cross' : s.market}`;
  const candKeys = new Set(cands.map((c) => keyOf(c.key, c.scope)));
  for (const x of exact) expect(candKeys).toContain(keyOf(`${x.ref.account}/${x.ref.sub}`, x.scope));
  expect(book.confirm(engine.state, cands)).toEqual(exact);
}

const BTC_DOWN = (px: string, t = 2) => ({
  type: 'prices',
  timeMs: t,
  marks: { 'BTC-PERP': px },
  assets: { BTC: px },
});

describe('RiskBook', () => {
  it('empty_venue_has_no_candidates', () => {
    const engine = newVenue();
    const book = RiskBook.fromState(engine.state);
    expect(book.candidates()).toEqual([]);
    expect(book.liquidatable(engine.state)).toEqual([]);
    expect(book.scopeCount).toBe(1); // the backstop's cross scope
  });

  it('cross_account_crossing_mm_is_candidate_and_confirmed', () => {
    const engine = newVenue();
    const book = syncedBook(engine);
    engine.executeOrThrow({ type: 'deposit', to: ref('a'), asset: 'USDC', amount: '1000' });
    engine.executeOrThrow({ type: 'deposit', to: ref('b'), asset: 'USDC', amount: '100000' });
    engine.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('a'),
      seller: ref('b'),
      size: '0.15',
      price: '60000',
    });
    expect(book.liquidatable(engine.state)).toEqual([]);
    // 0.15 BTC long with 995.5 USDC: MM = 5% of notional; liquidatable below 56,172, screened below 56,231.
    engine.executeOrThrow(BTC_DOWN('56300'));
    expect(book.candidates()).toEqual([]);
    engine.executeOrThrow(BTC_DOWN('56200', 3));
    expect(book.candidates().map((c) => c.key)).toEqual(['a/0']);
    expect(book.liquidatable(engine.state)).toEqual([]);
    engine.executeOrThrow(BTC_DOWN('56000', 4));
    expect(book.liquidatable(engine.state)).toEqual([{ ref: ref('a'), scope: { kind: 'cross' } }]);
    expectAgrees(engine, book);
  });

  it('isolated_position_is_its_own_scope', () => {
    const engine = newVenue();
    const book = syncedBook(engine);
    engine.executeOrThrow({ type: 'deposit', to: ref('a'), asset: 'USDC', amount: '100000' });
    engine.executeOrThrow({ type: 'deposit', to: ref('b'), asset: 'USDC', amount: '100000' });
    engine.executeOrThrow({
      type: 'set_margin_mode',
      subaccount: ref('a'),
      market: 'BTC-PERP',
      mode: 'isolated',
    });
    engine.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('a'),
      seller: ref('b'),
      size: '1',
      price: '60000',
    });
    const iso = book.screen('a/0', { kind: 'isolated', market: 'BTC-PERP' });
    expect(iso?.positions).toHaveLength(1);
    expect(iso?.settlementQuote).toBeGreaterThan(5_000e6); // topped up to IM (10% of 60k)
    expect(book.screen('a/0', { kind: 'cross' })?.positions).toHaveLength(0);
    engine.executeOrThrow(BTC_DOWN('56000'));
    // The isolated scope is liquidatable although the account is rich.
    expect(book.liquidatable(engine.state)).toEqual([
      { ref: ref('a'), scope: { kind: 'isolated', market: 'BTC-PERP' } },
    ]);
    expectAgrees(engine, book);
    // Closing the position releases the isolated scope.
    engine.executeOrThrow({ type: 'prices', timeMs: 3, marks: { 'BTC-PERP': '60000' } });
    engine.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('b'),
      seller: ref('a'),
      size: '1',
      price: '60000',
    });
    expect(book.screen('a/0', { kind: 'isolated', market: 'BTC-PERP' })).toBeUndefined();
    expect(diffScreens(book.describe(), RiskBook.fromState(engine.state).describe())).toEqual([]);
  });

  it('a_borrow_counts_at_its_liability_weight_in_the_screen', () => {
    // SOL borrowed at maintenance liability weight 2: with 3 SOL owed and 1 SOL-PERP long from 100,
    // equity = 1,000 − 6p + (p − 100) < MM 0.05p above p = 178.2; at weight 1 it would be p > 439.
    const engine = Engine.create({
      settlementAsset: 'USDC',
      assets: [
        { id: 'USDC', decimals: 6 },
        { id: 'SOL', decimals: 9, liabilityWeight: { initial: '2.5', maintenance: '2' } },
      ],
      markets: [
        {
          id: 'SOL-PERP',
          kind: 'perpetual',
          base: 'SOL',
          stepSize: '0.01',
          tickSize: '0.01',
          margin: { kind: 'fixed', initialRatio: '0.1', maintenance: { ratio: '0.05' } },
          takerFee: '0',
          makerFee: '0',
        },
      ],
    });
    const book = syncedBook(engine);
    const sol = (px: string, t: number) =>
      engine.executeOrThrow({ type: 'prices', timeMs: t, marks: { 'SOL-PERP': px }, assets: { SOL: px } });
    sol('100', 1);
    engine.executeOrThrow({ type: 'deposit', to: ref('a'), asset: 'USDC', amount: '1000' });
    engine.executeOrThrow({ type: 'deposit', to: ref('b'), asset: 'USDC', amount: '100000' });
    engine.executeOrThrow({ type: 'borrow', subaccount: ref('a'), asset: 'SOL', amount: '3', timeMs: 2 });
    engine.executeOrThrow({
      type: 'fill',
      market: 'SOL-PERP',
      buyer: ref('a'),
      seller: ref('b'),
      size: '1',
      price: '100',
    });
    sol('150', 3);
    expect(engine.liquidatable()).toEqual([]);
    sol('180', 4);
    expect(engine.liquidatable()).toEqual([{ ref: ref('a'), scope: { kind: 'cross' } }]);
    expectAgrees(engine, book);
  });

  it('non_settlement_collateral_reprices_with_asset_price', () => {
    const engine = newVenue();
    const book = syncedBook(engine);
    engine.executeOrThrow({ type: 'deposit', to: ref('a'), asset: 'BTC', amount: '0.1' });
    engine.executeOrThrow({ type: 'deposit', to: ref('b'), asset: 'USDC', amount: '100000' });
    // 0.1 BTC × 60k × 0.8 = 4,800 initial collateral; 20x ETH long worth 90k.
    engine.executeOrThrow({
      type: 'fill',
      market: 'ETH-PERP',
      buyer: ref('a'),
      seller: ref('b'),
      size: '30',
      price: '3000',
    });
    expect(book.screen('a/0', { kind: 'cross' })?.weightedAssets).toEqual({ BTC: 0.1 * 0.9 });
    expect(book.liquidatable(engine.state)).toEqual([]);
    // ETH unchanged (MM 3% of 90k = 2,700); BTC collateral falls in two steps: 4,050 then 2,520.
    engine.executeOrThrow({ type: 'prices', timeMs: 2, assets: { BTC: '45000' } });
    expect(book.candidates()).toEqual([]);
    engine.executeOrThrow({ type: 'prices', timeMs: 3, assets: { BTC: '28000' } });
    expect(book.liquidatable(engine.state)).toEqual([{ ref: ref('a'), scope: { kind: 'cross' } }]);
    expectAgrees(engine, book);
  });

  it('yield_bearing_collateral_follows_its_exchange_rate', () => {
    const engine = newVenue();
    const book = syncedBook(engine);
    engine.executeOrThrow({ type: 'deposit', to: ref('a'), asset: 'stETH', amount: '2' });
    engine.executeOrThrow({ type: 'deposit', to: ref('b'), asset: 'USDC', amount: '100000' });
    engine.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('b'),
      seller: ref('a'),
      size: '0.07',
      price: '60000',
    });
    const before = book.screen('a/0', { kind: 'cross' })!.equityQuote;
    engine.executeOrThrow({ type: 'prices', timeMs: 2, exchangeRates: { stETH: '1.0' } });
    const after = book.screen('a/0', { kind: 'cross' })!.equityQuote;
    // 2 stETH × 3000 × (1.1 − 1.0) × 0.85 = 510 USDC less.
    expect((before - after) / 1e6).toBeCloseTo(510, 3);
    expectAgrees(engine, book);
  });

  it('brackets_position_beyond_the_price_band_stays_a_candidate', () => {
    const engine = riskVenue();
    const book = syncedBook(engine);
    engine.executeOrThrow({ type: 'deposit', to: ref('a'), asset: 'USDC', amount: '1000000' });
    engine.executeOrThrow({
      type: 'fill',
      market: 'SOL-PERP',
      buyer: ref('a'),
      seller: ref('maker'),
      size: '100',
      price: '150',
    });
    const slot = book.screen('a/0', { kind: 'cross' })!.positions[0]!;
    // Notional 15,000 (bracket 2.5%, amount 75) → ratio ≥ (15000·0.025 − 75)/15000 = 2%; at +30%: 19,500.
    expect(slot.capQuote).toBeCloseTo(19_500e6, -3);
    expect(slot.mmRatio).toBeCloseTo((19_500 * 0.025 - 75) / 19_500, 9);
    expect(book.candidates()).toEqual([]);
    // Up 20% then 20% again = +44%: beyond the band, so the rich account is screened in (and not confirmed).
    engine.executeOrThrow({ type: 'prices', timeMs: 2, marks: { 'SOL-PERP': '180' } });
    expect(book.candidates()).toEqual([]);
    engine.executeOrThrow({ type: 'prices', timeMs: 3, marks: { 'SOL-PERP': '216' } });
    // (the maker's short is beyond the band too)
    expect(book.candidates().map((c) => c.key)).toEqual(['maker/0', 'a/0']);
    expect(book.liquidatable(engine.state)).toEqual([]);
    // An exact refresh re-anchors the band.
    book.refresh(engine.state, ['a/0', 'maker/0']);
    expect(book.candidates()).toEqual([]);
  });

  it('funding_touches_every_holder_of_the_market', () => {
    const engine = newVenue();
    const book = syncedBook(engine);
    for (const who of ['a', 'b', 'c']) {
      engine.executeOrThrow({ type: 'deposit', to: ref(who), asset: 'USDC', amount: '10000' });
    }
    engine.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('a'),
      seller: ref('b'),
      size: '0.1',
      price: '60000',
    });
    engine.executeOrThrow({
      type: 'fill',
      market: 'ETH-PERP',
      buyer: ref('c'),
      seller: ref('b'),
      size: '1',
      price: '3000',
    });
    const events = engine.executeOrThrow({
      type: 'funding_tick',
      market: 'BTC-PERP',
      timeMs: 10,
      premiumIndex: '0.01',
    });
    expect([...book.touchedSubaccounts(events)].sort()).toEqual(['a/0', 'b/0']);
    expect(diffScreens(book.describe(), RiskBook.fromState(engine.state).describe())).toEqual([]);
  });

  it('touched_subaccounts_reads_ledgers_trades_and_holders', () => {
    const holders = { marketHolders: () => ['h/0'], assetHolders: () => ['x/0'] };
    const touched = touchedSubaccounts(
      [
        { type: 'subaccount_opened', ref: { account: 'n', sub: '1' } },
        {
          type: 'moved',
          from: { kind: 'external' },
          to: { kind: 'balance', sub: 'a/0' },
          asset: 'USDC',
          amount: 1n,
          reason: 'deposit',
        },
        {
          type: 'traded',
          market: 'M',
          buyer: 'b/0',
          seller: 'c/0',
          sizeQty9: 1n,
          pricePx8: 1n,
          valueQuote: 1n,
          reason: 'fill',
        },
        { type: 'expiry_settled', market: 'M', pricePx8: 1n },
        { type: 'prices_updated', timeMs: 1, marks: [], assets: [], exchangeRates: [] },
      ],
      holders,
    );
    expect([...touched]).toEqual(['n/1', 'a/0', 'b/0', 'c/0', 'h/0']);
  });

  it('incremental_sync_equals_fresh_fromState_after_fills_and_liquidations', () => {
    const engine = newVenue();
    const book = syncedBook(engine);
    engine.executeOrThrow({ type: 'deposit', to: ref('a'), asset: 'USDC', amount: '1000' });
    engine.executeOrThrow({ type: 'deposit', to: ref('a'), asset: 'ETH', amount: '0.5' });
    engine.executeOrThrow({ type: 'deposit', to: ref('b'), asset: 'USDC', amount: '200000' });
    engine.executeOrThrow({
      type: 'set_margin_mode',
      subaccount: ref('b'),
      market: 'ETH-PERP',
      mode: 'isolated',
    });
    engine.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('a'),
      seller: ref('b'),
      size: '0.3',
      price: '60000',
    });
    engine.executeOrThrow({
      type: 'fill',
      market: 'ETH-PERP',
      buyer: ref('b'),
      seller: ref('a'),
      size: '2',
      price: '3000',
    });
    engine.executeOrThrow({
      type: 'prices',
      timeMs: 2,
      marks: { 'BTC-PERP': '54000' },
      assets: { BTC: '54000', ETH: '2900' },
    });
    const liq = engine.liquidatable();
    expect(liq.length).toBeGreaterThan(0);
    expect(book.liquidatable(engine.state)).toEqual(liq);
    for (const x of liq) engine.executeOrThrow({ type: 'liquidate', subaccount: x.ref, timeMs: 3 });
    expect(diffScreens(book.describe(), RiskBook.fromState(engine.state).describe())).toEqual([]);
    expectAgrees(engine, book);
  });

  it('moves_within_the_band_never_hide_a_liquidatable_scope', () => {
    const engine = riskVenue();
    const book = syncedBook(engine);
    const before = RiskBook.fromState(engine.state);
    for (let i = 0; i < 40; i++) {
      const who = ref(`t${i}`);
      engine.executeOrThrow({ type: 'deposit', to: who, asset: 'USDC', amount: String(500 + i * 97) });
      const market = ['BTC-PERP', 'ETH-PERP', 'SOL-PERP', 'DOGE-PERP'][i % 4]!;
      const size = { 'BTC-PERP': '0.1', 'ETH-PERP': '1', 'SOL-PERP': '30', 'DOGE-PERP': '20000' }[market]!;
      const px = { 'BTC-PERP': '60000', 'ETH-PERP': '3000', 'SOL-PERP': '150', 'DOGE-PERP': '0.2' }[market]!;
      const long = i % 3 !== 0;
      engine.execute({
        type: 'fill',
        market,
        buyer: long ? who : ref('maker'),
        seller: long ? ref('maker') : who,
        size,
        price: px,
      });
    }
    before.refresh(engine.state, engine.state.subaccounts.keys());
    engine.executeOrThrow(
      priceMove(
        engine,
        {
          markets: [760_000, 1_250_000, 720_000, 1_290_000],
          btc: 800_000,
          eth: 1_100_000,
          stethRate: 990_000,
        },
        5,
      ),
    );
    before.remarkAll(engine.state);
    expect(engine.liquidatable().length).toBeGreaterThan(3);
    expectAgrees(engine, book);
    expectAgrees(engine, before);
  });
});
