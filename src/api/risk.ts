/**
 * `plimsoll/risk`: float64 risk screening and analytics — the risk book (a fast
 * liquidation screen whose candidates are confirmed with the exact figures before
 * anything moves money), first-passage liquidation probabilities and risk scores.
 * These are screens and rankings, never balances: money stays in the exact engine.
 */
export {
  brownianHitProbability,
  DAYS_PER_YEAR,
  type GbmHitInput,
  gbmHitProbability,
  HOURS_PER_YEAR,
  type LiquidationProbabilityOptions,
  liquidationProbability,
  MINUTES_PER_YEAR,
  type PositionSide,
} from '../analytics/first-passage.ts';
export {
  type AccountRisk,
  type AccountRiskInput,
  compareAccountRisk,
  comparePositionRisk,
  DEFAULT_RISK_WEIGHTS,
  type PositionRisk,
  type PositionRiskInput,
  type RankedAccount,
  type RiskScoreOptions,
  type RiskWeights,
  rankAccounts,
  rankPositions,
  scoreAccount,
  scorePosition,
} from '../analytics/score.ts';
export * from '../riskbook/index.ts';
