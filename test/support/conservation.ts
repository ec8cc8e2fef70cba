/** INV-01 (docs/invariants.md) as a test assertion: every asset's ledgers sum to its net deposits. */
import { expect } from 'vitest';
import { ledgerSums } from '../../src/core/engine/invariants.ts';
import type { EngineState } from '../../src/core/model/state.ts';

export function assertConserved(s: Readonly<EngineState>): void {
  for (const [asset, { ledger, netDeposits }] of ledgerSums(s as EngineState))
    expect(ledger, `INV-01 ${asset}`).toBe(netDeposits);
}
