/**
 * Band needs are exact and minimal: on random one-position books of four presets, topping the
 * venue up by its need puts the engine's liquidation price at or beyond the band edge, and one
 * smallest unit less leaves it inside the band.
 */
import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { formatDecimal, parseDecimalUnsafe } from '../core/num/index.ts';
import { readVenueExport } from './venue-export.ts';
import { bookAfter, venueRisk } from './venue-risk.ts';

const VENUES = [
  { venue: 'binance', symbol: 'BTC/USDT:USDT', px: 60_000 },
  { venue: 'bybit', symbol: 'BTC/USDT:USDT', px: 60_000 },
  { venue: 'hyperliquid', symbol: 'ETH/USDC:USDC', px: 3_000 },
  { venue: 'dydx', symbol: 'SOL/USD:USDC', px: 150 },
] as const;

test.prop(
  [
    fc.constantFrom(...VENUES),
    fc.constantFrom('long', 'short'),
    fc.integer({ min: 1, max: 40 }), // size in tenths
    fc.integer({ min: 90, max: 110 }), // mark as % of entry
    fc.integer({ min: 0, max: 20_000 }), // wallet
    fc.integer({ min: 50_000, max: 400_000 }), // band ppm
  ],
  { numRuns: 30 },
)(
  'topping_up_the_need_moves_the_liquidation_price_exactly_to_the_band',
  (v, side, tenths, markPct, wallet, band) => {
    const settle = v.symbol.split(':')[1]!;
    const book = readVenueExport({
      venue: v.venue,
      positions: [
        {
          symbol: v.symbol,
          side,
          contracts: formatDecimal(BigInt(tenths), 1),
          entryPrice: String(v.px),
          markPrice: String((v.px * markPct) / 100),
        },
      ],
      balance: { total: { [settle]: String(wallet) } },
    });
    const bandPpm = BigInt(band);
    const risk = venueRisk(book, bandPpm);
    const need = risk.needs.reduce((s, n) => s + n.topUp, 0n);
    const after = venueRisk(bookAfter(book, risk, need), bandPpm);
    expect(after.deficitUsd6).toBe(0n);
    const p = after.positions[0]!;
    if (p.liquidationPrice !== null) {
      const lp = parseDecimalUnsafe(p.liquidationPrice, 8);
      const edge = parseDecimalUnsafe(p.bandEdge, 8);
      // Long: liquidated at or below the edge; short: at or above — up to the rounding pocket
      // just past an exact boundary: the maintenance margin rounds up to the next micro-dollar
      // as soon as the price passes the edge, while the PnL gains a micro-dollar only after
      // 1e-6 / size of price, so the report's "last liquidatable price" (report.ts) may sit up to
      // two micro-dollars' worth of price beyond the edge (e.g. 51,300.00000009 for 0.1 BTC).
      const pocketPx8 = 2000n / BigInt(tenths) + 1n; // 2e-6 USD / (tenths / 10 BTC), in 1e-8 units
      if (side === 'long') expect(lp).toBeLessThanOrEqual(edge + pocketPx8);
      else expect(lp).toBeGreaterThanOrEqual(edge - pocketPx8);
    }
    if (need > 0n) {
      const short = venueRisk(bookAfter(book, risk, need - 1n), bandPpm);
      expect(short.deficitUsd6).toBeGreaterThan(0n);
    }
  },
);
