/**
 * Plimsoll's public API: the exact margin and liquidation engine, its journals and
 * the venue presets. Money crosses the API as decimal strings and is held as bigint
 * fixed-point inside; commands go in, sequenced events come out, and a journal
 * replays to the identical state.
 *
 * More specific surfaces are subpath exports: `plimsoll/engine`, `plimsoll/presets`,
 * `plimsoll/portfolio`, `plimsoll/oracle`, `plimsoll/risk`, `plimsoll/store`.
 *
 * @example
 *   import { Engine, SqliteJournal, presets, subaccountReport } from 'plimsoll';
 *
 *   const journal = SqliteJournal.open('venue.sqlite');
 *   const engine = Engine.create(presets.getPreset('binance-usdm').config(), { journal });
 *   engine.executeOrThrow({ type: 'prices', timeMs: 1, marks: { BTCUSDT: '60000' } });
 *   engine.executeOrThrow({ type: 'deposit', to: { account: 'alice' }, asset: 'USDT', amount: '1000' });
 *   engine.executeOrThrow({ type: 'deposit', to: { account: 'mm' }, asset: 'USDT', amount: '100000' });
 *   engine.executeOrThrow({ type: 'fill', market: 'BTCUSDT', buyer: { account: 'alice' },
 *                           seller: { account: 'mm' }, size: '0.1', price: '60000' });
 *   const alice = subaccountReport(engine.state, engine.state.subaccounts.get('alice/0'));
 *   alice.cross.positions[0].liquidationPrice;   // '50230.92369479'
 *   journal.close();
 *
 *   const reopened = Engine.open(SqliteJournal.open('venue.sqlite'));  // same stateHash()
 */

export {
  adlQueueView,
  type Command,
  type CommandInput,
  ConfigError,
  checkOrder,
  Engine,
  type EngineConfig,
  type EngineConfigInput,
  type EngineEvent,
  EngineRejectedError,
  type ExecuteResult,
  insuranceFund,
  type JournalPort,
  ledgerSums,
  type MarginBreakdown,
  marginBreakdown,
  type OrderCheck,
  type OrderCheckInput,
  parseEngineConfig,
  type ReadonlyEngineState,
  type Rejection,
  type RejectionCode,
  type ScopeReport,
  type Sequenced,
  type SubaccountRef,
  type SubaccountReport,
  socializedLossLedger,
  subaccountKey,
  subaccountReport,
  type WhatIfResult,
  type WhatIfScenario,
  whatIf,
} from './api/engine.ts';
export * as presets from './api/presets.ts';
export { InMemoryJournal, type Journal, SqliteJournal } from './api/store.ts';
export {
  DecimalFormatError,
  formatDecimal,
  InvariantError,
  type ParseResult,
  parseDecimal,
  parseDecimalUnsafe,
  type Rounding,
} from './core/num/index.ts';
