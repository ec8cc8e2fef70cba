/**
 * `plimsoll risk --text`: the readable form of the risk report (the default output stays the JSON
 * of every figure). One block per scope: equity, maintenance and initial margin, health, and each
 * position with its liquidation and bankruptcy price; a scope that is liquidatable or bankrupt at
 * the current marks says so in words. Amounts are in the settlement asset, named after each
 * number (BTC on a coin-margined venue, where sizes count contracts).
 */
import type { ScopeReport, SubaccountReport } from '../core/account/report.ts';
import { fmtDecimal } from './format.ts';

const price = (p: string | null) => (p === null ? 'none' : fmtDecimal(p, 2));
/** A position's price: cents, or eight places below 1 (a coin-settled option's premium in BTC). */
const positionPrice = (p: string) => fmtDecimal(p, Math.abs(Number(p)) < 1 ? 8 : 2);

function scopeLines(s: ScopeReport, amount: (v: string) => string): string[] {
  const lines = [
    `  ${s.scope}: equity ${amount(s.equity)} · MM ${amount(s.maintenanceMargin)} · IM ${amount(s.initialMargin)} · health ${amount(s.health)}`,
  ];
  if (s.bankrupt) lines.push('    BANKRUPT: net value is below zero at the current marks');
  else if (s.liquidatable)
    lines.push('    ALREADY LIQUIDATABLE: equity is below the maintenance margin at the current marks');
  for (const p of s.positions) {
    lines.push(
      `    ${p.market} ${p.side} ${p.size} @ ${positionPrice(p.entryPrice)} · mark ${positionPrice(p.markPrice)} · notional ${amount(p.notional)} · uPnL ${amount(p.unrealizedPnl)} · liquidation ${price(p.liquidationPrice)} · bankruptcy ${price(p.bankruptcyPrice)}`,
    );
  }
  return lines;
}

/** The accounts' reports as text; `settlementAsset` names the unit of every amount. */
export function formatRiskText(
  accounts: readonly SubaccountReport[],
  settlementAsset: string,
  decimals: number,
): string {
  const places = Math.min(decimals, 8);
  const amount = (v: string) => `${fmtDecimal(v, places)} ${settlementAsset}`;
  const lines: string[] = [];
  for (const a of accounts) {
    const balances = Object.entries(a.balances)
      .map(([asset, v]) => `${asset} ${v}`)
      .join(', ');
    lines.push(`${a.account}/${a.sub} · balances ${balances || 'none'}`);
    lines.push(...scopeLines(a.cross, amount));
    for (const s of a.isolated) lines.push(...scopeLines(s, amount));
  }
  return `${lines.join('\n')}\n`;
}
