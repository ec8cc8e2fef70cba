/**
 * BitMEX's fee and funding add-ons (market `marginAddOns`, `bitmexInverseConfig({ feesAndFunding:
 * true })`) executed by the engine. BitMEX support's formula, as quoted from a BitMEX ticket on
 * r/BitMEX ("Bitmex support again fails to explain essentials: How funding affects liquidation
 * price?", Oct 2019, https://www.reddit.com/r/BitMEX/comments/dgzniw/), with BitMEX confirming in
 * the same thread that funding a position pays moves its liquidation price towards the mark and
 * funding it receives moves it away:
 *
 *     initMargin        = 1/leverage + entry taker fee + exit taker fee
 *     maintenanceMargin = 0.50 % + exit taker fee + funding rate (the rate the position pays)
 *     long LP = EP / (1 + initMargin − maintenanceMargin)   short LP = EP / (1 − initMargin + maintenanceMargin)
 *
 * evaluated by hand on XBTUSD (taker 0.075 %) for 10,000 contracts at 10,000, 10× isolated, with
 * the funding rate 0.01 % (Binance-style clamp of a zero premium, the engine's funding tick).
 */
import { describe, expect, it } from 'vitest';
import { evaluate, isolatedView } from '../account/figures.ts';
import { liquidationPriceFor } from '../calculator/liquidation-price.ts';
import { Engine } from '../engine/engine.ts';
import { MarketConfigSchema } from '../model/config.ts';
import { bitmexInverseConfig } from './bitmex-inverse.ts';

const ref = (account: string) => ({ account, sub: '0' });

/** An isolated 10,000-contract XBTUSD position at 10,000 (1 XBT) margined at BitMEX's initial rate. */
function isolated(side: 'long' | 'short', fundingRateSet: boolean) {
  const e = Engine.create(bitmexInverseConfig({ feesAndFunding: true }));
  e.executeOrThrow({ type: 'prices', timeMs: 1, marks: { XBTUSD: '10000' } });
  // Premium 0 → rate = 0 + clamp(0.01 % − 0) = 0.01 %; nobody holds a position yet, nothing is paid.
  if (fundingRateSet)
    e.executeOrThrow({ type: 'funding_tick', market: 'XBTUSD', timeMs: 2, premiumIndex: '0' });
  for (const who of ['trader', 'maker'])
    e.executeOrThrow({ type: 'deposit', to: ref(who), asset: 'XBT', amount: '10' });
  e.executeOrThrow({
    type: 'set_margin_mode',
    subaccount: ref('trader'),
    market: 'XBTUSD',
    mode: 'isolated',
  });
  e.executeOrThrow({ type: 'set_leverage', subaccount: ref('trader'), market: 'XBTUSD', maxLeverage: '10' });
  e.executeOrThrow({
    type: 'fill',
    market: 'XBTUSD',
    buyer: ref(side === 'long' ? 'trader' : 'maker'),
    seller: ref(side === 'long' ? 'maker' : 'trader'),
    size: '10000',
    price: '10000',
    timeMs: 3,
  });
  // The opening fill locks the initial margin: (10 % + 2 × 0.075 %) × 1 XBT = 0.1015 XBT.
  expect(e.state.subaccounts.get('trader/0')!.positions.get('XBTUSD')!.isolatedMargin).toBe(10_150_000n);
  return e;
}
const figures = (e: Engine) =>
  evaluate(e.state, isolatedView(e.state, e.state.subaccounts.get('trader/0')!, 'XBTUSD'));
const at = (e: Engine, mark: string) => {
  e.executeOrThrow({ type: 'prices', timeMs: 4, marks: { XBTUSD: mark } });
  const f = figures(e);
  return f.equityQuote < f.maintenanceMarginQuote;
};

describe('BitMEX fee and funding add-ons (marginAddOns) through the engine', () => {
  it('the requirements on the entry value: IM 10 % + 2 × 0.075 %, MM 0.5 % + 0.075 % + the funding it pays', () => {
    const long = isolated('long', true);
    const f = figures(long);
    expect(f.positions[0]!.initialQuote).toBe(10_150_000n); // 0.1015 XBT
    expect(f.positions[0]!.maintenanceQuote).toBe(585_000n); // 0.00585 XBT: a long pays 0.01 %
    const short = isolated('short', true);
    expect(figures(short).positions[0]!.maintenanceQuote).toBe(565_000n); // 0.00565: a short receives it
    const none = isolated('long', false);
    expect(figures(none).positions[0]!.maintenanceQuote).toBe(575_000n); // no funding rate yet
  });

  it('long: liquidated below EP / (1 + 0.1015 − 0.00585) = 9,127.0022, not at the tick above', () => {
    // 10,000 / 1.09565 = 9,127.00223…: the mark 9,127.0 (a tick of 0.5) is below it, 9,127.5 above.
    expect(at(isolated('long', true), '9127.5')).toBe(false);
    expect(at(isolated('long', true), '9127')).toBe(true);
    // Without the funding term (MM 0.575 %): 10,000 / 1.09575 = 9,126.17 — 9,126.5 is safe.
    expect(at(isolated('long', false), '9126.5')).toBe(false);
    expect(at(isolated('long', false), '9126')).toBe(true);
  });

  it('short: liquidated above EP / (1 − 0.1015 + 0.00565) = 11,060.1117, not at the tick below', () => {
    expect(at(isolated('short', true), '11060')).toBe(false);
    expect(at(isolated('short', true), '11060.5')).toBe(true);
  });

  it('the calculator (no funding rate set): the engine’s price is the formula to the cent, long and short', () => {
    const lp = (side: 'long' | 'short') =>
      Number(
        liquidationPriceFor({
          preset: 'bitmex-inverse',
          config: bitmexInverseConfig({ feesAndFunding: true }),
          positions: [
            { market: 'XBTUSD', side, size: '10000', entryPrice: '10000', mode: 'isolated', leverage: '10' },
          ],
        }).liquidationPrice,
      );
    // 10,000 / (1 + 0.1015 − 0.00575) = 9,126.1693…; 10,000 / (1 − 0.1015 + 0.00575) = 11,058.8886…
    expect(Math.abs(lp('long') - 9126.1693) < 0.005).toBe(true);
    expect(Math.abs(lp('short') - 11058.8886) < 0.005).toBe(true);
  });

  it('a malformed add-on is refused with a typed error', () => {
    const base = bitmexInverseConfig().markets![0]!;
    expect(
      MarketConfigSchema.safeParse({ ...base, marginAddOns: { maintenanceTakerFee: true } }).success,
    ).toBe(true);
    expect(
      MarketConfigSchema.safeParse({ ...base, marginAddOns: { maintenanceTakerFees: true } }).success,
    ).toBe(false);
    expect(MarketConfigSchema.safeParse({ ...base, marginAddOns: { initialTakerFees: 'yes' } }).success).toBe(
      false,
    );
    const e = Engine.create(bitmexInverseConfig());
    const hash = e.stateHash();
    const r = e.execute({
      type: 'set_market',
      config: { ...base, marginAddOns: { funding: true } },
    } as never);
    expect(r.ok).toBe(false);
    expect(e.stateHash()).toBe(hash);
  });
});
