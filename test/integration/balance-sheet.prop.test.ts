/**
 * Balance-sheet rules over random command streams (docs/invariants.md):
 *  INV-01 every asset conserved to the unit after every command, with borrows of several assets
 *         (liability weights above 100%, Aave debts in several assets, e-mode switches), price
 *         crashes and liquidations choosing their debt and collateral;
 *  INV-02 the journal replays to the live state hash;
 *  INV-06 a rejected command changes nothing.
 * Lending: the aave-v3 preset with borrowable WETH and DAI and an ETH-correlated e-mode category;
 * every accepted liquidation step moves exactly Aave's liquidationCall amounts for the debt the
 * v3.3 close factor allows (restated below from LiquidationLogic, independently of the engine).
 * Perpetuals: the drift-v2 preset (SOL borrows at 1.2 / 1.1) with SOL-PERP fills and crashes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crossView, evaluate } from '../../src/core/account/figures.ts';
import { Engine } from '../../src/core/engine/engine.ts';
import type { Sequenced } from '../../src/core/engine/events.ts';
import { type AaveReserve, aaveConfig } from '../../src/core/presets/aave-v3.ts';
import { driftConfig } from '../../src/core/presets/drift-v2.ts';
import { liquidationCall } from '../../src/core/reference/aave-v3.ts';
import { driftLiabilityTransferToCoverMarginShortage } from '../../src/core/reference/drift-v2.ts';
import { InMemoryJournal } from '../../src/store/memory-journal.ts';
import { assertConserved } from '../support/conservation.ts';
import { propRuns, sequences } from '../support/prop.ts';

const ref = (account: string) => ({ account, sub: '0' });
const BORROWERS = ['a', 'b', 'c', 'd'];

/** A share (1–101%) of the subaccount's free collateral, in whole units of an asset at `price` × `weight`. */
function shareOfFree(e: Engine, who: string, pct: number, price: number, weight = 1): string {
  const sub = e.state.subaccounts.get(`${who}/0`);
  if (!sub) return '1';
  const free = Number(evaluate(e.state, crossView(sub)).freeCollateralQuote) / 1e6;
  return Math.max(0.000001, (free * pct) / 100 / price / weight).toFixed(6);
}

function run(e: Engine, cmd: Record<string, unknown>): Sequenced[] | undefined {
  const before = e.stateHash();
  const r = e.execute(cmd);
  if (!r.ok) {
    expect(e.stateHash(), `INV-06 ${cmd.type} ${r.rejection.code}`).toBe(before);
    return undefined;
  }
  assertConserved(e.state);
  return r.events;
}

