/**
 * `plimsoll portfolio`: margin the accounts of a portfolio file (examples/portfolio-*.json,
 * src/core/portfolio/file.ts) and print the requirement broken down (docs/portfolio-margin.md).
 *
 *   plimsoll portfolio FILE [--model file|crypto-pm|paradex|span-16|simm|var] [--account ID]
 *                           [--matrix] [--json] [--confidence C] [--lookback N] [--horizon DAYS]
 *
 * Scenario models (the file's own configuration by default, or a preset with the file's
 * `overrides`): IM/MM, the worst scenario and its shocks per underlying, the delta contingency,
 * the short option minimum, the correlation credit per group, and with --matrix the whole
 * scenario × P&L table. simm: delta/vega/curvature margins and K_b per bucket (illustrative
 * parameters). var: historical VaR/ES from the BTC daily closes in data/ (Coinbase, from
 * 2015-07-21); every other underlying uses BTC's returns with β = 1, stated in the output.
 * deribit: FILE is a Deribit file instead ({model_params, positions, index, ticker, …}, as
 * private/pme/simulate takes and returns them; examples/portfolio-deribit.json): Deribit's 2024
 * PM per settlement currency (worst case and its bucket, the pnl_offset effect, roll and delta
 * shocks, correlation contingency, RMM, MMP and open-orders margin, IM, MM) and cross-collateral
 * in USD (src/core/portfolio/deribit-pm.ts).
 * Amounts are float64 screening figures in the quote currency (deribit: in each book's currency).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  DERIBIT_EXTENDED_MOVES,
  type DeribitBookMargin,
  type DeribitPmResult,
  deribitPortfolioMargin,
  type PortfolioFile,
  PortfolioInputError,
  PortfolioMarginConfigSchema,
  type PortfolioPresetId,
  type PortfolioRequirement,
  parsePortfolioFile,
  portfolioMargin,
  portfolioPreset,
  standardMoves,
} from '../core/portfolio/index.ts';
import { type SimmRequirement, simmMargin, simmPreset } from '../core/portfolio/simm.ts';
import { historicalVarMargin, type VarRequirement, varPreset } from '../core/portfolio/var.ts';
import { logReturns, readCddCloses, readDailyCandles, VOL_DATA_DIR } from '../sim/volatility/data.ts';
import { EXIT_OK, UsageError } from './errors.ts';

export const PORTFOLIO_MODELS = [
  'file',
  'crypto-pm',
  'paradex',
  'span-16',
  'simm',
  'var',
  'deribit',
] as const;
export const VAR_HISTORIES = ['coinbase-btc', 'binance-btc-eth'] as const;
export type PortfolioModel = (typeof PORTFOLIO_MODELS)[number];

export interface PortfolioCommandOptions {
  model?: PortfolioModel;
  account?: string;
  matrix?: boolean;
  json?: boolean;
  confidence?: number;
  lookback?: number;
  horizon?: number;
  history?: (typeof VAR_HISTORIES)[number];
}

export interface PortfolioCommandIo {
  readonly out?: (text: string) => void;
  readonly setExitCode?: (code: number) => void;
}

/** BTC daily closes used by `--model var` (Coinbase only, from 2015-07-21; data/SOURCE.md). */
const VAR_DATA_FILE = 'BTCUSD_1d_candles_full.csv';
const VAR_DATA_FROM_SEC = 1_437_436_800;

function num(name: string, lo: number, hi: number, int = false) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isFinite(n) || n < lo || n > hi || (int && !Number.isInteger(n)))
      throw new InvalidArgumentError(`${name} must be ${int ? 'a whole number ' : ''}in [${lo}, ${hi}]`);
    return n;
  };
}

