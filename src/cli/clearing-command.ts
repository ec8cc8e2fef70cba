/**
 * `plimsoll clearing FILE…`: several venues' ccxt exports as one clearing view — collateral,
 * margin figures and liquidation prices per venue, the cheapest transfers that keep every
 * liquidation price outside a band, netting, and top-ups in transit (src/trader/, docs/trader.md).
 *
 *   plimsoll clearing examples/clearing/{binance,bybit,hyperliquid}.json \
 *     --routes examples/clearing/routes.json [--band 20%] [--net-preset dydx-v4] \
 *     [--arrival-target 0.01] [--vol BTC=0.6] [--json] [--html FILE]
 *
 * Exit codes as the rest of the CLI: 0 ok (also when no plan exists: the report says so),
 * 2 a usage error (unreadable or invalid export, unknown venue, bad flag).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CalculatorError } from '../core/calculator/liquidation-price.ts';
import { formatDecimal, parseDecimal } from '../core/num/index.ts';
import { type ArrivalReport, arrivalReport } from '../trader/arrival.ts';
import { type ClearingView, clearingView, DEFAULT_NET_PRESET } from '../trader/clearing.ts';
import { clearingHtml, clearingJson } from '../trader/clearing-report.ts';
import { readRoutes } from '../trader/routes.ts';
import { TransferPlanError } from '../trader/transfer-plan.ts';
import { ClearingInputError, readVenueExport } from '../trader/venue-export.ts';
import { UsageError } from './errors.ts';
import { fmtDecimal } from './format.ts';

export interface ClearingOptions {
  band: string;
  routes?: string;
  netPreset: string;
  arrivalTarget: string;
  vol?: string[];
  json?: boolean;
  html?: string;
}

export const DEFAULT_BAND = '20%';
export const DEFAULT_ARRIVAL_TARGET = '0.01';
export const DEFAULT_VOL = 0.8;

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file}: not valid JSON: ${(e as Error).message}`);
  }
}

/** "20%" or "0.2" → ppm, in [0, 1). */
export function parseBand(text: string): bigint {
  const t = text.trim();
  const pct = t.endsWith('%');
  const r = parseDecimal(pct ? t.slice(0, -1) : t, pct ? 4 : 6);
  if (!r.ok) throw new UsageError(`--band ${text}: expected a percentage ("20%") or a fraction ("0.2")`);
  const ppm = r.value;
  if (ppm < 0n || ppm >= 1_000_000n) throw new UsageError(`--band ${text}: must be in [0%, 100%)`);
  return ppm;
}

function parseVols(list: readonly string[] | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of list ?? []) {
    const [base, v] = item.split('=');
    const n = Number(v);
    if (!base || v === undefined || !Number.isFinite(n) || n <= 0)
      throw new UsageError(`--vol ${item}: expected BASE=SIGMA, e.g. BTC=0.6 (per √year)`);
    out[base] = n;
  }
  return out;
}

/** Computes the clearing view (and arrival report when a route has a latency). */
export function runClearing(
  files: readonly string[],
  o: ClearingOptions,
): { view: ClearingView; arrival?: ArrivalReport } {
  if (files.length === 0) throw new UsageError('give at least one venue export');
  const bandPpm = parseBand(o.band);
  const target = Number(o.arrivalTarget);
  if (!(target > 0 && target < 1))
    throw new UsageError(`--arrival-target ${o.arrivalTarget}: must be in (0, 1)`);
  try {
    const books = files.map((f) => readVenueExport(readJson(f), f));
    const routes = readRoutes(o.routes === undefined ? {} : readJson(o.routes));
    const view = clearingView(books, { bandPpm, routes, netPreset: o.netPreset });
    const hasLatency = books.some((b) => books.some((a) => routes.between(a.venue, b.venue)?.latency));
    const arrival = hasLatency
      ? arrivalReport(books, view.venues, routes, {
          target,
          sigmaByBase: parseVols(o.vol),
          defaultSigma: DEFAULT_VOL,
        })
      : undefined;
    return arrival === undefined ? { view } : { view, arrival };
  } catch (e) {
    if (e instanceof ClearingInputError || e instanceof TransferPlanError)
      throw new UsageError(`${e.message} (${e.code})`);
    // The calculator refuses what it cannot build (an amount finer than the asset's decimals).
    if (e instanceof CalculatorError) throw new UsageError(e.message);
    throw e;
  }
}

const money = (v: string) => fmtDecimal(v, 2);
const pct = (f: string | null) =>
  f === null ? '—' : `${fmtDecimal(formatDecimal(BigInt(Math.round(Number(f) * 1e8)), 6), 2)}%`;

