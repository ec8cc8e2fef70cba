/**
 * The risk snapshot keeps liquidation prices between snapshots and recomputes only the scopes
 * that may have changed. Property: over random populations (riskbook.testkit: cross and isolated
 * scopes, four markets of three margin-model kinds, USDC / BTC / stETH collateral) and random walks
 * of price moves, keeper liquidations, deposits, withdrawals and trades, the kept snapshot equals a
 * snapshot computed from scratch — every row, every liquidation price, exactly.
 */
import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { exactScan } from '../../core/keeper/exact-scan.ts';
import { keeperTick } from '../../core/keeper/loop.ts';
import { accountArb, MARKETS, populate, priceMove, riskVenue } from '../../riskbook/riskbook.testkit.ts';
import { RiskSnapshots } from './risk-snapshot.ts';

const RUNS = Number(process.env.PROP_RUNS ?? 20);

const account = accountArb(3);
const factor = fc.integer({ min: 800_000, max: 1_200_000 });
const step = fc.oneof(
  fc.record({
    kind: fc.constant('prices' as const),
    markets: fc.array(factor, { minLength: MARKETS.length, maxLength: MARKETS.length }),
    btc: factor,
    eth: factor,
    stethRate: fc.integer({ min: 980_000, max: 1_020_000 }),
  }),
  fc.record({
    kind: fc.constant('deposit' as const),
    who: fc.nat(19),
    amount: fc.integer({ min: -500, max: 500 }),
  }),
  fc.record({
    kind: fc.constant('trade' as const),
    who: fc.nat(19),
    market: fc.nat(MARKETS.length - 1),
    long: fc.boolean(),
  }),
);

const rowsOf = (s: RiskSnapshots) =>
  s
    .get()
    .rows.map(
      (r) =>
        `${r.subKey}|${r.scope}|${r.market}|${r.sizeQty9}|${r.liqPx8}|${r.equityQuote}|${r.liquidatable}`,
    )
    .sort();

test.prop(
  [fc.array(account, { minLength: 1, maxLength: 20 }), fc.array(step, { minLength: 1, maxLength: 8 })],
  {
    numRuns: RUNS,
  },
)('the kept snapshot equals one computed from scratch after every step', (accounts, steps) => {
  const engine = riskVenue();
  populate(engine, accounts);
  let clock = 0;
  const kept = new RiskSnapshots(() => engine.state, { maxAgeMs: 0, now: () => clock });
  engine.onEvents((events) => kept.observe(events));
  const fresh = () => rowsOf(new RiskSnapshots(() => engine.state));
  expect(rowsOf(kept)).toEqual(fresh());
  let t = 10;
  for (const s of steps) {
    t += 1_000;
    clock += 3_600_000; // past any reuse window: every step computes a new snapshot
    if (s.kind === 'prices') {
      if (!engine.execute(priceMove(engine, s, t)).ok) continue;
      keeperTick(engine, { timeMs: t }, { finder: exactScan, maxRounds: 20 });
    } else if (s.kind === 'deposit') {
      const ref = { account: `t${s.who % accounts.length}` };
      engine.execute(
        s.amount >= 0
          ? { type: 'deposit', to: ref, asset: 'USDC', amount: String(s.amount + 1), timeMs: t }
          : { type: 'withdraw', from: ref, asset: 'USDC', amount: String(-s.amount), timeMs: t },
      );
    } else {
      const market = MARKETS[s.market]!;
      const ref = { account: `t${s.who % accounts.length}` };
      const mark = engine.state.markets.get(market)!.markPx8!;
      engine.execute({
        type: 'fill',
        market,
        buyer: s.long ? ref : { account: 'maker' },
        seller: s.long ? { account: 'maker' } : ref,
        size: market === 'BTC-PERP' ? '0.001' : market === 'ETH-PERP' ? '0.01' : '1',
        price: (Number(mark) / 1e8).toFixed(2),
        timeMs: t,
      } as never);
    }
    expect(rowsOf(kept)).toEqual(fresh());
  }
});