/** Adds the `portfolio` command to `program`. */
export function registerPortfolioCommand(program: Command, io: PortfolioCommandIo = {}): Command {
  const out = io.out ?? ((t: string) => process.stdout.write(t));
  return program
    .command('portfolio')
    .description(
      'Portfolio margin of the accounts in a portfolio file: IM/MM broken down (worst scenario, add-ons, credits), or SIMM-style or historical VaR/ES (docs/portfolio-margin.md).',
    )
    .argument('<file>', 'portfolio JSON, e.g. examples/portfolio-hedged.json')
    .addOption(
      new Option('--model <model>', 'margin model (file: the configuration in the file)')
        .choices([...PORTFOLIO_MODELS])
        .default('file'),
    )
    .option('--account <id>', 'report only this account')
    .option('--matrix', 'print the whole scenario × P&L matrix (scenario models)', false)
    .option('--json', 'print the breakdown as JSON', false)
    .option('--confidence <c>', 'var: confidence', num('--confidence', 0.51, 0.9999), 0.99)
    .option('--lookback <days>', 'var: observations used', num('--lookback', 2, 100_000, true), 730)
    .option('--horizon <days>', 'var: horizon in days (√h scaling)', num('--horizon', 0.01, 365), 1)
    .addOption(
      new Option(
        '--history <id>',
        'var: returns — coinbase-btc (BTC daily 2015-07-21 → 2025-09-24, other underlyings proxied by BTC) or binance-btc-eth (joint Binance spot BTC and ETH daily 2017-08-17 → 2020-12-30, others proxied by BTC)',
      )
        .choices([...VAR_HISTORIES])
        .default('coinbase-btc'),
    )
    .action((file: string, o: PortfolioCommandOptions) => {
      out(runPortfolioCommand(file, o));
      io.setExitCode?.(EXIT_OK);
    });
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file} is not JSON: ${(e as Error).message}`);
  }
}

type Result =
  | { model: 'scenario'; id: string; r: PortfolioRequirement }
  | { model: 'simm'; id: string; r: SimmRequirement }
  | { model: 'var'; id: string; r: VarRequirement };

/** Runs the command on a file and returns the report text; throws UsageError on bad input. */
export function runPortfolioCommand(file: string, o: PortfolioCommandOptions = {}): string {
  const raw = readJson(file);
  if (o.model === 'deribit') return runDeribit(file, raw, o);
  const parsed = parsePortfolioFile(raw);
  if (!parsed.ok) throw new UsageError(`invalid portfolio file ${file}:\n  ${parsed.issues.join('\n  ')}`);
  const pf = parsed.value;
  const model = o.model ?? 'file';
  const accounts = o.account === undefined ? pf.accounts : pf.accounts.filter((a) => a.id === o.account);
  if (accounts.length === 0) throw new UsageError(`no account ${JSON.stringify(o.account)} in ${file}`);

  let results: Result[];
  let title: string;
  try {
    if (model === 'simm') {
      const cfg = simmPreset();
      title = `${cfg.name} (SIMM-style sensitivities; illustrative risk weights and correlations)`;
      results = accounts.map((a) => ({ model: 'simm', id: a.id, r: simmMargin(a, pf.snapshot, cfg) }));
    } else if (model === 'var') {
      const cfg = varPreset({
        confidence: o.confidence ?? 0.99,
        lookback: o.lookback ?? 730,
        horizonDays: o.horizon ?? 1,
        proxy: 'BTC',
      });
      const history = o.history === 'binance-btc-eth' ? binanceBtcEthHistory() : btcHistory();
      title = `${cfg.name} (historical ${cfg.measure.toUpperCase()} at ${(100 * cfg.confidence).toFixed(2)}%, ${cfg.horizonDays}-day horizon, lookback ${cfg.lookback})`;
      results = accounts.map((a) => ({
        model: 'var',
        id: a.id,
        r: historicalVarMargin(a, pf.snapshot, history, cfg),
      }));
    } else {
      const cfg = scenarioConfig(model, raw, pf);
      title = `${cfg.name} (scenario risk matrix)`;
      results = accounts.map((a) => ({
        model: 'scenario',
        id: a.id,
        r: portfolioMargin(a, pf.snapshot, cfg, { includeMatrix: o.matrix ?? false }),
      }));
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
    // Missing markets and similar input faults surface as typed errors from the library.
    if (e instanceof PortfolioInputError) throw new UsageError(`${e.message} (${e.code})`);
    if (e instanceof Error && e.name === 'InvariantError') throw new UsageError(e.message);
    throw e;
  }
  if (o.json)
    return `${JSON.stringify({ file, model, accounts: results.map((x) => ({ id: x.id, ...x.r })) }, null, 2)}\n`;
  const parts = [`Portfolio ${file} — model ${title}; amounts in quote (float64 screening figures)\n`];
  for (const x of results) {
    if (x.model === 'scenario') parts.push(renderScenario(x.id, x.r, o.matrix ?? false));
    else if (x.model === 'simm') parts.push(renderSimm(x.id, x.r));
    else parts.push(renderVar(x.id, x.r));
  }
  return parts.join('\n');
}

function scenarioConfig(model: PortfolioModel, raw: unknown, pf: PortfolioFile) {
  if (model === 'file') return pf.config;
  const id: PortfolioPresetId = model === 'paradex' ? 'paradex-pm' : (model as PortfolioPresetId);
  const overrides = (raw as { overrides?: Record<string, unknown> }).overrides ?? {};
  const c = PortfolioMarginConfigSchema.safeParse({ ...portfolioPreset(id), ...overrides });
  if (!c.success) throw new UsageError(`overrides do not fit ${id}: ${c.error.message}`);
  return c.data;
}

/**
 * Joint BTC and ETH daily log returns, Binance spot (CryptoDataDownload exports, data/SOURCE.md),
 * on the days both files cover: the BTC/ETH co-movement of the same days, not a proxy.
 */
function binanceBtcEthHistory() {
  const btc = readCddCloses(join(VOL_DATA_DIR, 'Binance_BTCUSDT_d.csv'), 86_400);
  const eth = readCddCloses(join(VOL_DATA_DIR, 'Binance_ETHUSDT_d.csv'), 86_400);
  const from = Math.max(btc.timeSec[0]!, eth.timeSec[0]!);
  const to = Math.min(btc.timeSec[btc.timeSec.length - 1]!, eth.timeSec[eth.timeSec.length - 1]!);
  const slice = (s: typeof btc) => {
    const i0 = (from - s.timeSec[0]!) / 86_400;
    return s.close.subarray(i0, i0 + (to - from) / 86_400 + 1);
  };
  const days = (to - from) / 86_400;
  const labels = Array.from({ length: days }, (_, i) =>
    new Date((from + (i + 1) * 86_400) * 1000).toISOString().slice(0, 10),
  );
  return {
    series: { BTC: logReturns(slice(btc)), ETH: logReturns(slice(eth)) },
    labels,
    source: `data/Binance_BTCUSDT_d.csv + data/Binance_ETHUSDT_d.csv (Binance spot daily closes, joint ${labels[0]} → ${labels[labels.length - 1]}; other underlyings: BTC returns, β 1)`,
  };
}

function btcHistory() {
  const s = readDailyCandles(join(VOL_DATA_DIR, VAR_DATA_FILE), VAR_DATA_FROM_SEC);
  const labels = Array.from(s.timeSec.subarray(1), (t) => new Date(t * 1000).toISOString().slice(0, 10));
  return {
    series: { BTC: logReturns(s.close) },
    labels,
    source: `data/${VAR_DATA_FILE} (BTC daily closes from 2015-07-21; other underlyings: BTC returns, β 1)`,
  };
}

// ---- rendering ----

const money = (x: number) => {
  const s = Math.abs(x).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return x < 0 && s !== '0.00' ? `−${s}` : s;
};
const pct = (x: number, places = 2) =>
  `${x > 0 ? '+' : x < 0 ? '−' : ''}${Math.abs(100 * x).toFixed(places)}%`;
const qty = (x: number) => (x < 0 ? `−${Math.abs(x).toFixed(4)}` : x.toFixed(4));

function table(header: string[], rows: string[][], indent = '  '): string {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    indent + r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

function renderScenario(id: string, r: PortfolioRequirement, withMatrix: boolean): string {
  let s = `Account ${id}: equity ${money(r.equity)}  IM ${money(r.initialMargin)}  MM ${money(r.maintenanceMargin)}\n`;
  s += `  largest single-scenario loss ${money(r.largestScenarioLoss)} (${r.largestScenario ?? 'none'}); scan risk ${money(r.scanRisk)}, correlation credit ${money(r.correlationCredit)}, delta contingency ${money(r.deltaContingency)}, short option minimum ${money(r.shortOptionMinimum)}\n`;
  s += table(
    [
      'underlying',
      'spot',
      'scan risk',
      'worst scenario',
      'move',
      'vol',
      'weight',
      'P&L',
      'net δ',
      'hedged δ',
      'delta cont.',
      'short ct',
      'SOM',
    ],
    r.underlyings.map((u) => {
      const w = u.worstScenario;
      return [
        u.underlying,
        money(u.spot),
        money(u.scanRisk),
        w?.id ?? '—',
        w ? pct(w.priceMove) : '—',
        w ? String(w.volShock) : '—',
        w ? w.weight.toFixed(4) : '—',
        w ? money(w.pnl) : '—',
        qty(u.netDelta),
        qty(u.hedgedDelta),
        money(u.deltaContingency),
        qty(u.shortContracts),
        money(u.shortOptionMinimum),
      ];
    }),
  );
  s += table(
    [
      'group',
      'scan',
      'joint loss',
      'credit',
      'add-ons',
      'delta floor',
      'SOM floor',
      'requirement',
      'binding',
    ],
    r.groups.map((g) => [
      g.underlyings.join('+'),
      money(g.scanRisk),
      money(g.jointLoss),
      money(g.correlationCredit),
      money(g.addOns),
      money(g.deltaFloor),
      money(g.shortOptionFloor),
      money(g.requirement),
      g.binding,
    ]),
  );
  if (withMatrix && r.matrix) {
    const m = r.matrix;
    s += `  scenario matrix (${m.rows.length} scenarios; P&L unweighted, weighted total = weight × total):\n`;
    s += table(
      [
        'scenario',
        'kind',
        'vol',
        'weight',
        ...m.underlyings.map((u) => `move ${u}`),
        ...m.underlyings.map((u) => `P&L ${u}`),
        'total',
        'weighted',
      ],
      m.rows.map((row) => [
        row.id,
        row.kind,
        String(row.volShock),
        row.weight.toFixed(4),
        ...row.moves.map((x) => pct(x)),
        ...row.pnl.map(money),
        money(row.total),
        money(row.weightedTotal),
      ]),
    );
  }
  return s;
}

function renderSimm(id: string, r: SimmRequirement): string {
  let s = `Account ${id}: equity ${money(r.equity)}  IM ${money(r.initialMargin)}  MM ${money(r.maintenanceMargin)}\n`;
  s += `  delta margin ${money(r.deltaMargin)} + vega margin ${money(r.vegaMargin)} + curvature margin ${money(r.curvatureMargin)} (θ ${r.theta.toFixed(4)}, λ ${r.lambda.toFixed(4)})\n`;
  s += table(
    [
      'bucket',
      'spot',
      'RW',
      'delta s',
      'delta WS',
      'K delta',
      'vega s (Σ tenors)',
      'K vega',
      'CVR (Σ)',
      'K curv',
    ],
    r.buckets.map((b) => [
      b.underlying,
      money(b.spot),
      b.deltaRiskWeight.toFixed(2),
      money(b.deltaSensitivity),
      money(b.deltaWs),
      money(b.deltaK),
      money(b.vega.reduce((a, v) => a + v.sensitivity, 0)),
      money(b.vegaK),
      money(b.curvature.reduce((a, c) => a + c.cvr, 0)),
      money(b.curvatureK),
    ]),
  );
  return s;
}

function renderVar(id: string, r: VarRequirement): string {
  let s = `Account ${id}: equity ${money(r.equity)}  IM ${money(r.initialMargin)}  MM ${money(r.maintenanceMargin)}\n`;
  s += `  VaR ${money(r.valueAtRisk)}  ES ${money(r.expectedShortfall)} (${r.tailCount} tail days of ${r.observations})  liquidity add-on ${money(r.liquidityAddOn)}  worst day ${money(r.worstLoss)} (${r.worstLabel ?? '—'})\n`;
  s += `  returns: ${r.source ?? 'given'}\n`;
  s += table(
    [
      'underlying',
      'spot',
      'returns',
      'β',
      'net notional',
      'ES contribution',
      'standalone VaR',
      'liquidity add-on',
    ],
    r.underlyings.map((u) => [
      u.underlying,
      money(u.spot),
      u.source,
      u.beta.toFixed(2),
      money(u.netNotional),
      money(u.esContribution),
      money(u.standaloneVar),
      money(u.liquidityAddOn),
    ]),
  );
  return s;
}

// ---- deribit ----

function runDeribit(file: string, raw: unknown, o: PortfolioCommandOptions): string {
  const obj = (raw ?? {}) as { model_params?: unknown; input?: unknown };
  const input = obj.input ?? raw;
  let r: DeribitPmResult;
  try {
    r = deribitPortfolioMargin(obj.model_params, input);
  } catch (e) {
    if (e instanceof PortfolioInputError) throw new UsageError(`${file}: ${e.message} (${e.code})`);
    throw e;
  }
  const params = obj.model_params as {
    general: { buckets_count: number };
    currency_pair: Record<string, { price_range: number }>;
  };
  if (o.json) return `${JSON.stringify({ file, model: 'deribit', ...r }, null, 2)}\n`;
  const parts = [
    `Portfolio ${file} — model deribit (Deribit portfolio margin, 2024 model); amounts in each book's currency\n`,
  ];
  for (const b of r.books) parts.push(renderDeribitBook(b, params, o.matrix ?? false));
  const c = r.cross;
  parts.push(
    `Cross-collateral (X:PM), USD: worst case ${money(c.worstCase)} (${bucketText(c.worstCaseBucket, params, r.books[0]?.pairs[0])}), pnl_offset effect ${money(c.pnlOffsetEffect)}, roll shock ${money(c.rollShock)}, delta shock ${money(c.deltaShock)}, correlation contingency ${money(c.correlationContingency)}\n` +
      `  risk-matrix margin ${money(c.riskMatrixMargin)}  IM ${money(c.initialMargin)}  MM ${money(c.maintenanceMargin)}; segregated books add to IM ${money(r.totalInitialMarginUsd)}, MM ${money(r.totalMaintenanceMarginUsd)}\n`,
  );
  return parts.join('\n');
}