describe('lending: several debts, e-mode, crashes, liquidationCall(collateral, debt)', () => {
  const reserves: AaveReserve[] = [
    {
      id: 'WETH',
      decimals: 18,
      ltvBps: 8050,
      liquidationThresholdBps: 8300,
      liquidationBonusBps: 10500,
      liquidationProtocolFeeBps: 1000,
      borrowable: true,
    },
    {
      id: 'WSTETH',
      decimals: 18,
      ltvBps: 7000,
      liquidationThresholdBps: 7500,
      liquidationBonusBps: 10600,
      liquidationProtocolFeeBps: 1000,
    },
    {
      id: 'DAI',
      decimals: 18,
      ltvBps: 6300,
      liquidationThresholdBps: 7700,
      liquidationBonusBps: 10500,
      liquidationProtocolFeeBps: 1000,
      borrowable: true,
    },
  ];
  const eth = {
    id: 1,
    label: 'ETH correlated',
    ltvBps: 9300,
    liquidationThresholdBps: 9500,
    liquidationBonusBps: 10100,
    collateral: ['WETH', 'WSTETH'],
    borrowable: ['WETH'],
  };
  const assets = ['USDC', 'WETH', 'WSTETH', 'DAI'] as const;
  type Asset = (typeof assets)[number];
  const decimals: Record<Asset, number> = { USDC: 6, WETH: 18, WSTETH: 18, DAI: 18 };
  type Step =
    | { k: 'borrow'; who: number; asset: number; pct: number }
    | { k: 'emode'; who: number; on: boolean }
    | { k: 'crash'; asset: number; pct: number }
    | { k: 'liquidate'; pick: number; debt: number; coll: number; name: boolean };
  const who = fc.integer({ min: 0, max: BORROWERS.length - 1 });
  const step: fc.Arbitrary<Step> = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        k: fc.constant('borrow' as const),
        who,
        asset: fc.integer({ min: 0, max: 3 }),
        pct: fc.integer({ min: 30, max: 101 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('emode' as const), who, on: fc.boolean() }) },
    {
      weight: 2,
      arbitrary: fc.record({
        k: fc.constant('crash' as const),
        asset: fc.integer({ min: 1, max: 3 }),
        pct: fc.integer({ min: -40, max: 20 }),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        k: fc.constant('liquidate' as const),
        pick: fc.nat(),
        debt: fc.nat(),
        coll: fc.nat(),
        name: fc.boolean(),
      }),
    },
  );
  const setup = fc.array(
    fc.tuple(
      fc.integer({ min: 1, max: 30 }),
      fc.integer({ min: 0, max: 20 }),
      fc.integer({ min: 0, max: 40_000 }),
    ),
    {
      minLength: BORROWERS.length,
      maxLength: BORROWERS.length,
    },
  );

  it('INV-01 / INV-02 / INV-06 and liquidationCall amounts on random streams', () => {
    const seen = { debtBorrows: 0, emode: 0, steps: 0, checked: 0 };
    fc.assert(
      fc.property(setup, sequences(step, 5, 50), (deposits, steps) => {
        const journal = new InMemoryJournal();
        const e = Engine.create(aaveConfig(reserves, { id: 'USDC', decimals: 6 }, [eth]), { journal });
        const prices: Record<string, number> = { WETH: 3000, WSTETH: 3400, DAI: 1 };
        const px = () => Object.fromEntries(Object.entries(prices).map(([k, v]) => [k, v.toFixed(4)]));
        // from the very text the engine is sent (toFixed and Math.round(x × 1e4) can differ by one
        // unit at the 4th decimal on a binary tie)
        const pricePx8 = (a: Asset) =>
          a === 'USDC' ? 100_000_000n : BigInt(prices[a]!.toFixed(4).replace('.', '')) * 10_000n;
        let t = 1;
        e.executeOrThrow({ type: 'prices', timeMs: t, assets: px() });
        for (const asset of assets)
          e.executeOrThrow({
            type: 'deposit',
            to: ref('liq'),
            asset,
            amount: asset === 'USDC' ? '100000000' : '1000000',
          });
        deposits.forEach(([weth, wsteth, dai], i) => {
          const to = ref(BORROWERS[i]!);
          e.executeOrThrow({ type: 'deposit', to, asset: 'WETH', amount: String(weth) });
          if (wsteth > 0) e.executeOrThrow({ type: 'deposit', to, asset: 'WSTETH', amount: String(wsteth) });
          if (dai > 0) e.executeOrThrow({ type: 'deposit', to, asset: 'DAI', amount: String(dai) });
        });
        for (const s of steps) {
          t += 1;
          if (s.k === 'borrow') {
            const asset = assets[s.asset]!;
            const amount = shareOfFree(e, BORROWERS[s.who]!, s.pct, asset === 'USDC' ? 1 : prices[asset]!);
            if (
              run(e, { type: 'borrow', subaccount: ref(BORROWERS[s.who]!), asset, amount, timeMs: t }) &&
              asset !== 'USDC'
            )
              seen.debtBorrows++;
          } else if (s.k === 'emode') {
            if (
              run(e, { type: 'set_emode', subaccount: ref(BORROWERS[s.who]!), category: s.on ? 1 : 0 })
                ?.length
            )
              seen.emode++;
          } else if (s.k === 'crash') {
            const asset = assets[s.asset]!;
            const was = prices[asset]!;
            prices[asset] = Math.max(0.01, was * (1 + s.pct / 100));
            if (!run(e, { type: 'prices', timeMs: t, assets: px() })) prices[asset] = was;
            // the test's prices are the engine's
            expect(e.state.assetPricesPx8.get(asset)).toBe(pricePx8(asset));
          } else {
            const open = e.liquidatable();
            if (open.length === 0) continue;
            const target = open[s.pick % open.length]!.ref;
            const sub = e.state.subaccounts.get(`${target.account}/0`)!;
            const debts = [...sub.balances].filter(([, b]) => b < 0n).map(([a]) => a as Asset);
            const colls = [...sub.balances]
              .filter(([a, b]) => b > 0n && a !== 'USDC')
              .map(([a]) => a as Asset);
            if (debts.length === 0 || colls.length === 0) continue;
            const debtAsset = debts[s.debt % debts.length]!;
            const collateralAsset = colls[s.coll % colls.length]!;
            const owed = -sub.balances.get(debtAsset)!;
            const held = sub.balances.get(collateralAsset)!;
            const bonusBps =
              sub.eModeCategory === 1 && eth.collateral.includes(collateralAsset)
                ? eth.liquidationBonusBps
                : reserves.find((r) => r.id === collateralAsset)!.liquidationBonusBps;
            const evs = run(e, {
              type: 'liquidate',
              subaccount: target,
              liquidator: ref('liq'),
              ...(s.name ? { debtAsset, collateralAsset } : {}),
              timeMs: t,
            });
            if (!evs || !s.name) continue;
            const moved = (reason: string) => {
              const m = evs.find((x) => x.type === 'moved' && x.reason === reason);
              return m?.type === 'moved' ? m : undefined;
            };
            const repaid = moved('debt_repaid');
            const seized = moved('collateral_seized');
            if (!repaid || !seized) continue; // a step with dust left was refused, or nothing to seize
            seen.steps++;
            expect(repaid.asset).toBe(debtAsset);
            expect(seized.asset).toBe(collateralAsset);
            expect(repaid.amount).toBeLessThanOrEqual(owed);
            expect(seized.amount + (moved('liquidation_fee')?.amount ?? 0n)).toBeLessThanOrEqual(held);
            const fee = moved('liquidation_fee')?.amount ?? 0n;
            // The collateral ran out (all of it seized): Aave derives the debt from the whole balance,
            // whatever was offered — so liquidationCall offered the whole debt gives the same step.
            // Otherwise liquidationCall offered the debt the step repaid gives its collateral.
            const ranOut = seized.amount + fee === held;
            const call = liquidationCall({
              debtToCover: ranOut ? owed : repaid.amount,
              debtPrice: pricePx8(debtAsset),
              collateralPrice: pricePx8(collateralAsset),
              debtDecimals: decimals[debtAsset],
              collateralDecimals: decimals[collateralAsset],
              userCollateralBalance: held,
              liquidationBonusBps: BigInt(bonusBps),
              liquidationProtocolFeeBps: 1000n,
            });
            expect(repaid.amount).toBe(call.debtRepaid);
            expect(seized.amount).toBe(call.collateralToLiquidator);
            expect(fee).toBe(call.protocolFee);
            seen.checked++;
          }
        }
        expect(Engine.open(journal).stateHash(), 'INV-02').toBe(e.stateHash());
      }),
      { numRuns: propRuns(60) },
    );
    // the streams reach what the property is about
    expect(seen.debtBorrows).toBeGreaterThan(0);
    expect(seen.emode).toBeGreaterThan(0);
    expect(seen.checked).toBeGreaterThan(0);
  });
});

