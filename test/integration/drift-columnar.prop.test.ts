/**
 * The columnar Drift evaluator (account/drift-columnar.ts) is the naive exact path
 * (account/drift-arithmetic.ts, bigint) to the unit: random Drift-shaped accounts — longs and
 * shorts up to whale sizes, resting orders on either side, USDC and SOL deposits, closed losses
 * beyond the deposit — built by commands, at random prices from 1/20 to 20× the peer's (and BTC
 * beyond the fast path's price bound), must give identical maintenance requirements and total
 * collateral, whichever path (doubles or the bigint fallback) each account takes.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { driftAccountFigures } from '../../src/core/account/drift-arithmetic.ts';
import {
  buildDriftColumns,
  driftColumnResult,
  driftColumnResults,
  evaluateDriftColumns,
} from '../../src/core/account/drift-columnar.ts';
import { crossView } from '../../src/core/account/figures.ts';
import { subaccountKey } from '../../src/core/model/state.ts';
import {
  type DriftPerpPositionData,
  type DriftScenarioData,
  type DriftUserData,
  driftUserRef,
} from '../../src/core/presets/drift-v2-accounts.ts';
import type { DriftFixture } from '../support/drift-peer.ts';
import { buildDriftEngine } from '../support/drift-peer.ts';
import { propRuns } from '../support/prop.ts';

const fx = JSON.parse(
  readFileSync(new URL('../vectors/drift/peer_fixture.json', import.meta.url), 'utf8'),
) as DriftFixture;
const base = fx.scenarios.base!;

const position = (sc: DriftScenarioData) =>
  fc
    .record({
      market: fc.integer({ min: 0, max: sc.perp.length - 1 }),
      // Steps of the market: up to ~10^8 steps (whale JUP, beyond 2^53 qty9 for some).
      steps: fc.oneof(fc.bigInt({ min: 1n, max: 1000n }), fc.bigInt({ min: 1n, max: 30_000_000n })),
      long: fc.boolean(),
      // Entry price relative to the oracle, in 1e-4.
      entryBp: fc.integer({ min: 5_000, max: 15_000 }),
      bids: fc.bigInt({ min: 0n, max: 1000n }),
      asks: fc.bigInt({ min: 0n, max: 1000n }),
      closed: fc.bigInt({ min: -10_000_000_000n, max: 5_000_000_000n }),
      isClosed: fc.boolean(),
    })
    .map((r): DriftPerpPositionData => {
      const m = sc.perp[r.market]!;
      const step = BigInt(m.orderStepSize);
      if (r.isClosed && r.bids === 0n && r.asks === 0n)
        return {
          marketIndex: m.marketIndex,
          baseAssetAmount: '0',
          quoteAssetAmount: String(r.closed),
          lastCumulativeFundingRate: '0',
          openOrders: 0,
          openBids: '0',
          openAsks: '0',
          maxMarginRatio: 0,
        };
      const b = r.steps * step * (r.long ? 1n : -1n);
      const quote = -((b * BigInt(m.oraclePrice) * BigInt(r.entryBp)) / 10_000n / 1_000_000_000n);
      const orders = (r.bids > 0n ? 1 : 0) + (r.asks > 0n ? 1 : 0);
      return {
        marketIndex: m.marketIndex,
        baseAssetAmount: String(b),
        quoteAssetAmount: String(quote === 0n ? (b > 0n ? -1n : 1n) : quote),
        lastCumulativeFundingRate: b > 0n ? m.cumulativeFundingRateLong : m.cumulativeFundingRateShort,
        openOrders: orders,
        openBids: String(r.bids * step),
        openAsks: String(-r.asks * step),
        maxMarginRatio: 0,
      };
    });

const user = (id: number) =>
  fc
    .record({
      positions: fc.uniqueArray(position(base), {
        minLength: 0,
        maxLength: 5,
        selector: (p) => p.marketIndex,
      }),
      usdc: fc.oneof(
        fc.bigInt({ min: 10n ** 11n, max: 10n ** 12n }),
        fc.bigInt({ min: 10n ** 11n, max: 10n ** 15n }),
      ),
      sol: fc.option(fc.bigInt({ min: 1n, max: 10n ** 16n }), { nil: undefined }),
    })
    .map(
      (r): DriftUserData => ({
        id,
        inputs: {
          maxMarginRatio: 0,
          spotPositions: [
            { marketIndex: 0, balanceType: 'deposit', tokenAmount_derived: String(r.usdc) },
            ...(r.sol === undefined
              ? []
              : [{ marketIndex: 1, balanceType: 'deposit', tokenAmount_derived: String(r.sol) }]),
          ],
          perpPositions: r.positions,
        },
      }),
    );

const scale = (v: string, bp: number) => String((BigInt(v) * BigInt(bp)) / 10_000n || 1n);

describe('columnar Drift maintenance figures = the bigint path', () => {
  it('agree to the unit on random accounts and prices', () => {
    let fast = 0;
    let slow = 0;
    fc.assert(
      fc.property(
        fc
          .array(fc.integer({ min: 0, max: 9999 }), { minLength: 1, maxLength: 4 })
          .chain((ids) =>
            fc.tuple(
              fc.tuple(...[...new Set(ids)].map((i) => user(i))),
              fc.array(fc.integer({ min: 500, max: 200_000 }), { minLength: 6, maxLength: 6 }),
            ),
          ),
        ([users, bps]) => {
          const { engine, clock } = buildDriftEngine(base, users);
          // Random prices (SOL spot moves with SOL-PERP, as one oracle).
          const marks: Record<string, string> = {};
          base.perp.forEach((m, i) => {
            marks[m.symbol] = (Number(scale(m.oraclePrice, bps[i]!)) / 1e6).toFixed(6);
          });
          engine.executeOrThrow({
            type: 'prices',
            timeMs: clock(),
            marks,
            assets: { SOL: marks['SOL-PERP']! },
          });
          const keys = users.map((u) => subaccountKey(driftUserRef(u)));
          const cols = buildDriftColumns(engine.state, keys);
          const out = driftColumnResults(cols);
          const bigint = evaluateDriftColumns(engine.state, cols, out);
          slow += bigint;
          fast += keys.length - bigint;
          keys.forEach((k, i) => {
            const naive = driftAccountFigures(
              engine.state,
              crossView(engine.state.subaccounts.get(k)!),
              'maintenance',
              true,
            );
            expect(driftColumnResult(out, i)).toEqual({
              mr: naive.marginRequirementQuote,
              tc: naive.totalCollateralQuote,
            });
          });
        },
      ),
      { numRuns: propRuns(60), seed: 42 }, // fixed, so the both-paths check below sees the same sample every run
    );
    // Both paths were exercised.
    expect(fast).toBeGreaterThan(0);
    expect(slow).toBeGreaterThan(0);
  });
});
