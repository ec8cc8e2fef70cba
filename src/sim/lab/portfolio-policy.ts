/**
 * The `portfolio` margin policy for the risk lab: requirements from scenario revaluation
 * with the pure risk-matrix library (src/core/portfolio: `portfolioMargin`, presets in
 * scenarios.ts), through the same mechanism as every lab policy — the market's margin model
 * (`configFor`; `set_market` if it ever changed).
 *
 * What scenario revaluation gives for the lab's book, and why it is a ratio:
 * - The lab venue has one market, BTC-PERP, and the engine nets each account's trades into
 *   one position per market. For one linear position of size q at price S, every scenario's
 *   P&L is q·S·m_s (m_s the scenario's move), so the risk-matrix requirement is
 *   |q|·S·max_s(w_s·|m_s|) (+ the delta contingency floor, also ∝ |q|·S): positively
 *   homogeneous (PM-3) and linear in notional. It *is* a fixed ratio of notional — the
 *   same for every account — and `configFor` measures it by revaluing a one-BTC long and a
 *   one-BTC short at the opening price with the preset (default `crypto-pm`: ±16 % price
 *   range, delta floor 2 %, MM = ½ IM → IM 16 %, MM 8 %) and installs it as a `fixed` model
 *   (rounded up to the ppm). No tuning: the preset's published parameters as they are.
 * - Hedge credit is per *account*: a short perp against BTC collateral (cash and carry) loses
 *   little in every scenario, so the risk matrix charges it far less than the sum of its legs.
 *   The engine charges exactly that for subaccounts in its portfolio margin mode
 *   (docs/portfolio-margin.md#in-the-engine: the risk matrix of the cross book, collateral
 *   included). The policy configures the engine's `portfolio` model with the same preset and
 *   the simulator offers every trader the switch after opening; the engine accepts it only
 *   where it leaves the account with enough initial margin (opt-in, as on a venue): hedged
 *   traders take it, a BTC-collateral long (coin and perpetual add up in the scenarios) stays on
 *   the per-market ratio. `subaccountPortfolioMargin` is the same computation in the lab's own
 *   terms, reported beside the engine's figures (`portfolioCapitalEfficiency`).
 *
 * @example
 * const p = portfolioPolicy();
 * p.configFor(ctx).margin; // { kind: 'fixed', initialRatio: '0.16', maintenance: { ratio: '0.08' } }
 */
import type { ReadonlyEngineState } from '../../core/model/state.ts';
import {
  type MarketSnapshot,
  type PortfolioAccount,
  type PortfolioMarginConfig,
  type PortfolioPresetId,
  type PortfolioRequirement,
  portfolioMargin,
  portfolioPreset,
} from '../../core/portfolio/index.ts';
import { BASE_ASSET } from '../venue.ts';
import type { MarginPolicy } from './policies.ts';

export interface PortfolioPolicyOptions {
  readonly name?: string;
  /** Scenario set (default the library's `crypto-pm` preset). */
  readonly preset?: PortfolioPresetId;
  readonly config?: PortfolioMarginConfig;
  /** Flat implied volatility of the snapshot (only options would use it; default 0.6). */
  readonly vol?: number;
}

/** A snapshot of one underlying (BTC) at `spot`, basis 0, flat vol. */
export function btcSnapshot(spot: number, nowMs: number, vol = 0.6): MarketSnapshot {
  return {
    nowMs,
    rate: 0,
    underlyings: { [BASE_ASSET]: { spot, basisRate: 0, vol: { kind: 'flat', vol } } },
  };
}

/** Ratio as a decimal string, rounded *up* to the ppm (requirements round up). */
function ratioUp(x: number): string {
  const ppm = Math.ceil(x * 1e6 - 1e-6);
  return (ppm / 1e6).toFixed(6).replace(/0+$/, '').replace(/\.$/, '');
}

/** The per-notional IM and MM of a one-unit linear position under `config` (worse of long and short). */
export function linearRatios(config: PortfolioMarginConfig, spot: number, nowMs: number) {
  const snap = btcSnapshot(spot, nowMs);
  let im = 0;
  let mm = 0;
  for (const size of [1, -1]) {
    const r = portfolioMargin(
      { collateral: 0, positions: [{ type: 'perpetual', underlying: BASE_ASSET, size, entryPrice: spot }] },
      snap,
      config,
    );
    im = Math.max(im, r.initialMargin / spot);
    mm = Math.max(mm, r.maintenanceMargin / spot);
  }
  return { initialRatio: ratioUp(im), maintenanceRatio: ratioUp(mm) };
}

/** The `portfolio` policy (see the module header). */
export function portfolioPolicy(opts: PortfolioPolicyOptions = {}): MarginPolicy {
  const config = opts.config ?? portfolioPreset(opts.preset ?? 'crypto-pm');
  return {
    name: opts.name ?? 'portfolio',
    description: `scenario revaluation (${config.name}) of each position; one linear market → a fixed ratio`,
    configFor: (ctx) => {
      const r = linearRatios(config, Number(ctx.openPrice), ctx.startMs);
      return {
        margin: { kind: 'fixed', initialRatio: r.initialRatio, maintenance: { ratio: r.maintenanceRatio } },
        // The engine's own portfolio mode, offered to every trader after opening (opt-in).
        portfolio: { model: opts.config ?? opts.preset ?? 'crypto-pm' },
      };
    },
    accountInitialMargin: (state, key) => subaccountPortfolioMargin(state, key, config)?.initialMargin,
  };
}

/**
 * The risk-matrix requirement of an engine subaccount's cross scope at the current marks:
 * every position (perpetual, or future with its expiry) and every non-settlement balance
 * (as a perpetual with entry 0, so its price risk is in the scenarios); settlement cash is
 * collateral. Float64 screening figures (quote units), not money.
 */
export function subaccountPortfolioMargin(
  state: ReadonlyEngineState,
  key: string,
  config: PortfolioMarginConfig,
): PortfolioRequirement | undefined {
  const s = state.subaccounts.get(key);
  if (!s) return undefined;
  const positions: PortfolioAccount['positions'] = [];
  let spot: number | undefined;
  for (const p of s.positions.values()) {
    const m = state.markets.get(p.market);
    if (!m || m.markPx8 === undefined || p.size === 0n) continue;
    const size = Number(p.size) / 1e9;
    const mark = Number(m.markPx8) / 1e8;
    if (m.config.base === BASE_ASSET) spot ??= mark;
    const entryPrice = Math.abs(Number(p.entryValue) / 10 ** state.settlement.decimals / size);
    const base = { underlying: m.config.base, size, entryPrice };
    positions.push(
      m.config.kind === 'future' && m.config.expiryMs !== undefined
        ? { type: 'future', ...base, expiryMs: m.config.expiryMs }
        : { type: 'perpetual', ...base },
    );
  }
  const coins = s.balances.get(BASE_ASSET) ?? 0n;
  const px = state.assetPricesPx8.get(BASE_ASSET);
  if (coins !== 0n) {
    const dec = state.assets.get(BASE_ASSET)!.decimals;
    positions.push({
      type: 'perpetual',
      underlying: BASE_ASSET,
      size: Number(coins) / 10 ** dec,
      entryPrice: 0,
    });
    if (px !== undefined) spot ??= Number(px) / 1e8;
  }
  if (positions.length === 0 || spot === undefined) return undefined;
  return portfolioMargin({ collateral: 0, positions }, btcSnapshot(spot, state.timeMs || 1), config);
}
