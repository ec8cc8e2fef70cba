/**
 * Account figures on the wire, in ccxt's unified names: per scope `collateral`, `initialMargin`,
 * `maintenanceMargin`, `marginRatio`, `unrealizedPnl`, …; per position `symbol`, `side`,
 * `contracts`, `entryPrice`, `markPrice`, `notional`, `liquidationPrice`, `marginMode`. Every
 * figure is a decimal string, computed by the engine's own report (src/core/account/report.ts).
 */
import { z } from 'zod';
import type { ScopeReport, SubaccountReport } from '../../core/account/report.ts';
import { subaccountReport } from '../../core/account/report.ts';
import type { ReadonlyEngineState, ReadonlySubaccount } from '../../core/model/state.ts';

const dec = z.string();
export const WirePositionSchema = z.object({
  symbol: z.string(),
  side: z.enum(['long', 'short']),
  contracts: dec,
  entryPrice: dec,
  markPrice: dec,
  notional: dec,
  unrealizedPnl: dec,
  initialMargin: dec,
  maintenanceMargin: dec,
  liquidationPrice: dec.nullable(),
  bankruptcyPrice: dec.nullable(),
  marginMode: z.enum(['cross', 'isolated']),
  /** Isolated positions: the margin set aside for them. */
  collateral: dec.optional(),
});
export const WireScopeSchema = z.object({
  scope: z.string(),
  marginMode: z.enum(['cross', 'isolated']),
  collateral: dec,
  collateralInitial: dec,
  unrealizedPnl: dec,
  equity: dec,
  initialMargin: dec,
  maintenanceMargin: dec,
  freeCollateral: dec,
  health: dec,
  marginRatio: dec.nullable(),
  liquidatable: z.boolean(),
  bankrupt: z.boolean(),
  positions: z.array(WirePositionSchema),
});
export const WireSubaccountSchema = z.object({
  account: z.string(),
  sub: z.string(),
  balances: z.record(z.string(), dec),
  portfolioMargin: z.boolean(),
  cross: WireScopeSchema,
  isolated: z.array(WireScopeSchema),
});
export type WireScope = z.infer<typeof WireScopeSchema>;
export type WireSubaccount = z.infer<typeof WireSubaccountSchema>;

function wireScope(r: ScopeReport): WireScope {
  const isolated = r.scope.startsWith('isolated:');
  return {
    scope: r.scope,
    marginMode: isolated ? 'isolated' : 'cross',
    collateral: r.collateralValue,
    collateralInitial: r.collateralValueInitial,
    unrealizedPnl: r.unrealizedPnl,
    equity: r.equity,
    initialMargin: r.initialMargin,
    maintenanceMargin: r.maintenanceMargin,
    freeCollateral: r.freeCollateral,
    health: r.health,
    marginRatio: r.marginRatio,
    liquidatable: r.liquidatable,
    bankrupt: r.bankrupt,
    positions: r.positions.map((p) => ({
      symbol: p.market,
      side: p.side,
      contracts: p.size,
      entryPrice: p.entryPrice,
      markPrice: p.markPrice,
      notional: p.notional,
      unrealizedPnl: p.unrealizedPnl,
      initialMargin: p.initialMargin,
      maintenanceMargin: p.maintenanceMargin,
      liquidationPrice: p.liquidationPrice,
      bankruptcyPrice: p.bankruptcyPrice,
      marginMode: p.isolatedMargin === undefined ? 'cross' : 'isolated',
      ...(p.isolatedMargin === undefined ? {} : { collateral: p.isolatedMargin }),
    })),
  };
}

export function wireSubaccount(state: ReadonlyEngineState, s: ReadonlySubaccount): WireSubaccount {
  const r: SubaccountReport = subaccountReport(state, s);
  return {
    account: r.account,
    sub: r.sub,
    balances: r.balances,
    portfolioMargin: s.portfolioMargin === true,
    cross: wireScope(r.cross),
    isolated: r.isolated.map(wireScope),
  };
}