const VOL_NAMES = ['vol up', 'vol same', 'vol down'];

function bucketText(
  b: DeribitBookMargin['worstCaseBucket'],
  params: { general: { buckets_count: number }; currency_pair: Record<string, { price_range: number }> },
  pair: string | undefined,
): string {
  if (!b) return 'no scenario loses';
  if (b.source === 'extended')
    return `extended row ${b.bucket}: ${pct(DERIBIT_EXTENDED_MOVES[b.index]!, 0)}, vol up`;
  const range = params.currency_pair[pair ?? '']?.price_range ?? 0;
  const move = standardMoves(range, params.general.buckets_count)[b.bucket - 1] ?? 0;
  return `standard index ${b.index}: bucket ${b.bucket} (${b.side}, ${pct(move)}), ${VOL_NAMES[b.index % 3]}`;
}

function renderDeribitBook(
  b: DeribitBookMargin,
  params: { general: { buckets_count: number }; currency_pair: Record<string, { price_range: number }> },
  withMatrix: boolean,
): string {
  const f = (x: number) => x.toFixed(9);
  const pair = b.pairs[0];
  let s = `Book ${b.currency.toUpperCase()} (${b.pairs.join(', ')}): IM ${f(b.initialMargin)}  MM ${f(b.maintenanceMargin)}\n`;
  s += table(
    ['component', b.currency],
    [
      ['worst case', f(b.worstCase)],
      ['  binding scenario', bucketText(b.worstCaseBucket, params, pair)],
      ['  pnl_offset effect', f(b.pnlOffsetEffect)],
      ['roll shock', f(b.rollShock)],
      ['delta shock', `${f(b.deltaShock)} (delta total ${b.deltaTotal.toFixed(6)})`],
      ['correlation contingency', f(b.correlationContingency)],
      ['risk-matrix margin', f(b.riskMatrixMargin)],
      ['MMP margin', f(b.mmpMargin)],
      ['open orders margin', f(b.openOrdersMargin)],
      ['initial margin', f(b.initialMargin)],
      ['maintenance margin', f(b.maintenanceMargin)],
    ],
  );
  if (withMatrix) {
    const range = params.currency_pair[pair ?? '']?.price_range ?? 0;
    const moves = standardMoves(range, params.general.buckets_count);
    s += '  aggregated risk vector, standard (pnl_offset applied):\n';
    s += table(
      ['move', ...VOL_NAMES],
      moves.map((m, i) => [pct(m), ...[0, 1, 2].map((v) => f(b.aggregated.standard[3 * i + v]!))]),
    );
    s += '  extended (vol up): pre-aggregated, and the loss beyond the standard worst:\n';
    s += table(
      ['move', 'pre-aggregated', 'aggregated'],
      DERIBIT_EXTENDED_MOVES.map((m, j) => [
        pct(m, 0),
        f(b.preAggregated.extended[j]!),
        f(b.aggregated.extended[j]!),
      ]),
    );
  }
  return s;
}