describe('drift-v2: SOL borrows at liability weights with SOL-PERP trading and crashes', () => {
  type Step =
    | { k: 'borrow'; who: number; pct: number }
    | { k: 'fill'; buyer: number; seller: number; lots: number }
    | { k: 'crash'; pct: number }
    | { k: 'liquidate' };
  const who = fc.integer({ min: 0, max: BORROWERS.length - 1 });
  const step: fc.Arbitrary<Step> = fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record({
        k: fc.constant('borrow' as const),
        who,
        pct: fc.integer({ min: 30, max: 101 }),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        k: fc.constant('fill' as const),
        buyer: who,
        seller: who,
        lots: fc.integer({ min: 1, max: 200 }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({ k: fc.constant('crash' as const), pct: fc.integer({ min: -40, max: 40 }) }),
    },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('liquidate' as const) }) },
  );
  const setup = fc.array(fc.tuple(fc.integer({ min: 100, max: 50_000 }), fc.integer({ min: 0, max: 100 })), {
    minLength: BORROWERS.length,
    maxLength: BORROWERS.length,
  });

  it('INV-01 / INV-02 / INV-06', () => {
    const seen = { borrows: 0, liquidations: 0 };
    fc.assert(
      fc.property(setup, sequences(step, 5, 50), (deposits, steps) => {
        const journal = new InMemoryJournal();
        const e = Engine.create(driftConfig(), { journal });
        let price = 100;
        let t = 1;
        const prices = () =>
          run(e, {
            type: 'prices',
            timeMs: t,
            marks: { 'SOL-PERP': price.toFixed(4) },
            assets: { SOL: price.toFixed(4) },
          });
        prices();
        e.executeOrThrow({ type: 'deposit', to: ref('liq'), asset: 'USDC', amount: '100000000' });
        deposits.forEach(([usdc, sol], i) => {
          e.executeOrThrow({ type: 'deposit', to: ref(BORROWERS[i]!), asset: 'USDC', amount: String(usdc) });
          if (sol > 0)
            e.executeOrThrow({ type: 'deposit', to: ref(BORROWERS[i]!), asset: 'SOL', amount: String(sol) });
        });
        for (const s of steps) {
          t += 1;
          if (s.k === 'borrow') {
            const amount = shareOfFree(e, BORROWERS[s.who]!, s.pct, price, 1.2);
            if (
              run(e, { type: 'borrow', subaccount: ref(BORROWERS[s.who]!), asset: 'SOL', amount, timeMs: t })
            )
              seen.borrows++;
          } else if (s.k === 'fill') {
            if (s.buyer === s.seller) continue;
            run(e, {
              type: 'fill',
              market: 'SOL-PERP',
              buyer: ref(BORROWERS[s.buyer]!),
              seller: ref(BORROWERS[s.seller]!),
              size: (s.lots / 10).toFixed(2),
              price: price.toFixed(4),
              timeMs: t,
            });
          } else if (s.k === 'crash') {
            price = Math.max(1, price * (1 + s.pct / 100));
            prices();
          } else {
            for (const l of e.liquidatable())
              if (
                run(e, {
                  type: 'liquidate',
                  subaccount: l.ref,
                  liquidator: ref('liq'),
                  ...(l.scope.kind === 'isolated' ? { isolatedMarket: l.scope.market } : {}),
                  timeMs: t,
                })
              )
                seen.liquidations++;
          }
        }
        expect(Engine.open(journal).stateHash(), 'INV-02').toBe(e.stateHash());
      }),
      { numRuns: propRuns(60) },
    );
    expect(seen.borrows).toBeGreaterThan(0);
    expect(seen.liquidations).toBeGreaterThan(0);
  });
});

