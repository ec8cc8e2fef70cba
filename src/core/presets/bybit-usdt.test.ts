/**
 * bybit-usdt preset: Bybit's published isolated liquidation price against the Bybit cases of
 * test/vectors/cex_liquidation_price.json (freqtrade's test_get_liquidation_price), and the
 * engine's trigger with `requirementOn: 'entry'` (IM and MM on the entry notional, as Bybit):
 * it is the published price, to 1e-8. With the default (MM on the mark notional) the engine's
 * root differs by the MM on the price move.
 */
import { describe, expect, it } from 'vitest';
import cex from '../../../test/vectors/cex_liquidation_price.json' with { type: 'json' };
import { liquidationPriceFor } from '../calculator/liquidation-price.ts';
import { Engine } from '../engine/engine.ts';
import { formatDecimal, parseDecimalUnsafe } from '../num/index.ts';
import { bybitIsolatedLiquidationPrice } from '../reference/bybit-usdt.ts';
import { bybitUsdtConfig } from './bybit-usdt.ts';
import { div, mul, ratOf, sub, toScaled } from './rational.ts';

const bybit = cex.cases.filter((c) => (c.inputs as { exchange?: string }).exchange === 'bybit');
type In = {
  side: number;
  leverage: number;
  entryPrice: number;
  size: number;
  walletBalance: number;
  mmr: number;
};

describe('cex_liquidation_price.json › Bybit isolated cases (the published formula)', () => {
  it('has four cases', () => expect(bybit.length).toBe(4));
  it.each(bybit)('$name', (c) => {
    const i = c.inputs as unknown as In;
    const lp = bybitIsolatedLiquidationPrice({
      side: i.side === 1 ? 1 : -1,
      entryPrice: ratOf(String(i.entryPrice)),
      size: ratOf(String(i.size)),
      leverage: ratOf(String(i.leverage)),
      maintenanceMarginRate: ratOf(String(i.mmr)),
    })!;
    expect(toScaled(lp, 8, 'halfEven')).toBe(parseDecimalUnsafe(String(c.expected.liquidationPrice), 8));
  });
});

/** The Bybit case's market, with the requirement on the entry (the preset's) or on the mark notional. */
function caseInput(i: In, requirementOn: 'mark' | 'entry') {
  const config = {
    ...bybitUsdtConfig(),
    markets: [
      {
        id: 'X',
        kind: 'perpetual' as const,
        base: 'X',
        requirementOn,
        margin: {
          kind: 'fixed' as const,
          initialRatio: formatDecimal(1_000_000n / BigInt(i.leverage), 6),
          maintenance: { ratio: String(i.mmr) },
        },
      },
    ],
  };
  return {
    preset: 'bybit-usdt' as const,
    config,
    positions: [
      {
        market: 'X',
        side: i.side === 1 ? ('long' as const) : ('short' as const),
        size: String(i.size),
        entryPrice: String(i.entryPrice),
        mode: 'isolated' as const,
        leverage: String(i.leverage),
      },
    ],
  };
}

describe('Bybit’s formula = the engine’s trigger with requirementOn: entry (the preset’s setting)', () => {
  it('the preset’s markets take the requirement on the entry notional', () => {
    for (const m of bybitUsdtConfig().markets ?? []) expect(m.requirementOn).toBe('entry');
  });
  it.each(bybit)('$name: engine LP = published LP to 1e-8, through the calculator', (c) => {
    const i = c.inputs as unknown as In;
    const r = liquidationPriceFor(caseInput(i, 'entry'));
    const published = parseDecimalUnsafe(String(c.expected.liquidationPrice), 8);
    expect(parseDecimalUnsafe(r.venueFormula!.liquidationPrice!, 8)).toBe(published);
    // The engine's LP is the last 1e-8 step on the liquidatable side of the exact root.
    const d = parseDecimalUnsafe(r.liquidationPrice!, 8) - published;
    expect(d >= -1n && d <= 1n, `engine ${r.liquidationPrice} vs published ${published}`).toBe(true);
    expect(parseDecimalUnsafe(r.venueFormula!.differenceFromEngine!, 8)).toBe(d);
  });
});

describe('with requirementOn: mark the engine’s root is margin + uPnL = MM(mark) instead', () => {
  it.each(bybit)('$name: formula = published; engine = root of margin + uPnL = MM(mark)', (c) => {
    const i = c.inputs as unknown as In;
    const r = liquidationPriceFor(caseInput(i, 'mark'));
    // The isolated margin defaulted to size × EP / leverage = the published IM.
    expect(parseDecimalUnsafe(r.breakdown.walletBalance, 8)).toBe(
      parseDecimalUnsafe(String(i.walletBalance), 8),
    );
    expect(parseDecimalUnsafe(r.venueFormula!.liquidationPrice!, 8)).toBe(
      parseDecimalUnsafe(String(c.expected.liquidationPrice), 8),
    );
    // Engine: EP·size ∓ margin over size·(1 ∓ mmr) — MM on the mark notional.
    const ep = ratOf(String(i.entryPrice));
    const m = ratOf(String(i.walletBalance));
    const mmr = ratOf(String(i.mmr));
    const one = ratOf('1');
    const exact =
      i.side === 1
        ? div(sub(ep, m), sub(one, mmr))
        : div(ratOf(String(i.entryPrice + i.walletBalance)), { n: one.n * mmr.d + mmr.n, d: mmr.d });
    if (exact.n <= 0n) {
      // 1× long: margin = notional, so equity = P·size never falls below MM = P·size·mmr (Bybit: EP·mmr).
      expect(r.liquidationPrice).toBeNull();
      return;
    }
    const got = parseDecimalUnsafe(r.liquidationPrice!, 8);
    const d = got - toScaled(mul(exact, one), 8, 'halfEven');
    expect(d >= -1n && d <= 1n).toBe(true);
  });
});

describe('bybit-usdt preset shape', () => {
  it('is a valid engine configuration', () => expect(() => Engine.create(bybitUsdtConfig())).not.toThrow());
  it('refuses an unknown requirementOn', () => {
    const c = bybitUsdtConfig();
    const bad = { ...c, markets: c.markets!.map((m) => ({ ...m, requirementOn: 'index' })) };
    expect(() => Engine.create(bad as never)).toThrow(/requirementOn/);
  });
});
