/** INV-01 (docs/invariants.md) as a test assertion: every asset's ledgers sum to its net deposits. */
import { expect } from 'vitest';
import type { EngineState } from '../../src/core/engine/state.ts';

export function assertConserved(s: EngineState): void {
  for (const asset of s.assets.keys()) {
    let lhs = s.insurance.get(asset) ?? 0n;
    if (asset === s.settlement.id) lhs += s.feePool + s.socializedLedger;
    for (const x of s.subaccounts.values()) {
      lhs += x.balances.get(asset) ?? 0n;
      if (asset === s.settlement.id)
        for (const p of x.positions.values()) lhs += p.isolatedMargin - p.entryValue;
    }
    expect(lhs, `INV-01 ${asset}`).toBe(s.netDeposits.get(asset) ?? 0n);
  }
}
