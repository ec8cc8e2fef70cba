/**
 * `plimsoll/store`: journals the engine writes its events to and reopens from —
 * SQLite on disk (better-sqlite3) and in memory (tests, simulations).
 *
 * @example
 *   const journal = SqliteJournal.open('venue.sqlite');
 *   const engine = Engine.open(journal);   // the state the journal's events fold to
 */
export {
  type Journal,
  JournalClosedError,
  JournalRecordError,
  JournalSchemaError,
  JournalSequenceError,
  type StoredEvent,
  type StoredSnapshot,
} from '../store/journal.ts';
export { InMemoryJournal } from '../store/memory-journal.ts';
export {
  SQLITE_JOURNAL_SCHEMA_VERSION,
  SqliteJournal,
  type SqliteJournalInfo,
  type SqliteJournalOptions,
} from '../store/sqlite-journal.ts';
