/**
 * Fast candidate finders behind core's CandidateFinder port: the float64 risk book with exact
 * confirmation (./riskbook.ts, ./risk-book-finder.ts) and the exact liquidation-price index
 * (./liquidation-price-index.ts).
 */
export {
  type BoundTickStats,
  LiquidationBoundIndex,
  type LiquidationBoundIndexOptions,
} from './liquidation-bound-index.ts';
export {
  type IndexCandidate,
  type IndexStats,
  LiquidationPriceIndex,
} from './liquidation-price-index.ts';
export { MaintenanceChecker, type MaintenanceFigures } from './maintenance-check.ts';
export { ParallelRemark } from './parallel-remark.ts';
export { RiskBookFinder, type RiskBookFinderOptions } from './risk-book-finder.ts';
export {
  type Candidate,
  type HolderIndex,
  type Liquidatable,
  RiskBook,
  type RiskBookOptions,
  type ScopeScreen,
  touchedSubaccounts,
} from './riskbook.ts';
