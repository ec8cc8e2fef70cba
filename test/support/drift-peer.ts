/**
 * The Drift peer comparison: builds engine state from Drift-shaped users with ordinary commands
 * (presets/drift-v2-accounts.ts) and checks the engine's figures against the integers the Drift
 * SDK 2.145.0 computed (test/vectors/drift/peer_fixture.json), value by value, in the categories
 * of the peer's own BigInt specification (verify_fixture.mjs): account requirements and
 * collateral with and without resting orders, liquidatability, per-position ratios,
 * requirements, weighted PnL, funding and liquidation prices.
 */
import {
  driftAccountFigures,
  driftLiquidationPricePx8,
  driftMarginRatio,
} from '../../src/core/account/drift-arithmetic.ts';
import { crossView, evaluate, isLiquidatable } from '../../src/core/account/figures.ts';
import { Engine } from '../../src/core/engine/engine.ts';
import { driftMarketParams } from '../../src/core/model/drift-grid.ts';
import { subaccountKey } from '../../src/core/model/state.ts';
import {
  type DriftScenarioData,
  type DriftUserData,
  driftHouseCommands,
  driftMarketId,
  driftPricesCommand,
  driftRestoreCommands,
  driftSetupConfig,
  driftUnsettledFunding,
  driftUserCommands,
  driftUserRef,
} from '../../src/core/presets/drift-v2-accounts.ts';

interface FixtureOutputs {
  maintenance: {
    marginRequirement: string;
    totalCollateral: string;
    marginRequirementExclOpenOrders: string;
    totalCollateralExclOpenOrders: string;
    canBeLiquidated: boolean;
  };
  initial: { marginRequirement: string; totalCollateral: string };
  perPosition: {
    marketIndex: number;
    maintenanceMarginRatio: string;
    maintenanceMarginRequirement: string;
    initialMarginRatio: string;
    maintenanceWeightedUpnl: string;
    unsettledFundingPnl: string;
    liquidationPrice: string | null;
  }[];
}

export interface DriftFixture {
  scenarios: Record<string, DriftScenarioData>;
  users: (DriftUserData & { outputs: Record<string, FixtureOutputs> })[];
}

export const T0 = 1_700_000_000_000;

/** An engine holding every user of `users` (positions, deposits, orders), at `sc`'s prices. */
export function buildDriftEngine(
  sc: DriftScenarioData,
  users: readonly DriftUserData[],
): { engine: Engine; approximations: string[]; clock: () => number } {
  const engine = Engine.create(driftSetupConfig(sc));
  let t = T0;
  const clock = () => ++t;
  const approximations: string[] = [];
  for (const c of driftHouseCommands()) engine.executeOrThrow(c);
  for (const u of users) {
    const built = driftUserCommands(u, sc, clock);
    for (const c of built.commands) engine.executeOrThrow(c);
    approximations.push(...built.approximations.map((a) => `user ${u.id}: ${a}`));
  }
  for (const c of driftRestoreCommands(sc)) engine.executeOrThrow(c);
  engine.executeOrThrow(driftPricesCommand(sc, clock()));
  return { engine, approximations, clock };
}

/** The engine's maintenance requirement and total collateral of a user (the engine's own evaluate). */
export function engineMaintenance(engine: Engine, u: DriftUserData): { mr: bigint; tc: bigint } {
  const sub = engine.state.subaccounts.get(subaccountKey(driftUserRef(u)));
  if (!sub) return { mr: 0n, tc: 0n };
  const f = evaluate(engine.state, crossView(sub));
  return { mr: f.maintenanceMarginQuote, tc: f.equityQuote };
}

export interface Tally {
  matched: number;
  total: number;
}

export interface Comparison {
  readonly counts: Record<string, Tally>;
  readonly mismatches: string[];
  readonly approximations: string[];
}

