// A coin-margined hedge: 10 BTC of collateral against a short inverse perpetual worth 10 BTC keeps
// its USD value whatever BTC does, and has no liquidation price; a 10x long of the same size does
// not. Run after `npm install` (which builds dist/): node examples/inverse-hedge.js
// Guide: docs/inverse.md. The same accounts as a scenario: examples/risk-inverse-hedge.json.
import { Engine, subaccountReport } from 'plimsoll';

const engine = Engine.create({
  settlementAsset: 'BTC',
  assets: [{ id: 'BTC', decimals: 8 }],
  markets: [
    {
      id: 'BTCUSD',
      kind: 'perpetual',
      base: 'BTC',
      contractType: 'inverse', // PnL, margin and funding in BTC
      contractValue: '100', // 1 contract = 100 USD (Binance COIN-M)
      stepSize: '1',
      tickSize: '0.1',
      margin: { kind: 'fixed', initialRatio: '0.02', maintenance: { ratio: '0.01' } },
    },
  ],
  liquidation: { dustNotional: '0.0001' },
});
let t = 1;
const run = (c) => engine.executeOrThrow({ timeMs: t++, ...c });
run({ type: 'prices', marks: { BTCUSD: '40000' } });
run({ type: 'deposit', to: { account: 'hedged' }, asset: 'BTC', amount: '10' });
run({ type: 'deposit', to: { account: 'long' }, asset: 'BTC', amount: '1' });
// 4,000 contracts × 100 USD = 400,000 USD = 10 BTC at 40,000: 'hedged' sells them to 'long'.
run({
  type: 'fill',
  market: 'BTCUSD',
  buyer: { account: 'long' },
  seller: { account: 'hedged' },
  size: '4000',
  price: '40000',
});

const report = (who) => subaccountReport(engine.state, engine.state.subaccounts.get(`${who}/0`)).cross;
for (const who of ['hedged', 'long']) {
  const p = report(who).positions[0];
  console.log(
    `${who}: ${p.side} ${p.size} contracts @ ${p.entryPrice}, liquidation price ${p.liquidationPrice ?? 'none'}`,
  );
}
console.log('\n   price | hedged BTC | hedged USD | long BTC   | long USD  | long');
let mark = 40000;
for (const target of [36000, 38000, 40000, 44000, 48000, 56000, 64000]) {
  // the engine's wild-price guard accepts moves of up to 50% per update
  while (mark !== target) {
    mark = target > mark ? Math.min(target, Math.floor(mark * 1.4)) : Math.max(target, Math.ceil(mark * 0.7));
    run({ type: 'prices', marks: { BTCUSD: String(mark) } });
  }
  const h = report('hedged');
  const l = report('long');
  const usd = (btc) => (Number(btc) * target).toFixed(0).padStart(9);
  console.log(
    `${String(target).padStart(8)} | ${Number(h.equity).toFixed(6).padStart(10)} | ${usd(h.equity)}  | ${Number(l.equity).toFixed(6).padStart(10)} | ${usd(l.equity)} | ${l.liquidatable ? 'LIQUIDATABLE' : 'ok'}`,
  );
}
