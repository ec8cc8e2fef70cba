/**
 * `plimsoll forecast`: the walk-forward evaluation of the learned next-hour volatility
 * forecaster against EWMA, GARCH(1,1) and HAR on the repository's hourly histories — mean
 * QLIKE, the learned model's paired QLIKE difference to each baseline, and spike detection
 * (precision / recall of the hours whose realized variance is in the top 5 %).
 *
 *   plimsoll forecast [--history binance-futures-1h,bitstamp-1h-2022] [--seed 42] [--json]
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { FORECAST_HISTORIES, type ForecastHistory, forecastDataset } from '../sim/forecast/datasets.ts';
import { DEFAULT_FOREST, type ForecastEvaluation, walkForward } from '../sim/forecast/walk-forward.ts';
import { intInRange } from './args.ts';
import { EXIT_OK } from './errors.ts';

export interface ForecastCommandOptions {
  readonly histories: readonly ForecastHistory[];
  readonly seed: number;
  readonly json: boolean;
}

export function runForecastCommand(o: ForecastCommandOptions): string {
  const results = o.histories.map((id) => {
    const ds = forecastDataset(id);
    const t0 = performance.now();
    const ev = walkForward(ds.bars, ds.funding, { forest: { ...DEFAULT_FOREST, seed: o.seed } });
    return { history: id, description: ds.description, seconds: (performance.now() - t0) / 1000, ev };
  });
  if (o.json)
    return `${JSON.stringify(
      results.map(({ ev, ...r }) => ({ ...r, evaluation: { ...ev, forecasts: undefined } })),
      null,
      2,
    )}\n`;
  return results.map((r) => formatEvaluation(r.history, r.description, r.ev, r.seconds)).join('\n');
}

const iso = (s: number) => new Date(s * 1000).toISOString().slice(0, 16).replace('T', ' ');
const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '—');

export function formatEvaluation(
  id: string,
  description: string,
  ev: ForecastEvaluation,
  seconds: number,
): string {
  const lines = [
    `${id}: ${description}`,
    `  walk-forward: ${ev.testBars} test hours ${iso(ev.firstTestSec)} → ${iso(ev.lastTestSec)} UTC, ${ev.refits} refits (rolling 500 h), ${seconds.toFixed(1)} s`,
    `  spike = realized (Parkinson) variance ≥ ${ev.spikeThreshold.toExponential(2)} (95th pct before the test period); alarm = forecast ≥ 90th pct of the model's own past forecasts`,
    '  model        QLIKE   spikes  alarms  hits  precision  recall',
  ];
  for (const m of ev.models)
    lines.push(
      `  ${m.model.padEnd(11)} ${f3(m.meanQlike).padStart(6)}  ${String(m.spike.spikes).padStart(6)}  ${String(m.spike.alarms).padStart(6)}  ${String(m.spike.hits).padStart(4)}  ${f3(m.spike.precision).padStart(9)}  ${f3(m.spike.recall).padStart(6)}`,
    );
  const learned = ev.models.find((m) => m.model === 'learned-rf');
  for (const d of learned?.vs ?? [])
    lines.push(
      `  learned-rf − ${d.baseline}: ΔQLIKE ${f3(d.mean)} [${f3(d.lo)}, ${f3(d.hi)}] ${
        d.distinguishable ? (d.mean < 0 ? '(learned better)' : '(learned worse)') : '(not distinguishable)'
      }`,
    );
  lines.push(
    '  (intervals treat hours as independent; hourly losses are autocorrelated, so they are too narrow)',
  );
  return `${lines.join('\n')}\n`;
}

/** Adds the `forecast` command to `program`. */
export function registerForecastCommand(
  program: Command,
  io: { out?: (t: string) => void; setExitCode?: (c: number) => void } = {},
): Command {
  const out = io.out ?? ((t: string) => process.stdout.write(t));
  return program
    .command('forecast')
    .description(
      'Walk-forward evaluation of the learned next-hour volatility forecaster against EWMA, GARCH and HAR: QLIKE and spike precision/recall (docs/risk-lab.md).',
    )
    .addOption(
      new Option('--history <ids>', `comma-separated: ${FORECAST_HISTORIES.join(', ')}`).default(
        FORECAST_HISTORIES.join(','),
      ),
    )
    .option('--seed <n>', 'seed of the random forest', intInRange('--seed', 0, 2 ** 31 - 1), 42)
    .option('--json', 'print the evaluation as JSON', false)
    .action((o: { history: string; seed: number; json: boolean }) => {
      const histories = o.history.split(',').map((s) => s.trim()) as ForecastHistory[];
      for (const h of histories)
        if (!FORECAST_HISTORIES.includes(h))
          program.error(`unknown --history ${JSON.stringify(h)}; known: ${FORECAST_HISTORIES.join(', ')}`);
      out(runForecastCommand({ histories, seed: o.seed, json: o.json }));
      io.setExitCode?.(EXIT_OK);
    });
}