/** The readable report. */
export function formatClearing(view: ClearingView, arrival?: ArrivalReport): string {
  const j = clearingJson(view, arrival);
  const L: string[] = [];
  L.push(
    `clearing view · ${j.venues.length} venues · band ${pct(j.band)} (liquidation price at least this far from the mark)`,
  );
  L.push(
    `  total collateral ${money(j.totalCollateral)} USD · total equity ${money(j.totalEquity)} USD (USDT = USDC at par)`,
  );
  if (j.closest)
    L.push(
      `  closest to liquidation: ${j.closest.venue} ${j.closest.market}, ${pct(j.closest.distance)} from its mark`,
    );
  for (const v of j.venues) {
    L.push('');
    L.push(
      `${v.venue} (${v.preset}) · collateral ${money(v.collateral)} ${v.settlementAsset} · equity ${money(v.equity)} · IM ${money(v.initialMargin)} · MM ${money(v.maintenanceMargin)} · free ${money(v.freeCollateral)} · margin ratio ${pct(v.marginRatio)}`,
    );
    if (v.liquidatable) L.push('  ALREADY LIQUIDATABLE: equity is below the maintenance margin');
    for (const p of v.positions) {
      L.push(
        `  ${p.market} ${p.scope} ${p.side} ${p.size} · mark ${money(p.markPrice)} · liquidation ${p.liquidationPrice === null ? '—' : money(p.liquidationPrice)} (${pct(p.distance)}) · health at band edge ${money(p.bandEdge)}: ${money(p.healthAtBandEdge)}`,
      );
    }
    if (v.deficit !== '0')
      L.push(
        `  needs ${money(v.deficit)} USD to keep its band (${v.needs.map((n) => `${n.scope} ${money(n.topUp)}`).join(', ')})`,
      );
    else L.push(`  can spare ${money(v.surplus)} USD and keep its band and initial margin`);
    if (v.ignoredAssets.length > 0)
      L.push(`  not counted (not the settlement asset): ${v.ignoredAssets.join(', ')}`);
  }
  L.push('');
  if (j.plan.status === 'ok') {
    if ((j.plan.transfers ?? []).length === 0)
      L.push('transfers: none needed — every liquidation price is outside the band');
    else {
      L.push(`transfers (cheapest; fee paid by the sender on top) · total fee ${j.plan.totalFee} USD`);
      for (const t of j.plan.transfers ?? [])
        L.push(`  ${t.from} → ${t.to}  ${money(t.amount)} USD  (fee ${t.fee})`);
      for (const a of j.after ?? [])
        L.push(
          `  after: ${a.venue} wallet ${money(a.walletBalance)}, closest liquidation ${pct(a.closestDistance)}`,
        );
    }
  } else {
    L.push(
      `transfers: NO PLAN keeps every venue outside the band — the venues lack ${j.plan.totalDeficit} USD and can spare ${j.plan.totalSurplus} USD${(j.plan.unreachable ?? []).length > 0 ? `; no route reaches ${(j.plan.unreachable ?? []).join(', ')}` : ''} (add collateral, a reserve in the routes file, or reduce positions)`,
    );
  }
  const n = j.netting;
  L.push('');
  L.push(
    `netting (one cross-margined account on ${n.netPreset}; net ${Object.entries(n.netPositions)
      .map(([b, s]) => `${b} ${s}`)
      .join(', ')})`,
  );
  L.push(
    `  venues, each on its own preset   IM ${money(n.venues.initialMargin)}  MM ${money(n.venues.maintenanceMargin)}`,
  );
  L.push(
    `  same books apart on ${n.netPreset}`.padEnd(35) +
      `IM ${money(n.separate.initialMargin)}  MM ${money(n.separate.maintenanceMargin)}`,
  );
  L.push(
    `  netted on ${n.netPreset}`.padEnd(35) +
      `IM ${money(n.netted.initialMargin)}  MM ${money(n.netted.maintenanceMargin)}`,
  );
  L.push(
    `  capital freed by netting         IM ${money(n.freedByNetting.initialMargin)}  MM ${money(n.freedByNetting.maintenanceMargin)}`,
  );
  L.push(
    `  ${n.portfolioGrid.grid} scenario grid`.padEnd(35) +
      `IM ${money(n.portfolioGrid.initialMargin)}  MM ${money(n.portfolioGrid.maintenanceMargin)}  (portfolio library, screening)`,
  );
  if (j.arrival) {
    L.push('');
    L.push(`top-ups in transit (target: P(liquidated before arrival) ≤ ${j.arrival.target})`);
    for (const a of j.arrival.venues)
      L.push(
        `  ${a.venue} via ${a.route} (median ${a.medianMinutes} min): P = ${a.probability.toExponential(2)} · hold ${money(a.hold)} USD (band ${(a.band * 100).toFixed(2)}%)${a.extra === '0' ? '' : ` · ${money(a.extra)} more than today`}`,
      );
  }
  return `${L.join('\n')}\n`;
}

/** Adds `clearing` to the program. */
export function registerClearingCommand(program: Command): Command {
  return program
    .command('clearing')
    .description(
      'One clearing view across venues from ccxt exports: margin and liquidation prices per venue, the cheapest transfers that keep every liquidation price outside a band, netting (docs/trader.md).',
    )
    .argument(
      '<files...>',
      'venue exports (ccxt fetchPositions/fetchBalance shapes), e.g. examples/clearing/*.json',
    )
    .option('--band <pct>', 'each liquidation price at least this far from its mark', DEFAULT_BAND)
    .option(
      '--routes <file>',
      'transfer routes: fees, latencies, reserve (default: none — no transfer possible)',
    )
    .option('--net-preset <id>', 'preset of the netted clearing account', DEFAULT_NET_PRESET)
    .option(
      '--arrival-target <p>',
      'acceptable P(liquidated before a top-up arrives)',
      DEFAULT_ARRIVAL_TARGET,
    )
    .option(
      '--vol <base=sigma>',
      `volatility per √year of a base asset (repeatable; default: ${DEFAULT_VOL})`,
      (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
    )
    .option('--json', 'print the view as JSON (exact decimal strings)', false)
    .option('--html <file>', 'also write a self-contained HTML page of the view')
    .action((files: string[], o: ClearingOptions) => {
      const { view, arrival } = runClearing(files, o);
      if (o.html !== undefined) writeFileSync(o.html, clearingHtml(view, arrival));
      process.stdout.write(
        o.json === true
          ? `${JSON.stringify(clearingJson(view, arrival), null, 2)}\n`
          : formatClearing(view, arrival),
      );
    });
}