describe('drift-v2 spot liquidation and bankruptcy: SOL borrows against USDC and SOL deposits, crashes', () => {
  // Position-less scopes only: every liquidation is liquidate_spot (liability for collateral) or,
  // once the collateral is gone, resolve_spot_bankruptcy through the deposit interest index.
  const who = fc.integer({ min: 0, max: BORROWERS.length - 1 });
  const step = fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record({ k: fc.constant('borrow' as const), who, pct: fc.integer({ min: 1, max: 101 }) }),
    },
    {
      weight: 3,
      arbitrary: fc.record({ k: fc.constant('crash' as const), pct: fc.integer({ min: -30, max: 45 }) }),
    },
    { weight: 3, arbitrary: fc.record({ k: fc.constant('liquidate' as const) }) },
    {
      weight: 1,
      arbitrary: fc.record({
        k: fc.constant('bad' as const),
        debtAsset: fc.constantFrom('USDC', 'NOPE', 'SOL'),
        debtToCover: fc.boolean(),
      }),
    },
  );
  const setup = fc.array(fc.integer({ min: 10, max: 20_000 }), {
    minLength: BORROWERS.length,
    maxLength: BORROWERS.length,
  });

  it('INV-01 / INV-02 / INV-06, every step liquidate_spot or resolve_spot_bankruptcy', () => {
    const seen = { borrows: 0, spot: 0, socialized: 0 };
    fc.assert(
      fc.property(
        setup,
        fc.integer({ min: 1, max: 500 }),
        sequences(step, 5, 50),
        (deposits, solPool, steps) => {
          const journal = new InMemoryJournal();
          const e = Engine.create(driftConfig(), { journal });
          let price = 100;
          let t = 1;
          const prices = () => run(e, { type: 'prices', timeMs: t, assets: { SOL: price.toFixed(4) } });
          prices();
          e.executeOrThrow({ type: 'deposit', to: ref('liq'), asset: 'USDC', amount: '100000000' });
          // SOL depositors: who absorbs a borrow nobody repays.
          e.executeOrThrow({ type: 'deposit', to: ref('pool'), asset: 'SOL', amount: String(solPool) });
          deposits.forEach((usdc, i) => {
            e.executeOrThrow({
              type: 'deposit',
              to: ref(BORROWERS[i]!),
              asset: 'USDC',
              amount: String(usdc),
            });
          });
          for (const s of steps) {
            t += 1;
            if (s.k === 'borrow') {
              const amount = shareOfFree(e, BORROWERS[s.who]!, s.pct, price, 1.2);
              if (
                run(e, {
                  type: 'borrow',
                  subaccount: ref(BORROWERS[s.who]!),
                  asset: 'SOL',
                  amount,
                  timeMs: t,
                })
              )
                seen.borrows++;
            } else if (s.k === 'crash') {
              price = Math.max(1, price * (1 + s.pct / 100));
              prices();
            } else if (s.k === 'bad') {
              const l = e.liquidatable()[0];
              if (!l) continue;
              const r = run(e, {
                type: 'liquidate',
                subaccount: l.ref,
                liquidator: ref('liq'),
                debtAsset: s.debtAsset,
                ...(s.debtToCover ? { debtToCover: '1' } : {}),
                timeMs: t,
              });
              if (r) seen.spot++; // a valid named debt (SOL, no debtToCover) is a normal step
            } else {
              for (const l of e.liquidatable()) {
                const sub = e.state.subaccounts.get(`${l.ref.account}/0`)!;
                const f = evaluate(e.state, crossView(sub));
                const usdc = sub.balances.get('USDC') ?? 0n;
                const owed = -(sub.balances.get('SOL') ?? 0n);
                const px = e.state.assetPricesPx8.get('SOL')! / 100n;
                const events = run(e, {
                  type: 'liquidate',
                  subaccount: l.ref,
                  liquidator: ref('liq'),
                  timeMs: t,
                });
                if (!events) continue;
                const moved = events.filter((x) => x.type === 'moved');
                if (moved.some((m) => m.type === 'moved' && m.reason === 'socialized_loss')) {
                  seen.socialized++;
                  continue;
                }
                seen.spot++;
                // Restated from liquidate_spot with the preset's numbers: USDC weight 1, SOL liability
                // weight 1.1, liquidator fee 1 % (asset multiplier 1.01), IF fee 1 %.
                let T =
                  driftLiabilityTransferToCoverMarginShortage({
                    shortageQuote: f.maintenanceMarginQuote - f.equityQuote,
                    assetWeight1e4: 10_000n,
                    assetLiquidationMultiplier1e6: 1_010_000n,
                    liabilityWeight1e4: 11_000n,
                    liabilityLiquidationMultiplier1e6: 1_000_000n,
                    liabilityDecimals: 9,
                    liabilityPrice1e6: px,
                    ifLiquidationFee1e6: 10_000n,
                  }) ?? owed;
                if (T > owed) T = owed;
                let asset = (T * px * 1_010_000n) / (1_000n * 1_000_000n * 1_000_000n);
                if (asset > usdc) {
                  asset = usdc;
                  T = (asset * 1_000_000n * 1_000n * 1_000_000n) / (1_010_000n * px);
                }
                const amount = (reason: string) =>
                  moved.find((m) => m.type === 'moved' && m.reason === reason)?.amount ?? 0n;
                expect(amount('debt_repaid'), 'liability transfer').toBe(T);
                expect(amount('collateral_seized'), 'asset transfer').toBe(asset);
                expect(amount('liquidation_fee'), 'IF fee').toBe((T * 10_000n) / 1_000_000n);
              }
            }
          }
          expect(Engine.open(journal).stateHash(), 'INV-02').toBe(e.stateHash());
        },
      ),
      { numRuns: propRuns(60) },
    );
    expect(seen.borrows).toBeGreaterThan(0);
    expect(seen.spot).toBeGreaterThan(0);
    expect(seen.socialized).toBeGreaterThan(0);
  });
});
