/**
 * The options property runs' two checked actions: a command that, when refused, must leave the
 * state hash unchanged (INV-06), with conservation (INV-01) after every command; and liquidating
 * until nothing is due, where the float risk book must name exactly the engine's liquidatable set.
 */
import { expect } from 'vitest';
import type { Engine } from '../../src/core/engine/engine.ts';
import type { RiskBook } from '../../src/riskbook/riskbook.ts';
import { assertConserved } from './conservation.ts';

export interface LiquidationCounts {
  liquidations: number;
  portfolioLiquidations: number;
}

export function checkedCommands(
  e: Engine,
  book: RiskBook,
  reached: LiquidationCounts,
  now: () => number,
): { tryCommand: (c: unknown) => boolean; liquidateAll: () => void } {
  const tryCommand = (c: unknown) => {
    const before = e.stateHash();
    const r = e.execute(c);
    if (!r.ok) expect(e.stateHash(), `INV-06 ${JSON.stringify(r.rejection)}`).toBe(before);
    assertConserved(e.state);
    return r.ok;
  };
  const liquidateAll = () => {
    for (let round = 0; round < 20; round++) {
      const due = e.liquidatable();
      // The float screen never misses what the exact figures say (options, portfolio scopes).
      expect(book.liquidatable(e.state)).toEqual(due);
      if (due.length === 0) return;
      for (const d of due) {
        const inPortfolio =
          e.state.subaccounts.get(`${d.ref.account}/${d.ref.sub}`)!.portfolioMargin === true;
        if (tryCommand({ type: 'liquidate', subaccount: d.ref, timeMs: now() })) {
          reached.liquidations++;
          if (inPortfolio) reached.portfolioLiquidations++;
        }
      }
    }
  };
  return { tryCommand, liquidateAll };
}
