/** INV-01 (docs/invariants.md) as a test assertion: every asset's ledgers sum to its net deposits. */
import { expect } from 'vitest';
import { ledgerSums } from '../../src/core/engine/invariants.ts';
import type { ReadonlyEngineState } from '../../src/core/model/state.ts';

export function assertConserved(s: ReadonlyEngineState): void {
  for (const [asset, { ledger, netDeposits }] of ledgerSums(s))
    expect(ledger, `INV-01 ${asset}`).toBe(netDeposits);
}
