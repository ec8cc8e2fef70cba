/**
 * The clearing view of examples/clearing/ (Binance BTC long, Bybit BTC short, Hyperliquid ETH
 * long; 20% band; examples/clearing/routes.json), every expected figure derived by hand below
 * from the presets' published rates — never from our own output.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { clearingView } from './clearing.ts';
import { readRoutes } from './routes.ts';
import { ClearingInputError, readVenueExport } from './venue-export.ts';

const U = 1_000_000n;
const load = (name: string): unknown => JSON.parse(readFileSync(`examples/clearing/${name}.json`, 'utf8'));
const books = () => ['binance', 'bybit', 'hyperliquid'].map((v) => readVenueExport(load(v), v));
const routes = () => readRoutes(load('routes'));

describe('clearing view of the three example venues', () => {
  const view = clearingView(books(), { bandPpm: 200_000n, routes: routes() });
  const venue = (id: string) => view.venues.find((v) => v.venue === id)!;

  it('finds_each_venue_band_need', () => {
    // Binance BTCUSDT bracket 1 (notional < 50,000): MMR 0.4%, no deduction.
    //   band edge 60,000 × 0.8 = 48,000; equity there 10,000 + 0.5 × (48,000 − 60,000) = 4,000;
    //   MM 0.004 × 0.5 × 48,000 = 96 → health 3,904. Free collateral 10,000 − IM (30,000 / 20×
    //   leverage = 1,500) = 8,500; cash 10,000. Surplus = min(3,904, 8,500, 10,000) = 3,904.
    expect(venue('binance')).toMatchObject({ deficitUsd6: 0n, surplusUsd6: 3904n * U });
    expect(venue('binance').positions[0]).toMatchObject({ bandEdge: '48000', healthAtBandEdge: '3904' });
    // Bybit short, MM on the entry notional (requirementOn: entry): 0.005 × 30,000 = 150.
    //   edge 72,000: equity 9,000 − 0.5 × 12,000 = 3,000 → health 2,850; IM 1% → free 8,700.
    expect(venue('bybit')).toMatchObject({ deficitUsd6: 0n, surplusUsd6: 2850n * U });
    // Hyperliquid ETH (max leverage 25 → MM rate 1/50 = 2%): edge 2,400; equity 2,000 − 10 × 600
    //   = −4,000; MM 0.02 × 24,000 = 480 → health −4,480: it needs 4,480 USDC.
    expect(venue('hyperliquid')).toMatchObject({ deficitUsd6: 4480n * U, surplusUsd6: 0n });
  });

  it('shows_liquidation_prices_and_the_closest_venue', () => {
    // Binance: WB + size·(LP − EP) = MMR·size·LP → LP = (10,000 − 30,000)/(0.002 − 0.5) = 40,160.6425…
    expect(venue('binance').positions[0]!.liquidationPrice!.slice(0, 8)).toBe('40160.64');
    // Bybit short: 9,000 − 0.5·(LP − 60,000) = 150 → LP = 77,700.
    expect(venue('bybit').positions[0]!.liquidationPrice!.startsWith('77700')).toBe(true);
    // Hyperliquid: 2,000 + 10·(LP − 3,000) = 0.2·LP → LP = 28,000/9.8 = 2,857.142857…, −4.76%.
    expect(venue('hyperliquid').positions[0]!.liquidationPrice!.slice(0, 9)).toBe('2857.1428');
    expect(view.closest).toEqual({ venue: 'hyperliquid', market: 'ETH', distance: '-0.047619' });
    expect(view.totalCollateralUsd6).toBe(21_000n * U);
  });

  it('plans_the_cheapest_transfers', () => {
    // Hyperliquid lacks 4,480. Routes: binance→hl 1 flat, no rate; bybit→hl 0.5 flat + 0.1%.
    // Neither alone suffices (binance ≤ 3,904 − 1 = 3,903; bybit ≤ (2,850 − 0.5)/1.001 ≈ 2,846.65),
    // so both flats are paid (1.5) and the rest of the cost is 0.001 × (bybit's amount): send as
    // much as possible from binance, 3,903 (spending 3,904 with its fee), and 4,480 − 3,903 = 577
    // from bybit at 0.5 + 0.577 = 1.077. Total fee 2.077.
    expect(view.plan).toEqual({
      status: 'ok',
      transfers: [
        { from: 'binance', to: 'hyperliquid', amount: 3903n * U, fee: 1n * U },
        { from: 'bybit', to: 'hyperliquid', amount: 577n * U, fee: 1_077_000n },
      ],
      totalFee: 2_077_000n,
    });
  });

  it('confirms_every_venue_keeps_its_band_after_the_plan', () => {
    // Binance ends at 6,096 (health at its edge 0: LP exactly 20% away); Hyperliquid at 6,480.
    expect(view.after).toEqual([
      { venue: 'binance', netFlowUsd6: -3904n * U, walletBalance: '6096', closestDistance: '0.2' },
      { venue: 'bybit', netFlowUsd6: -578_077_000n, walletBalance: '8421.923', closestDistance: '0.275731' },
      { venue: 'hyperliquid', netFlowUsd6: 4480n * U, walletBalance: '6480', closestDistance: '0.2' },
    ]);
  });

  it('nets_the_hedged_btc_away', () => {
    // dYdX v4 (netting preset): BTC and ETH IM 5%, MM 3% of notional.
    //   separate: BTC 30,000 twice + ETH 30,000 → IM 3 × 1,500 = 4,500, MM 3 × 900 = 2,700;
    //   netted: BTC 0, ETH 10 × 3,000 → IM 1,500, MM 900. Freed: 3,000 IM, 1,800 MM.
    // Venues today: IM 1,500 (binance, 20×) + 300 (bybit, 1%) + 1,200 (hl, 4%) = 3,000;
    //   MM 120 + 150 + 600 = 870.
    expect(view.netting).toMatchObject({
      netPositions: { BTC: '0', ETH: '10' },
      venues: { initialMargin: 3000n * U, maintenanceMargin: 870n * U },
      separate: { initialMargin: 4500n * U, maintenanceMargin: 2700n * U },
      netted: { initialMargin: 1500n * U, maintenanceMargin: 900n * U },
      freedByNetting: { initialMargin: 3000n * U, maintenanceMargin: 1800n * U },
    });
  });

  it('portfolio_grid_nets_across_venues', () => {
    // The grid sees the Binance BTC long and the Bybit BTC short together: their scenario losses
    // cancel, so the whole book needs far less than the three venues' books on the grid apart
    // (each BTC leg alone loses 16 % × 30,000 in its worst scenario).
    const apart = books().map(
      (b) => clearingView([b], { bandPpm: 200_000n, routes: routes() }).netting.portfolioGrid,
    );
    const sumApart = apart.reduce((s, r) => s + r.initialMargin, 0n);
    expect(apart[0]!.initialMargin).toBeGreaterThanOrEqual(4800n * U);
    expect(view.netting.portfolioGrid.initialMargin).toBeLessThan(sumApart - 9000n * U);
  });
});

describe('isolated positions and an outside reserve', () => {
  it('tops_an_isolated_position_up_from_its_own_cross_wallet_then_the_reserve', () => {
    // Hyperliquid, isolated ETH long 10 @ 3,000 with 1,200 margin; total 3,000 USDC → cross 1,800.
    // Isolated scope at the 2,400 edge: 1,200 − 6,000 = −4,800, MM 0.02 × 24,000 = 480 → needs 5,280.
    // The cross scope has no position: it can spare min(health 1,800, free 1,800, cash 1,800) = 1,800.
    // Net need from outside 5,280 − 1,800 = 3,480: the reserve sends it for a 2 flat fee.
    const hl = readVenueExport({
      venue: 'hyperliquid',
      positions: [
        {
          symbol: 'ETH/USDC:USDC',
          side: 'long',
          contracts: '10',
          entryPrice: '3000',
          markPrice: '3000',
          marginMode: 'isolated',
          collateral: '1200',
        },
      ],
      balance: { total: { USDC: '3000' } },
    });
    expect(hl.walletBalance).toBe('1800');
    const view = clearingView([hl], {
      bandPpm: 200_000n,
      routes: readRoutes({
        reserve: { amount: '5000' },
        routes: [{ from: 'reserve', to: 'hyperliquid', fee: '2' }],
      }),
    });
    expect(view.venues[0]!.needs).toEqual([{ scope: 'ETH', topUp: 5_280_000_000n }]);
    expect(view.venues[0]!.deficitUsd6).toBe(3480n * U);
    expect(view.plan).toEqual({
      status: 'ok',
      transfers: [{ from: 'reserve', to: 'hyperliquid', amount: 3480n * U, fee: 2n * U }],
      totalFee: 2n * U,
    });
    // After: isolated margin 6,480 (health 0 at the edge), cross wallet 1,800 + 3,480 − 5,280 = 0.
    expect(view.after).toEqual([
      { venue: 'hyperliquid', netFlowUsd6: 3480n * U, walletBalance: '0', closestDistance: '0.2' },
    ]);
  });
});

describe('an account already past its liquidation price', () => {
  it('is_flagged_and_its_need_still_computed', () => {
    // Hyperliquid ETH long 10 @ 3,000, mark 2,900, wallet 500: equity 500 − 1,000 = −500 < MM 580.
    // Band edge 2,320: equity 500 − 6,800 = −6,300, MM 0.02 × 23,200 = 464 → needs 6,764.
    const hl = readVenueExport({
      venue: 'hyperliquid',
      positions: [
        { symbol: 'ETH/USDC:USDC', side: 'long', contracts: '10', entryPrice: '3000', markPrice: '2900' },
      ],
      balance: { total: { USDC: '500' } },
    });
    const v = clearingView([hl], { bandPpm: 200_000n, routes: readRoutes({}) }).venues[0]!;
    expect(v.liquidatable).toBe(true);
    expect(v.equity).toBe('-500');
    expect(v.deficitUsd6).toBe(6764n * U);
  });
});

describe('clearing input errors', () => {
  const base = load('binance') as Record<string, unknown>;
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      if (e instanceof ClearingInputError) return e.code;
      throw e;
    }
    return 'no error';
  };
  it('unknown_venue', () =>
    expect(code(() => readVenueExport({ ...base, venue: 'okx' }))).toBe('UNKNOWN_VENUE'));
  it('lending_preset', () =>
    expect(code(() => readVenueExport({ ...base, preset: 'aave-v3' }))).toBe('LENDING_VENUE'));
  it('market_without_preset', () => {
    const positions = [{ ...(base.positions as object[])[0], symbol: 'DOGE/USDT:USDT' }];
    expect(code(() => readVenueExport({ ...base, positions, markets: [] }))).toBe('UNKNOWN_MARKET');
  });
  it('settle_currency_mismatch', () => {
    const positions = [{ ...(base.positions as object[])[0], symbol: 'BTC/USDC:USDC' }];
    expect(code(() => readVenueExport({ ...base, positions, markets: [] }))).toBe('SETTLEMENT_MISMATCH');
  });
  it('malformed_export', () =>
    expect(code(() => readVenueExport({ venue: 'binance' }))).toBe('INVALID_EXPORT'));
  it('same_venue_twice', () => {
    const b = readVenueExport(base);
    expect(code(() => clearingView([b, b], { bandPpm: 200_000n, routes: routes() }))).toBe('DUPLICATE_VENUE');
  });
  it('amount_finer_than_the_settlement_asset', () => {
    const hl = readVenueExport({
      ...(load('hyperliquid') as object),
      balance: { total: { USDC: '100.1234567' } },
    });
    expect(code(() => clearingView([hl], { bandPpm: 200_000n, routes: routes() }))).toBe('BAD_AMOUNT');
  });
  it('float_numbers_read_as_their_shortest_decimal', () => {
    const bybit = readVenueExport(load('bybit'));
    expect(bybit.positions[0]).toMatchObject({ size: '0.5', entryPrice: '60000', side: 'short' });
    expect(bybit.walletBalance).toBe('9000');
  });
});
