/**
 * A market whose margin model changes (set_market) between price-independent and bracket
 * kinds. The book keeps no caps for a price-independent market's slots (they would all be +∞)
 * and makes them when the market turns bracket; a market that turned back keeps them. After
 * every switch, the synced book's slots of that market equal a fresh `fromState`'s (caps
 * included, +∞ where none is held), and after every command the bound index's answer is the
 * exact scan, on a plain and on a shared book.
 */
import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { venueConfig } from '../../test/support/fixtures.ts';
import { exactLiquidatable } from '../core/keeper/exact-scan.ts';
import { type LiquidationCandidate, scopeId } from '../core/keeper/finder.ts';
import { subaccountKey } from '../core/model/state.ts';
import { LiquidationBoundIndex } from './liquidation-bound-index.ts';
import { accountArb, MARKETS, moveArb, populate, priceMove, riskVenue } from './riskbook.testkit.ts';
import { RiskBook } from './riskbook.ts';

const ids = (xs: readonly LiquidationCandidate[]) =>
  [...xs.map((x) => scopeId(subaccountKey(x.ref), x.scope))].sort();

const BTC = venueConfig().markets![0]!;
const brackets = {
  ...BTC,
  margin: {
    kind: 'brackets' as const,
    brackets: [
      { notionalCap: '20000', maintenanceRatio: '0.02', initialRatio: '0.05' },
      { notionalCap: '100000', maintenanceRatio: '0.04', initialRatio: '0.08' },
      { maintenanceRatio: '0.08', initialRatio: '0.16' },
    ],
  },
};
/** Every BTC-PERP slot of the book, by scope (without ratio and cap: `positionsOnly`). */
const btcSlots = (book: RiskBook, positionsOnly: boolean) =>
  book
    .describe()
    .flatMap((x) =>
      x.positions
        .filter((p) => p.market === 'BTC-PERP')
        .map((p) =>
          positionsOnly
            ? { key: x.key, scope: x.scope, sizeBase: p.sizeBase, entryQuote: p.entryQuote }
            : { key: x.key, scope: x.scope, ...p },
        ),
    );
const move = moveArb(250_000, 50_000);
const step = fc.oneof(
  fc.record({ kind: fc.constant('brackets' as const) }),
  fc.record({ kind: fc.constant('fixed' as const) }),
  fc.record({ kind: fc.constant('move' as const), move }),
);

test.prop(
  [fc.array(accountArb(3), { minLength: 1, maxLength: 10 }), fc.array(step, { maxLength: 8 }), fc.boolean()],
  {
    numRuns: 60,
  },
)('model switches: book = fresh fromState, index = exact scan', (accounts, steps, shared) => {
  const engine = riskVenue();
  populate(engine, accounts);
  const book = RiskBook.fromState(engine.state, { shared });
  engine.onEvents((events) => book.sync(engine.state, events));
  const index = new LiquidationBoundIndex(engine, { autoRebaseAbove: 0, shared });
  let t = 10;
  for (const s of steps) {
    t += 1_000;
    if (s.kind === 'move') engine.execute(priceMove(engine, s.move, t));
    else {
      engine.executeOrThrow({ type: 'set_market', config: s.kind === 'brackets' ? brackets : BTC });
      // Every BTC-PERP holder was just refreshed at the current marks: its slots (cap included)
      // are what a fresh build makes. (Other slots keep the marks of their last refresh.) A
      // market that turned back to a fixed ratio keeps bounding its slots as a bracket market
      // would (conservative: a cap and the larger ratio of the band), so there only the
      // positions are compared.
      const only = s.kind === 'fixed';
      expect(btcSlots(book, only)).toEqual(btcSlots(RiskBook.fromState(engine.state), only));
    }
    expect(ids(index.liquidatable(engine.state))).toEqual(ids(exactLiquidatable(engine.state)));
  }
});
