/**
 * Drift v2's liquidation target (policy `target: 'maintenance_plus_notional'`): a partial step
 * closes the least size after which equity ≥ MM + buffer × the positions' value at the mark
 * (Drift's liquidation_margin_buffer_ratio, 2 %). Checked against Drift's own sizing,
 * `driftBaseToCoverMarginShortage` (math/liquidation.rs calculate_base_asset_amount_to_cover_margin_shortage,
 * test reference checked against Drift's Rust tests): shortage / (price × (MMR + buffer − fee)).
 */
import { describe, expect, it } from 'vitest';
import { newVenue, ref } from '../../../../test/support/fixtures.ts';
import { crossView, evaluate } from '../../account/figures.ts';
import { driftBaseToCoverMarginShortage } from '../../reference/drift-v2.ts';
import type { Engine } from '../engine.ts';

const U = 1_000_000n;

function account(target: 'maintenance_plus_notional' | 'maintenance_buffer'): Engine {
  // BTC-PERP: MM 5 %, step 0.001. A fixed 1 % penalty, all of it the liquidator's (Drift's
  // liquidator fee), no insurance fee.
  const e = newVenue({
    config: {
      liquidation: {
        target,
        targetBuffer: '0.02',
        minPenalty: '0.01',
        maxPenalty: '0.01',
        liquidatorShare: '1',
      },
    },
  });
  e.executeOrThrow({ type: 'deposit', to: ref('alice'), asset: 'USDC', amount: '1000' });
  e.executeOrThrow({ type: 'deposit', to: ref('bob'), asset: 'USDC', amount: '100000' });
  e.executeOrThrow({
    type: 'fill',
    market: 'BTC-PERP',
    buyer: ref('alice'),
    seller: ref('bob'),
    size: '0.1',
    price: '60000',
  });
  e.executeOrThrow({ type: 'prices', timeMs: 2, marks: { 'BTC-PERP': '51000' } });
  return e;
}

const position = (e: Engine) => e.state.subaccounts.get('alice/0')!.positions.get('BTC-PERP')!.size;

describe("Drift's liquidation target: MM + 2 % of notional", () => {
  it("closes Drift's base to cover the margin shortage, rounded up to the step", () => {
    const e = account('maintenance_plus_notional');
    const f = evaluate(e.state, crossView(e.state.subaccounts.get('alice/0')!));
    // equity = 1,000 − 3 (taker fee) − 900 = 97; MM = 5,100 × 5 % = 255; buffer 2 % × 5,100 = 102.
    expect(f.equityQuote).toBe(97n * U);
    expect(f.maintenanceMarginQuote).toBe(255n * U);
    const shortage = f.maintenanceMarginQuote + 102n * U - f.equityQuote; // 260
    const base = driftBaseToCoverMarginShortage({
      shortageQuote: shortage,
      marginRatioPpm: 70_000n, // MMR 5 % + buffer 2 %
      liquidationFeePpm: 10_000n,
      insuranceFundFeePpm: 0n,
      pricePx8: 51_000n * 10n ** 8n,
      quoteDecimals: 6,
      rounding: 'ceil',
    })!;
    // 260 / (51,000 × 6 %) = 0.08496…; the step is 0.001.
    const step = 1_000_000n;
    const expectedQty = ((base + step - 1n) / step) * step;
    expect(expectedQty).toBe(85_000_000n);
    e.executeOrThrow({ type: 'liquidate', subaccount: ref('alice'), timeMs: 3 });
    expect(100_000_000n - position(e)).toBe(expectedQty);
    // After the step the target holds; one step less would not have reached it (by hand):
    // 97 − 510 q ≥ 0.07 × (5,100 − 51,000 q) ⇔ q ≥ 0.08497.
    const after = evaluate(e.state, crossView(e.state.subaccounts.get('alice/0')!));
    const notional = (position(e) * 51_000n) / 1_000n; // qty9 × price → quote units (6 dp)
    expect(
      after.equityQuote * 1_000_000n >= after.maintenanceMarginQuote * 1_000_000n + 20_000n * notional,
    ).toBe(true);
  });

  it('differs from the default target MM × (1 + buffer), which closes less', () => {
    const e = account('maintenance_buffer');
    e.executeOrThrow({ type: 'liquidate', subaccount: ref('alice'), timeMs: 3 });
    // 97 − 510 q ≥ 1.02 × 0.05 × (5,100 − 51,000 q) = 260.1 − 2,601 q ⇔ q ≥ 0.078 → 0.079 (rounding).
    expect(100_000_000n - position(e)).toBeLessThan(85_000_000n);
  });
});
