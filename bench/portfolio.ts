/**
 * Portfolio margin benchmark: one account with 200 option positions (plus a future hedge per
 * underlying) across 3 underlyings, margined on the full crypto-pm grid (27 core + 8 extended
 * scenarios), every position fully revalued by Black-76 in every scenario.
 *
 * Figures: median (and p99) wall time of one account evaluation (`portfolioMargin`: revaluation
 * + aggregation), and scenario revaluations per second = positions × scenarios / median time.
 *
 * Standalone: `npx tsx bench/portfolio.ts` (BENCH_QUICK=1 for a smoke run).
 * From bench/run.ts: `const portfolio = benchPortfolio({ quick: QUICK, log });`
 */
import { pathToFileURL } from 'node:url';
import {
  cryptoPmPreset,
  type MarketSnapshot,
  type PortfolioAccount,
  parseMarketSnapshotUnsafe,
  parsePortfolioAccountUnsafe,
  portfolioMargin,
} from '../src/core/portfolio/index.ts';
import { fmtNs, rng, stats } from './support.ts';

const DAY = 86_400_000;

/** A seeded account: `options` options spread over BTC, ETH, SOL, 4 expiries, strikes ±30%. */
export function benchPortfolioBook(
  options = 200,
  seed = 7,
): { account: PortfolioAccount; snapshot: MarketSnapshot } {
  const nowMs = Date.UTC(2025, 9, 10, 8);
  const expiries = [7, 30, 90, 180].map((d) => nowMs + d * DAY);
  const markets = { BTC: 120_000, ETH: 4_300, SOL: 220 } as const;
  const ids = Object.keys(markets) as (keyof typeof markets)[];
  const surface = (spot: number, atm: number) => ({
    kind: 'strikeSurface' as const,
    slices: expiries.map((expiryMs, j) => ({
      expiryMs,
      points: [0.6, 0.8, 1, 1.2, 1.4].map((k) => ({
        strike: spot * k,
        vol: atm * (1 + 0.35 * (k - 1) ** 2) * (1 - 0.03 * j),
      })),
    })),
  });
  const snapshot = parseMarketSnapshotUnsafe({
    nowMs,
    underlyings: Object.fromEntries(
      ids.map((id, i) => [
        id,
        { spot: markets[id], basisRate: 0.05, vol: surface(markets[id], 0.5 + 0.1 * i) },
      ]),
    ),
  });
  const r = rng(seed);
  const positions = [];
  for (let k = 0; k < options; k++) {
    const id = ids[k % ids.length]!;
    const spot = markets[id];
    positions.push({
      type: 'option' as const,
      underlying: id,
      kind: r() < 0.5 ? ('call' as const) : ('put' as const),
      strike: Math.round(spot * (0.7 + 0.6 * r())),
      expiryMs: expiries[Math.floor(r() * expiries.length)]!,
      size: Math.round((r() - 0.5) * 40) / 10 || 0.1,
      settlement: r() < 0.5 ? ('linear' as const) : ('inverse' as const),
    });
  }
  for (const id of ids) {
    positions.push({
      type: 'future' as const,
      underlying: id,
      size: 1,
      entryPrice: markets[id],
      expiryMs: expiries[2]!,
    });
  }
  return { account: parsePortfolioAccountUnsafe({ collateral: 1_000_000, positions }), snapshot };
}

export interface PortfolioBenchResult {
  positions: number;
  options: number;
  underlyings: number;
  scenarios: number;
  revaluationsPerAccount: number;
  runs: number;
  medianMsPerAccount: number;
  p99MsPerAccount: number;
  revaluationsPerSecond: number;
  initialMargin: number;
}

/** Measure portfolio margin on the 200-option book (see the header). */
export function benchPortfolio(
  opts: { quick?: boolean; runs?: number; options?: number; log?: (s: string) => void } = {},
): PortfolioBenchResult {
  const log = opts.log ?? ((s: string) => process.stdout.write(`${s}\n`));
  const options = opts.options ?? 200;
  const runs = opts.runs ?? (opts.quick ? 30 : 300);
  const { account, snapshot } = benchPortfolioBook(options);
  const config = cryptoPmPreset();
  log(`== portfolio margin: ${options} options + 3 futures, 3 underlyings, crypto-pm grid`);
  let r = portfolioMargin(account, snapshot, config);
  for (let i = 0; i < Math.min(20, runs); i++) r = portfolioMargin(account, snapshot, config); // warm-up
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    r = portfolioMargin(account, snapshot, config);
    times.push(Number(process.hrtime.bigint() - t0));
  }
  const s = stats(times);
  const scenarios = r.revaluations / account.positions.length;
  const result: PortfolioBenchResult = {
    positions: account.positions.length,
    options,
    underlyings: r.underlyings.length,
    scenarios,
    revaluationsPerAccount: r.revaluations,
    runs,
    medianMsPerAccount: s.median / 1e6,
    p99MsPerAccount: s.p99 / 1e6,
    revaluationsPerSecond: r.revaluations / (s.median / 1e9),
    initialMargin: r.initialMargin,
  };
  log(
    `   ${result.positions} positions × ${scenarios} scenarios = ${r.revaluations} revaluations per account; ` +
      `median ${fmtNs(s.median)}, p99 ${fmtNs(s.p99)} per account (${runs} runs)`,
  );
  log(
    `   ${(result.revaluationsPerSecond / 1e6).toFixed(2)} M scenario revaluations/s; IM ${r.initialMargin.toFixed(0)}`,
  );
  return result;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchPortfolio({ quick: process.env.BENCH_QUICK === '1' });
}