/** Every value of the fixture through the engine; per-category matched/total. */
export function compareFixture(fx: DriftFixture): Comparison {
  const counts: Record<string, Tally> = {};
  const mismatches: string[] = [];
  const eq = (cat: string, label: string, got: unknown, want: unknown) => {
    const t = (counts[cat] ??= { matched: 0, total: 0 });
    t.total++;
    if (String(got) === String(want)) t.matched++;
    else mismatches.push(`${label} ${cat}: engine=${got} drift=${want}`);
  };
  const names = Object.keys(fx.scenarios);
  const first = fx.scenarios[names[0]!]!;
  const { engine, approximations, clock } = buildDriftEngine(first, fx.users);
  for (const name of names) {
    const sc = fx.scenarios[name]!;
    engine.executeOrThrow(driftPricesCommand(sc, clock()));
    const state = engine.state;
    for (const u of fx.users) {
      const out = u.outputs[name]!;
      const tag = `user ${u.id} ${name}`;
      const sub = state.subaccounts.get(subaccountKey(driftUserRef(u)))!;
      const view = crossView(sub);
      const f = evaluate(state, view);
      eq('maintenance MR', tag, f.maintenanceMarginQuote, out.maintenance.marginRequirement);
      eq('maintenance TC', tag, f.equityQuote, out.maintenance.totalCollateral);
      const mx = driftAccountFigures(state, view, 'maintenance', false);
      eq(
        'maintenance MR excl orders',
        tag,
        mx.marginRequirementQuote,
        out.maintenance.marginRequirementExclOpenOrders,
      );
      eq(
        'maintenance TC excl orders',
        tag,
        mx.totalCollateralQuote,
        out.maintenance.totalCollateralExclOpenOrders,
      );
      eq('canBeLiquidated', tag, isLiquidatable(f), out.maintenance.canBeLiquidated);
      eq(
        'initial MR',
        tag,
        f.initialMarginQuote + f.openOrderInitialMarginQuote,
        out.initial.marginRequirement,
      );
      eq('initial TC', tag, f.equityInitialQuote, out.initial.totalCollateral);
      const mt = driftAccountFigures(state, view, 'maintenance', true);
      const it = driftAccountFigures(state, view, 'initial', true);
      u.inputs.perpPositions.forEach((p, i) => {
        const o = out.perPosition[i]!;
        const m = sc.perp.find((x) => x.marketIndex === p.marketIndex)!;
        const id = driftMarketId(m);
        const label = `${tag} ${id}`;
        const pm = mt.positions.find((x) => x.market === id);
        const pi = it.positions.find((x) => x.market === id);
        // A closed position (base 0, no orders) is no position in the engine: its ratio is the
        // market's at size 0, it requires nothing, its PnL was realized into the balance.
        const params = driftMarketParams(state.markets.get(id)!.config);
        const closedPnl = BigInt(p.quoteAssetAmount);
        const closedWeighted = closedPnl > 0n ? (closedPnl * params.pnlMaintenance1e4) / 10_000n : closedPnl;
        eq(
          'position maintenance ratio',
          label,
          pm?.ratio1e4 ?? driftMarginRatio(params, 0n, 'maintenance', 0n),
          o.maintenanceMarginRatio,
        );
        eq(
          'position maintenance requirement',
          label,
          pm?.requirementQuote ?? 0n,
          o.maintenanceMarginRequirement,
        );
        eq(
          'position initial ratio',
          label,
          pi?.ratio1e4 ?? driftMarginRatio(params, 0n, 'initial', 0n),
          o.initialMarginRatio,
        );
        eq(
          'position maintenance weighted PnL',
          label,
          pm?.weightedPnlQuote ?? closedWeighted,
          o.maintenanceWeightedUpnl,
        );
        eq('position unsettled funding (adapter)', label, driftUnsettledFunding(m, p), o.unsettledFundingPnl);
        if (o.liquidationPrice !== null) {
          const liq = driftLiquidationPricePx8(state, view, id);
          eq('position liquidation price', label, liq === null ? -1n : liq / 100n, o.liquidationPrice);
        }
      });
    }
  }
  return { counts, mismatches, approximations };
}

/** A readable table of the comparison. */
export function formatComparison(c: Comparison): string {
  const lines = Object.entries(c.counts).map(
    ([k, t]) =>
      `${k.padEnd(40)} ${String(t.matched).padStart(5)} / ${String(t.total).padEnd(5)}${t.matched === t.total ? '' : '  MISMATCH'}`,
  );
  const m = Object.values(c.counts).reduce((a, t) => a + t.matched, 0);
  const n = Object.values(c.counts).reduce((a, t) => a + t.total, 0);
  lines.push(`${'all'.padEnd(40)} ${String(m).padStart(5)} / ${n}`);
  return lines.join('\n');
}
