/**
 * The risk snapshot behind the dashboard's at-risk table and liquidation map: every open
 * position of every margin scope with the scope's exact figures (equity, maintenance margin,
 * margin ratio) and the position's exact liquidation price — the engine's own trigger, found by
 * bisection on the exact figures (core/account/report.ts), holding every other price fixed.
 *
 * Computing it walks every subaccount and bisects every position, so it is cached: a snapshot
 * is reused while the engine has not moved (same journal position) and, while it moves, for
 * `maxAgeMs` (default 1 s) of wall-clock time or four times its own compute time, whichever is
 * longer — a dashboard refreshing during a crash gets figures at most that old, each carrying the
 * journal position (`seq`) it was computed at, and a large book cannot take more than about a
 * fifth of the service's time.
 *
 * Liquidation prices of a scope are remembered between snapshots and recomputed only when the
 * scope may have changed: an event touched its subaccount (a trade, a move of money, a margin
 * setting), funding settled in one of its markets, a configuration changed, or — for a scope
 * whose figures depend on more than its one market's mark (several positions, collateral other
 * than the settlement asset, a market whose margin scales with open interest) — any price or
 * trade. A single-position scope holding only the
 * settlement asset has a liquidation price that does not move with its mark, which is why the
 * liquidation-price index (src/riskbook) can index it; here it saves the bisection.
 */
import {
  crossView,
  evaluate,
  isLiquidatable,
  isolatedView,
  marginRatioPpm,
  type ScopeView,
} from '../../core/account/figures.ts';
import { liquidationPrice } from '../../core/account/report.ts';
import type { Sequenced } from '../../core/engine/events.ts';
import type { ReadonlyEngineState, ReadonlySubaccount } from '../../core/model/state.ts';

/** One open position of one margin scope, exact integers (engine units). */
export interface RiskRow {
  readonly account: string;
  readonly sub: string;
  readonly subKey: string;
  /** 'cross' or 'isolated:MARKET'. */
  readonly scope: string;
  readonly market: string;
  readonly side: 'long' | 'short';
  /** |size|, qty9. */
  readonly sizeQty9: bigint;
  readonly markPx8: bigint;
  /** The position's notional at the mark, settlement units. */
  readonly notionalQuote: bigint;
  /** Liquidation price px8 (null: no price liquidates it; options: not a single-market figure). */
  readonly liqPx8: bigint | null;
  /** Scope figures (settlement units). */
  readonly equityQuote: bigint;
  readonly maintenanceQuote: bigint;
  readonly initialQuote: bigint;
  /** This position's own initial margin (settlement units). */
  readonly positionInitialQuote: bigint;
  /** MM / equity in ppm; null when equity ≤ 0. */
  readonly marginRatioPpm: bigint | null;
  readonly liquidatable: boolean;
  /** Positions in the scope (1: the liquidation price depends on this market only). */
  readonly scopePositions: number;
}

export interface RiskSnapshot {
  /** Journal position the figures are at. */
  readonly seq: number;
  /** Engine time at that position. */
  readonly timeMs: number;
  /** Wall-clock time it was computed (ms) and how long it took. */
  readonly computedAtMs: number;
  readonly computeMs: number;
  readonly rows: readonly RiskRow[];
  /** Scopes whose liquidation prices were recomputed for this snapshot (the rest were reused). */
  readonly recomputedScopes: number;
}

interface CachedScope {
  /** Liquidation price per market of the scope. */
  readonly liq: ReadonlyMap<string, bigint | null>;
  /** true: depends on any price (several positions or non-settlement collateral). */
  readonly pricesMatter: boolean;
}

export interface RiskSnapshotOptions {
  /** Longest a snapshot is reused while the engine moves, wall-clock ms (default 1,000). */
  readonly maxAgeMs?: number;
  readonly now?: () => number;
}

function isOption(state: ReadonlyEngineState, market: string): boolean {
  return state.markets.get(market)?.config.option !== undefined;
}

/** Scopes of a subaccount that hold positions, as views. */
function scopeViews(state: ReadonlyEngineState, s: ReadonlySubaccount): ScopeView[] {
  const out: ScopeView[] = [];
  const cross = crossView(s);
  if (cross.positions.length > 0) out.push(cross);
  for (const p of s.positions.values()) if (p.isolated) out.push(isolatedView(state, s, p.market));
  return out;
}

export class RiskSnapshots {
  private current: RiskSnapshot | undefined;
  private readonly cache = new Map<string, CachedScope>();
  private readonly dirtySubs = new Set<string>();
  private allDirty = true;
  private pricesMoved = false;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(
    private readonly state: () => ReadonlyEngineState,
    opts: RiskSnapshotOptions = {},
  ) {
    this.maxAgeMs = opts.maxAgeMs ?? 1_000;
    this.now = opts.now ?? Date.now;
  }

