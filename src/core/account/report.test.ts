/**
 * Liquidation and bankruptcy prices reported by the engine, checked against
 * Binance USDⓈ-M's published isolated-margin liquidation formula and worked
 * examples (test/vectors/cex_liquidation_price.json, sources inside):
 *   LP = (WB + cum − side·size·EP) / (size·MMR − side·size)
 * The bracket's maintenance amount `cum` is reproduced with a two-bracket ladder
 * whose derived amount equals the published one (cap₀·(mmr − mmr₀) = cum).
 */

import { readFileSync } from 'node:fs';
import Big from 'big.js';
import { describe, expect, it } from 'vitest';
import { Engine } from '../engine/engine.ts';
import { subaccountReport } from './report.ts';

interface CexCase {
  name: string;
  inputs: Record<string, number | string | null>;
  expected: { liquidationPrice?: number };
  tolerance: { abs?: number; rel?: number };
}
const vectors = JSON.parse(
  readFileSync(new URL('../../../test/vectors/cex_liquidation_price.json', import.meta.url), 'utf8'),
) as {
  cases: CexCase[];
};
const binanceIsolated = vectors.cases.filter(
  (c) =>
    c.inputs.mode === 'isolated' &&
    typeof c.inputs.maintenanceAmount === 'number' &&
    c.expected.liquidationPrice !== undefined,
);

function isolatedEngine(c: CexCase): { engine: Engine; side: number } {
  const i = c.inputs;
  const side = Number(i.side);
  const size = new Big(String(i.size));
  const entry = new Big(String(i.entryPrice));
  const mmr = new Big(String(i.mmr));
  const cum = new Big(String(i.maintenanceAmount));
  const wallet = new Big(String(i.isolatedWalletBalance ?? i.walletBalance)).round(6, Big.roundDown);
  const cap0 = cum.times(2).div(mmr); // mmr₀ = mmr/2 ⇒ cap₀·(mmr − mmr₀) = cum
  const engine = Engine.create({
    settlementAsset: 'USDT',
    assets: [{ id: 'USDT', decimals: 6 }],
    markets: [
      {
        id: 'X-PERP',
        kind: 'perpetual',
        base: 'X',
        stepSize: '0.001',
        margin: {
          kind: 'brackets',
          brackets: [
            {
              notionalCap: cap0.toFixed(),
              maintenanceRatio: mmr.div(2).toFixed(),
              initialRatio: mmr.toFixed(),
            },
            {
              maintenanceRatio: mmr.toFixed(),
              initialRatio: mmr.toFixed(),
              maintenanceAmount: cum.toFixed(),
            },
          ],
        },
      },
    ],
  });
  engine.executeOrThrow({ type: 'prices', timeMs: 1, marks: { 'X-PERP': entry.toFixed() } });
  for (const a of ['trader', 'other']) {
    engine.executeOrThrow({
      type: 'deposit',
      to: { account: a },
      asset: 'USDT',
      amount: size.times(entry).times(3).round(0).toFixed(),
    });
  }
  engine.executeOrThrow({
    type: 'set_margin_mode',
    subaccount: { account: 'trader' },
    market: 'X-PERP',
    mode: 'isolated',
  });
  const [buyer, seller] = side > 0 ? ['trader', 'other'] : ['other', 'trader'];
  engine.executeOrThrow({
    type: 'fill',
    market: 'X-PERP',
    buyer: { account: buyer! },
    seller: { account: seller! },
    size: size.toFixed(),
    price: entry.toFixed(),
  });
  const margin = engine.state.subaccounts.get('trader/0')!.positions.get('X-PERP')!.isolatedMargin;
  const delta = wallet.minus(new Big(margin.toString()).div(1e6));
  if (!delta.eq(0))
    engine.executeOrThrow({
      type: 'adjust_isolated_margin',
      subaccount: { account: 'trader' },
      market: 'X-PERP',
      amount: delta.toFixed(),
    });
  return { engine, side };
}

describe('liquidation price: Binance USDⓈ-M isolated examples (cex_liquidation_price.json)', () => {
  it('has cases to check', () => expect(binanceIsolated.length).toBeGreaterThanOrEqual(4));
  for (const c of binanceIsolated) {
    it(c.name, () => {
      const { engine } = isolatedEngine(c);
      const report = subaccountReport(engine.state, engine.state.subaccounts.get('trader/0')!);
      const lp = new Big(report.isolated[0]!.positions[0]!.liquidationPrice!);
      const expected = new Big(c.expected.liquidationPrice!);
      const tol = c.tolerance.abs !== undefined ? new Big(c.tolerance.abs) : expected.times(c.tolerance.rel!);
      // the published figures are rounded; allow their own tolerance plus our 1e-6 wallet rounding
      expect(lp.minus(expected).abs().lte(tol.plus(1e-5)), `${lp} vs ${expected}`).toBe(true);
    });
  }
});

describe('liquidation price is the engine trigger', () => {
  it('liquidatable at the reported price and not one unit on the safe side', () => {
    const { engine } = isolatedEngine(binanceIsolated[0]!);
    const st = engine.state;
    const report = subaccountReport(st, st.subaccounts.get('trader/0')!);
    const lp = report.isolated[0]!.positions[0]!.liquidationPrice!;
    const long = report.isolated[0]!.positions[0]!.side === 'long';
    const at = (px: string, t: number) => {
      engine.executeOrThrow({ type: 'prices', timeMs: t, marks: { 'X-PERP': px } });
      return engine.liquidatable().length > 0;
    };
    const unit = new Big('0.00000001');
    const safe = long ? new Big(lp).plus(unit) : new Big(lp).minus(unit);
    expect(at(safe.toFixed(), 2)).toBe(false);
    expect(at(lp, 3)).toBe(true);
  });
});
