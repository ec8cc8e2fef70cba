/** The keeper: one tick loop (prices → finder → liquidation rounds) and the CandidateFinder port. */
export { exactLiquidatable, exactScan } from './exact-scan.ts';
export {
  type CandidateFinder,
  type EventSource,
  type LiquidationCandidate,
  liquidateFields,
  scopeId,
} from './finder.ts';
export {
  type ExecuteResult,
  isHeld,
  type KeeperEngine,
  type KeeperOptions,
  keeperTick,
  liquidationRounds,
  type RoundHooks,
  type StepMode,
  type TickInput,
  type TickReport,
} from './loop.ts';
