/** Float64 liquidation screen with exact confirmation (DESIGN §6): see ./riskbook.ts. */
export {
  type Candidate,
  type HolderIndex,
  type Liquidatable,
  RiskBook,
  type RiskBookOptions,
  type ScopeScreen,
  touchedSubaccounts,
} from './riskbook.ts';
