/**
 * INV-01 (docs/invariants.md) as numbers: per asset, the sum of every ledger that holds it and
 * the net deposits it must equal. Settlement asset: Σ balances + Σ isolated margins − Σ entry
 * values + insurance + fee pool + socialized-loss ledger; other assets: Σ balances + insurance.
 */
import type { ReadonlyEngineState } from '../model/state.ts';

export interface LedgerSum {
  readonly ledger: bigint;
  readonly netDeposits: bigint;
}

export function ledgerSums(state: ReadonlyEngineState): Map<string, LedgerSum> {
  const out = new Map<string, LedgerSum>();
  for (const asset of state.assets.keys()) {
    const settlement = asset === state.settlement.id;
    let ledger = state.insurance.get(asset) ?? 0n;
    if (settlement) {
      ledger += state.feePool + state.socializedLedger;
      for (const m of state.markets.values()) ledger += m.fundingPool ?? 0n; // lazy funding
    }
    for (const s of state.subaccounts.values()) {
      ledger += s.balances.get(asset) ?? 0n;
      if (settlement) for (const p of s.positions.values()) ledger += p.isolatedMargin - p.entryValue;
    }
    out.set(asset, { ledger, netDeposits: state.netDeposits.get(asset) ?? 0n });
  }
  return out;
}
