/**
 * Liquidation of portfolio-margined accounts in the engine (liquidation/target.ts picks the
 * position whose full close releases the most maintenance margin per unit of notional; the
 * partial step sizes it; a bankrupt scope goes through the waterfall), on random books of a
 * perpetual and BTC options (calls and puts, two expiries, long and short) that a crash or a
 * rally of 5–45 % makes liquidatable. Stepped until healthy, after every step:
 *
 *   LIQ-PM-1 a solvent (partial) step never raises the portfolio maintenance requirement; the
 *            risk matrix is convex in the sizes, so a partial close of a position whose full
 *            close lowers the requirement lowers it too;
 *   LIQ-PM-2 hedges are kept: the step closes a position whose full close alone lowers the
 *            requirement whenever such a position exists, never one whose close would raise it
 *            (a protective put is not sold while the unhedged leg it protects is still open);
 *   LIQ-PM-3 health (equity − MM) never falls through a solvent step;
 *   INV-01   conservation: every asset's ledgers sum to its net deposits, bankruptcies included.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertConserved } from '../../../test/support/conservation.ts';
import { ref, venueConfig } from '../../../test/support/fixtures.ts';
import { propRuns } from '../../../test/support/prop.ts';
import { crossView, evaluate, withPosition } from '../account/figures.ts';
import type { MarketConfigInput } from '../model/config.ts';
import { black76Price, yearFraction } from '../pricing/black76.ts';
import { Engine } from './engine.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 25);
const OPTIONS: MarketConfigInput[] = [];
for (const expiryMs of [T0 + 14 * DAY, T0 + 45 * DAY])
  for (const strike of [80_000, 90_000, 100_000, 110_000, 120_000])
    for (const right of ['call', 'put'] as const)
      OPTIONS.push({
        id: `BTC-${(expiryMs - T0) / DAY}d-${strike}-${right}`,
        kind: 'option',
        base: 'BTC',
        stepSize: '0.01',
        expiryMs,
        option: { underlying: 'BTC-PERP', right, strike: String(strike) },
        margin: { kind: 'standardOption' },
      });
const base = venueConfig();
const config = {
  ...base,
  markets: [...(base.markets ?? []), ...OPTIONS],
  guards: { maxFillDeviation: '10', maxPriceMove: '100' }, // option marks jump with the underlying
  portfolio: { model: 'crypto-pm' as const },
};
const px = (x: number) => Math.max(0.01, Math.round(x * 100) / 100).toFixed(2);
function marks(S: number, vol: number, t: number): Record<string, string> {
  const out: Record<string, string> = { 'BTC-PERP': px(S) };
  for (const o of OPTIONS)
    out[o.id] = px(
      black76Price({
        kind: o.option!.right,
        forward: S,
        strike: Number(o.option!.strike),
        timeYears: yearFraction(t, o.expiryMs!),
        vol,
      }),
    );
  return out;
}

const leg = fc.record({
  market: fc.integer({ min: 0, max: OPTIONS.length }), // OPTIONS.length: the perpetual
  size: fc.integer({ min: -30, max: 30 }).filter((x) => x !== 0),
});
// a directional perpetual leg and options around it (protective or not, long or short)
const perpLeg = fc.record({
  market: fc.constant(OPTIONS.length),
  size: fc.oneof(fc.integer({ min: -40, max: -10 }), fc.integer({ min: 10, max: 40 })),
});
const scenario = fc.record({
  legs: fc.tuple(perpLeg, fc.array(leg, { minLength: 1, maxLength: 5 })).map(([p, rest]) => [p, ...rest]),
  move: fc.oneof(fc.integer({ min: -40, max: -6 }), fc.integer({ min: 6, max: 40 })),
  vol: fc.integer({ min: 40, max: 110 }),
  cushion: fc.integer({ min: 0, max: 20 }),
});

const figuresOf = (e: Engine) => evaluate(e.state, crossView(e.state.subaccounts.get('pm/0')!));
const coverage = { steps: 0, partial: 0, keptHedge: 0, bankrupt: 0 };

describe('portfolio liquidation in the engine', () => {
  it('LIQ-PM-1..3 and conservation on random books through a crash or a rally', () => {
    fc.assert(
      fc.property(scenario, ({ legs, move, vol, cushion }) => {
        const e = Engine.create(config);
        e.executeOrThrow({ type: 'prices', timeMs: T0, marks: marks(100_000, vol / 100, T0) });
        e.executeOrThrow({ type: 'deposit', to: ref('backstop'), asset: 'USDC', amount: '1000000000' });
        e.executeOrThrow({ type: 'deposit', to: ref('mm'), asset: 'USDC', amount: '1000000000' });
        e.executeOrThrow({ type: 'deposit', to: ref('pm'), asset: 'USDC', amount: '1000000' });
        e.executeOrThrow({ type: 'set_portfolio_margin', subaccount: ref('pm'), enabled: true });
        for (const l of legs) {
          const id = l.market === OPTIONS.length ? 'BTC-PERP' : OPTIONS[l.market]!.id;
          const size = l.market === OPTIONS.length ? l.size / 10 : l.size / 10;
          const mark = Number(e.state.markets.get(id)!.markPx8!) / 1e8;
          e.execute({
            type: 'fill',
            market: id,
            buyer: ref(size > 0 ? 'pm' : 'mm'),
            seller: ref(size > 0 ? 'mm' : 'pm'),
            size: Math.abs(size).toFixed(2),
            price: px(mark),
            timeMs: T0,
          });
        }
        // Leave only IM (+ cushion %) in the account, then move the market.
        const f0 = figuresOf(e);
        if (f0.initialMarginQuote === 0n) return;
        const spare = f0.freeCollateralQuote - (f0.initialMarginQuote * BigInt(cushion)) / 100n;
        if (spare > 0n)
          e.executeOrThrow({
            type: 'withdraw',
            from: ref('pm'),
            asset: 'USDC',
            amount: (Number(spare) / 1e6).toFixed(6),
          });
        const t1 = T0 + 3_600_000;
        e.executeOrThrow({
          type: 'prices',
          timeMs: t1,
          marks: marks(100_000 * (1 + move / 100), vol / 100, t1),
        });
        for (let k = 0; k < 40 && e.liquidatable().length > 0; k++) {
          const sub = e.state.subaccounts.get('pm/0')!;
          const view = crossView(sub);
          const before = evaluate(e.state, view);
          // what closing each position in full would do to the requirement
          const release = new Map<string, bigint>();
          for (const p of before.positions) {
            const without = withPosition(view, { market: p.market, size: 0n, entryValue: 0n }, 0n);
            release.set(
              p.market,
              before.maintenanceMarginQuote - evaluate(e.state, without).maintenanceMarginQuote,
            );
          }
          const events = e.executeOrThrow({ type: 'liquidate', subaccount: ref('pm'), timeMs: t1 + k });
          assertConserved(e.state);
          coverage.steps++;
          const done = events.find((x) => x.type === 'liquidation_completed');
          if (done?.type !== 'liquidation_completed') continue;
          if (done.mode === 'bankrupt' || done.mode === 'backstop') {
            coverage.bankrupt++;
            continue;
          }
          coverage.partial++;
          const after = figuresOf(e);
          // LIQ-PM-1
          expect(after.maintenanceMarginQuote).toBeLessThanOrEqual(before.maintenanceMarginQuote);
          // LIQ-PM-3
          expect(after.healthQuote).toBeGreaterThanOrEqual(before.healthQuote);
          // LIQ-PM-2
          const anyReleases = [...release.values()].some((r) => r > 0n);
          if (anyReleases) expect(release.get(done.market)!).toBeGreaterThan(0n);
          if ([...release.values()].some((r) => r < 0n)) coverage.keptHedge++;
        }
      }),
      { numRuns: propRuns(80, 0.2), seed: 4242 },
    );
    // the sample reached partial steps, steps next to a hedge whose close would raise the
    // requirement, and bankruptcies through the waterfall
    expect(coverage.partial).toBeGreaterThan(0);
    expect(coverage.keptHedge).toBeGreaterThan(0);
    expect(coverage.bankrupt).toBeGreaterThan(0);
  });
});
