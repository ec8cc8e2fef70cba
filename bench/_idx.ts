import { decideOrderCheck, parseOrderCheck } from '../src/core/engine/order-check.ts';
import { InMemoryJournal } from '../src/store/memory-journal.ts';
import { benchVenue, preTradeAccount, timeEach } from './support.ts';
const engine = benchVenue(10, new InMemoryJournal());
engine.onEvents(() => {});
const { trader, maker } = preTradeAccount(engine);
const order = { subaccount: trader, market: 'M3', orderId: 'q1', side: 'buy' as const, size: '1', price: '99.5' };
const parsed = parseOrderCheck(order) as never;
const decide = () => { const r = decideOrderCheck(engine.state, parsed); if (!r.ok) throw new Error(); };
const parse = () => parseOrderCheck(order);
timeEach(2000, decide); timeEach(2000, parse);
const c = timeEach(20000, decide);
timeEach(20000, parse);
const sell = { type: 'fill', market: 'M0', buyer: maker, seller: trader, size: '0.002', price: '100' };
const buy = { type: 'fill', market: 'M0', buyer: trader, seller: maker, size: '0.002', price: '100' };
let flip = 0;
const once = () => { const r = engine.execute(flip++ % 2 === 0 ? sell : buy); if (!r.ok) throw new Error(); };
timeEach(2000, once);
const f = timeEach(20000, once);
const q = (a: number[], p: number) => { const s = [...a].sort((x, y) => x - y); return (s[Math.floor(p * s.length)]! / 1e3).toFixed(1); };
for (const [name, t] of [['check', c], ['fill', f]] as const) {
  const parts = [];
  for (let i = 0; i < 20000; i += 2500) parts.push(`${q(t.slice(i, i + 2500), 0.5)}/${q(t.slice(i, i + 2500), 0.99)}`);
  console.log(name, 'all p99', q(t, 0.99), '| by 2500-sample slice, median/p99:', parts.join(' '));
}
