// Plimsoll as a library: an engine journaling to SQLite, a trade, its figures, a restart.
// Run after `npm install` (which builds dist/): node examples/library.js
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, presets, SqliteJournal, subaccountReport } from 'plimsoll';

const file = join(mkdtempSync(join(tmpdir(), 'plimsoll-')), 'venue.sqlite');
const journal = SqliteJournal.open(file);
const engine = Engine.create(presets.getPreset('binance-usdm').config(), { journal });

engine.executeOrThrow({ type: 'prices', timeMs: 1, marks: { BTCUSDT: '60000' } });
engine.executeOrThrow({ type: 'deposit', to: { account: 'alice' }, asset: 'USDT', amount: '1000' });
engine.executeOrThrow({ type: 'deposit', to: { account: 'mm' }, asset: 'USDT', amount: '100000' });
engine.executeOrThrow({
  type: 'fill',
  market: 'BTCUSDT',
  buyer: { account: 'alice' },
  seller: { account: 'mm' },
  size: '0.1',
  price: '60000',
});
const bad = engine.execute({ type: 'withdraw', from: { account: 'alice' }, asset: 'USDT', amount: '990' });
console.log('withdraw 990:', bad.ok ? 'accepted' : bad.rejection.code); // rejected: it would leave alice under IM

const { cross } = subaccountReport(engine.state, engine.state.subaccounts.get('alice/0'));
console.log('equity', cross.equity, '· IM', cross.initialMargin, '· MM', cross.maintenanceMargin);
console.log('liquidation price', cross.positions[0].liquidationPrice);
const hash = engine.stateHash();
journal.close();

const reopened = SqliteJournal.open(file);
const restarted = Engine.open(reopened); // folds the journal's events back into the same state
console.log('reopened', restarted.stateHash() === hash ? 'identical' : 'DIFFERENT', hash);
reopened.close();