  /** Folds committed events into what must be recomputed (call from the sink's onCommitted). */
  observe(events: readonly Sequenced[]): void {
    const state = this.state();
    for (const e of events) {
      switch (e.type) {
        case 'moved':
          if (e.from.kind === 'balance' || e.from.kind === 'isolated') this.dirtySubs.add(e.from.sub);
          if (e.to.kind === 'balance' || e.to.kind === 'isolated') this.dirtySubs.add(e.to.sub);
          break;
        case 'traded':
          this.dirtySubs.add(e.buyer);
          this.dirtySubs.add(e.seller);
          // open interest moved: markets whose margin scales with it change for every holder
          this.pricesMoved = true;
          break;
        case 'prices_updated':
        case 'oracle_stepped':
          this.pricesMoved = true;
          break;
        case 'margin_mode_set':
        case 'leverage_set':
        case 'portfolio_margin_set':
          this.dirtySubs.add(e.sub);
          break;
        case 'funding_settled':
        case 'expiry_settled':
        case 'loss_socialized':
          for (const key of state.markets.get(e.market)?.holders ?? []) this.dirtySubs.add(key);
          break;
        case 'market_configured':
        case 'asset_configured':
        case 'policy_set':
        case 'portfolio_model_set':
        case 'engine_configured':
          this.allDirty = true;
          break;
        default:
          break;
      }
    }
  }

  /** The snapshot: cached while the engine has not moved or is younger than maxAgeMs. */
  get(): RiskSnapshot {
    const state = this.state();
    const cur = this.current;
    // reused for maxAgeMs, or 4× its own compute time if longer: the snapshot takes at most about
    // a fifth of the service's time however large the book, the rest stays with the engine
    const maxAge = cur ? Math.max(this.maxAgeMs, 4 * cur.computeMs) : 0;
    if (cur && (cur.seq === state.seq || this.now() - cur.computedAtMs < maxAge)) return cur;
    this.current = this.compute(state);
    return this.current;
  }

  private compute(state: ReadonlyEngineState): RiskSnapshot {
    const started = performance.now();
    if (this.allDirty) this.cache.clear();
    const rows: RiskRow[] = [];
    let recomputed = 0;
    const seen = new Set<string>();
    for (const s of state.subaccounts.values()) {
      if (s.positions.size === 0) continue;
      for (const view of scopeViews(state, s)) {
        const f = evaluate(state, view);
        const scopeName = view.scope.kind === 'cross' ? 'cross' : `isolated:${view.scope.market}`;
        const id = `${s.key}|${scopeName}`;
        seen.add(id);
        let cached = this.cache.get(id);
        const stale =
          cached === undefined ||
          this.dirtySubs.has(s.key) ||
          (cached.pricesMatter && this.pricesMoved) ||
          cached.liq.size !== view.positions.length;
        if (stale) {
          const liq = new Map<string, bigint | null>();
          for (const p of view.positions)
            liq.set(p.market, isOption(state, p.market) ? null : liquidationPrice(state, view, p.market));
          let otherCollateral = false;
          for (const [asset, bal] of view.balances)
            if (bal !== 0n && asset !== state.settlement.id) otherCollateral = true;
          const oiScaled = view.positions.some(
            (p) => state.markets.get(p.market)?.config.margin.kind === 'openInterestScaled',
          );
          cached = { liq, pricesMatter: view.positions.length > 1 || otherCollateral || oiScaled };
          this.cache.set(id, cached);
          recomputed++;
        }
        const ratio = marginRatioPpm(f);
        const liquidatable = isLiquidatable(f);
        for (const p of f.positions) {
          rows.push({
            account: s.ref.account,
            sub: s.ref.sub,
            subKey: s.key,
            scope: scopeName,
            market: p.market,
            side: p.size > 0n ? 'long' : 'short',
            sizeQty9: p.size < 0n ? -p.size : p.size,
            markPx8: p.markPx8,
            notionalQuote: p.notionalQuote,
            liqPx8: cached!.liq.get(p.market) ?? null,
            equityQuote: f.equityQuote,
            maintenanceQuote: f.maintenanceMarginQuote,
            initialQuote: f.initialMarginQuote,
            positionInitialQuote: p.initialQuote,
            marginRatioPpm: ratio,
            liquidatable,
            scopePositions: view.positions.length,
          });
        }
      }
    }
    for (const id of this.cache.keys()) if (!seen.has(id)) this.cache.delete(id);
    this.dirtySubs.clear();
    this.allDirty = false;
    this.pricesMoved = false;
    return {
      seq: state.seq,
      timeMs: state.timeMs,
      computedAtMs: this.now(),
      computeMs: performance.now() - started,
      rows,
      recomputedScopes: recomputed,
    };
  }
}
