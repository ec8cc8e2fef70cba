/**
 * `plimsoll oracle`: run the oracle layer over a scenario or a real-data replay and print,
 * per step, the index, the mark, which sources were dropped and why, the breaker, and
 * safe-mode transitions (docs/oracle.md).
 *
 *   plimsoll oracle FILE.json [--json]
 *   plimsoll oracle --replay 2025-10-10 [--inject-bad-print] [--mark median|index_plus_basis|index]
 *                   [--from HH:MM] [--to HH:MM] [--every SECONDS] [--json]
 *
 * FILE is a scenario: an oracle config plus steps, each a time and the observations that
 * arrive at it (none: a tick). A replay reads the bundled 2025-10-10 files (Binance mark
 * 1m and USDⓈ-M 5m klines, Gemini trades, Binance book depth) and reports one row per
 * interval plus every step with a transition. Prices in the table are rounded to cents for
 * reading; --json keeps exact decimal strings.
 */
import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { z } from 'zod';
import { formatDecimal, PRICE_DECIMALS } from '../core/num/index.ts';
import {
  initialOracleState,
  type OracleConfig,
  OracleConfigSchema,
  type OracleOutputs,
  type OracleRejection,
  type OracleRejectionCode,
  type OracleTransition,
  parseOracleConfig,
  step,
} from '../core/oracle/index.ts';
import {
  crashOracleConfig,
  DEFAULT_BAD_PRINTS,
  injectBadPrints,
  loadCrashObservations,
  ORACLE_REPLAY_DAYS,
  type OracleReplayDay,
  replaySteps,
  runOracleSteps,
} from '../sim/feeds/crash-replay.ts';
import { EXIT_OK, UsageError } from './errors.ts';
import { fmtDecimal } from './format.ts';

export interface OracleCommandIo {
  /** Where reports go (default: process.stdout). */
  readonly out?: (text: string) => void;
  /** Receives the exit code of a command that ran (default: ignored). */
  readonly setExitCode?: (code: number) => void;
}

/** Adds the `oracle` command to `program`; returns the new subcommand. */
export function registerOracleCommand(program: Command, io: OracleCommandIo = {}): Command {
  const out = io.out ?? ((t: string) => process.stdout.write(t));
  return program
    .command('oracle')
    .description(
      'Replay a multi-source price scenario (or a real crash with --replay) through the oracle: index, mark, dropped sources, breaker, safe mode.',
    )
    .argument('[file]', 'scenario JSON (docs/oracle.md), e.g. examples/oracle-scenario.json')
    .addOption(
      new Option('--replay <day>', 'replay real multi-source data of this day').choices([
        ...ORACLE_REPLAY_DAYS,
      ]),
    )
    .option('--inject-bad-print', 'with --replay: add a 10x and a 0.1x Gemini print during the crash', false)
    .addOption(
      new Option('--mark <kind>', 'with --replay: mark estimator')
        .choices(['median', 'index_plus_basis', 'index'])
        .default('median'),
    )
    .option('--from <HH:MM>', 'with --replay: first reported time (UTC)', hhmm('--from'))
    .option('--to <HH:MM>', 'with --replay: last reported time (UTC)', hhmm('--to'))
    .option('--every <seconds>', 'with --replay: one row per this many seconds', positiveInt('--every'), 60)
    .option('--json', 'print the steps as JSON (exact decimal strings)', false)
    .action((file: string | undefined, o: OracleCliOptions) => {
      if (o.replay === undefined) {
        if (file === undefined) throw new UsageError('oracle: give a scenario FILE or --replay DAY');
        if (o.injectBadPrint || o.from !== undefined || o.to !== undefined) {
          throw new UsageError('oracle: --inject-bad-print, --from and --to apply to --replay only');
        }
        out(runScenarioFile(file, o.json));
      } else {
        if (file !== undefined)
          throw new UsageError('oracle: give either a scenario FILE or --replay, not both');
        out(runReplay(o.replay as OracleReplayDay, o));
      }
      io.setExitCode?.(EXIT_OK);
    });
}

interface OracleCliOptions {
  replay?: string;
  injectBadPrint: boolean;
  mark: 'median' | 'index_plus_basis' | 'index';
  from?: number;
  to?: number;
  every: number;
  json: boolean;
}

// ---------------------------------------------------------------- scenario files

/** A scenario: the config and the steps (docs/oracle.md, "Scenario files"). */
export const OracleScenarioSchema = z.object({
  /** What the scenario shows (free text). */
  description: z.string().optional(),
  config: z.unknown(),
  steps: z
    .array(
      z.object({
        /** The step's time (ms since the epoch, or any non-decreasing ms clock). */
        timeMs: z.number().int().min(0),
        /** A label printed with the row. */
        note: z.string().optional(),
        /** Raw observations (OracleInputRaw): validated by the oracle, so bad ones are rejected, not refused here. */
        observations: z.array(z.unknown()).default([]),
      }),
    )
    .min(1),
});

export interface OracleRow {
  readonly outputs: OracleOutputs;
  readonly rejections: readonly OracleRejection[];
  readonly note?: string;
}

/** Runs a scenario (already parsed JSON); throws UsageError on an invalid scenario or config. */
export function runOracleScenario(input: unknown): { config: OracleConfig; rows: OracleRow[] } {
  const parsed = OracleScenarioSchema.safeParse(input);
  if (!parsed.success) throw new UsageError(`invalid oracle scenario: ${z.prettifyError(parsed.error)}`);
  const cfg = parseOracleConfig(parsed.data.config);
  if (!cfg.ok) {
    throw new UsageError(
      `invalid oracle config: ${cfg.issues.map((i) => `${i.path === '' ? '' : `config.${i.path}: `}${i.message}`).join('; ')}`,
    );
  }
  let st = initialOracleState(cfg.value);
  const rows: OracleRow[] = [];
  for (const s of parsed.data.steps) {
    const r = step(cfg.value, st, { nowMs: s.timeMs, inputs: s.observations });
    if (r.outputs === null) {
      throw new UsageError(`step at ${s.timeMs}: ${r.rejections.map((x) => x.message).join('; ')}`);
    }
    st = r.state;
    rows.push({
      outputs: r.outputs,
      rejections: r.rejections,
      ...(s.note === undefined ? {} : { note: s.note }),
    });
  }
  return { config: cfg.value, rows };
}

function runScenarioFile(file: string, json: boolean): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file} is not JSON: ${(e as Error).message}`);
  }
  const { config, rows } = runOracleScenario(data);
  if (json) return `${JSON.stringify({ market: config.market, steps: rows.map(rowJson) }, null, 2)}\n`;
  return renderTable(`Oracle scenario ${file} — market ${config.market}`, rows, false);
}

// ---------------------------------------------------------------- replay

function runReplay(day: OracleReplayDay, o: OracleCliOptions): string {
  const config = OracleConfigSchema.parse(crashOracleConfig(o.mark));
  let observations = loadCrashObservations(day);
  if (o.injectBadPrint) observations = injectBadPrints(observations, DEFAULT_BAD_PRINTS);
  const dayStart = Date.parse(`${day}T00:00:00Z`);
  const fromMs = o.from === undefined ? undefined : dayStart + o.from;
  const toMs = o.to === undefined ? undefined : dayStart + o.to;
  const steps = replaySteps(observations, o.every * 1000, {
    ...(fromMs === undefined ? {} : { fromMs }),
    ...(toMs === undefined ? {} : { toMs }),
  });
  const rows: OracleRow[] = [];
  let pending: OracleRejection[] = [];
  const badPrintTimes = new Set(o.injectBadPrint ? DEFAULT_BAD_PRINTS.map((p) => p.atMs) : []);
  runOracleSteps(config, steps, ({ step: s, outputs, rejections }) => {
    if (fromMs !== undefined && s.nowMs < fromMs) return;
    pending = pending.concat(rejections);
    const interesting =
      s.tick ||
      outputs.transitions.length > 0 ||
      badPrintTimes.has(s.nowMs) ||
      rejections.some((r) => r.code !== 'ORACLE_CROSSED_BOOK');
    if (!interesting) return;
    const note = badPrintTimes.has(s.nowMs) ? 'injected bad print' : undefined;
    rows.push({ outputs, rejections: pending, ...(note === undefined ? {} : { note }) });
    pending = [];
  });
  const title =
    `Oracle replay ${day} — ${config.market}: Binance COIN-M mark 1m, Binance USDⓈ-M 5m, Gemini trades` +
    ` (+ Binance book depth); mark = ${o.mark}${o.injectBadPrint ? '; with injected 10x / 0.1x Gemini prints' : ''}`;
  if (o.json)
    return `${JSON.stringify({ market: config.market, day, mark: o.mark, steps: rows.map(rowJson) }, null, 2)}\n`;
  return renderTable(title, rows, true);
}

// ---------------------------------------------------------------- rendering

const px = (v: bigint | null): string => (v === null ? '—' : fmtDecimal(formatDecimal(v, PRICE_DECIMALS), 2));
const exact = (v: bigint | null): string | null => (v === null ? null : formatDecimal(v, PRICE_DECIMALS));
const ppmPct = (ppm: bigint): string => `${formatDecimal((ppm + 50n) / 100n, 2, { minFraction: 2 })}%`;

function time(ms: number, wallClock: boolean): string {
  if (wallClock || ms >= 1e12) return new Date(ms).toISOString().slice(11, 23);
  return `${formatDecimal(BigInt(ms), 3, { minFraction: 3 })}s`;
}

function describeTransition(t: OracleTransition): string {
  switch (t.type) {
    case 'index_reliable':
      return `index reliable (${px(t.pricePx8)})`;
    case 'index_unreliable':
      return `INDEX UNRELIABLE (${t.usedSources}/${t.minSources} sources)`;
    case 'breaker_tripped':
      return `BREAKER TRIPPED: ${px(t.anchorPx8)} → ${px(t.candidatePx8)} (${ppmPct(t.movePpm)})`;
    case 'breaker_released':
      return `breaker released (${t.reason}, held ${t.heldMs / 1000}s) at ${px(t.markPx8)}`;
    case 'safe_mode_entered':
      return `SAFE MODE ENTERED (${t.reasons.join(', ')})`;
    case 'safe_mode_exited':
      return `safe mode exited${t.durationMs === null ? '' : ` after ${t.durationMs / 1000}s`}`;
  }
}

function describeDrop(v: OracleOutputs['dropped'][number]): string {
  switch (v.reason) {
    case 'deviation':
      return `${v.source}: deviation ${ppmPct(v.deviationPpm ?? 0n)} from ${px(v.referencePx8)}`;
    case 'stale':
      return `${v.source}: stale ${((v.ageMs ?? 0) / 1000).toFixed(1)}s`;
    case 'confidence':
      return `${v.source}: confidence ±${ppmPct(v.confidencePpm ?? 0n)}`;
    default:
      return `${v.source}: ${v.reason}`;
  }
}

function describeRejections(rs: readonly OracleRejection[]): string {
  const counts = new Map<OracleRejectionCode, number>();
  for (const r of rs) counts.set(r.code, (counts.get(r.code) ?? 0) + 1);
  return [...counts].map(([code, n]) => `${code.replace('ORACLE_', '')}${n > 1 ? `×${n}` : ''}`).join(' ');
}

function renderTable(title: string, rows: readonly OracleRow[], wallClock: boolean): string {
  const header = ['time', 'index', 'mark', 'twap', 'used', 'safe', 'dropped / rejected / events'];
  const body = rows.map((r) => {
    const o = r.outputs;
    const notes = [
      ...(r.note === undefined ? [] : [`[${r.note}]`]),
      ...o.dropped.filter((d) => d.reason !== 'no_data').map(describeDrop),
      ...(r.rejections.length > 0 ? [`rejected: ${describeRejections(r.rejections)}`] : []),
      ...o.transitions.map(describeTransition),
      ...(o.breaker.tripped && o.transitions.every((t) => t.type !== 'breaker_tripped')
        ? [`breaker holding (candidate ${px(o.mark.candidatePx8)})`]
        : []),
    ];
    return [
      time(o.timeMs, wallClock),
      o.index.reliable ? px(o.index.pricePx8) : 'UNRELIABLE',
      px(o.mark.pricePx8) + (o.mark.held && o.mark.pricePx8 !== null ? '*' : ''),
      px(o.twapPx8),
      `${o.index.usedSources}/${o.sources.length}`,
      o.safeMode.active ? 'SAFE' : '',
      notes.join('; '),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const totals = new Map<string, number>();
  for (const r of rows) for (const x of r.rejections) totals.set(x.code, (totals.get(x.code) ?? 0) + 1);
  const transitions = rows.flatMap((r) => r.outputs.transitions);
  const summary = [
    `rows: ${rows.length}; safe mode entered: ${transitions.filter((t) => t.type === 'safe_mode_entered').length}; ` +
      `breaker trips: ${transitions.filter((t) => t.type === 'breaker_tripped').length}`,
    `rejected inputs: ${totals.size === 0 ? 'none' : [...totals].map(([c, n]) => `${c} ${n}`).join(', ')}`,
    'mark* = held (breaker tripped or no index); SAFE = liquidations paused, risk-increasing trades refused',
  ];
  return `${title}\n\n${line(header)}\n${body.map(line).join('\n')}\n\n${summary.join('\n')}\n`;
}

function rowJson(r: OracleRow): unknown {
  const o = r.outputs;
  const plain = (v: unknown): unknown =>
    JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)));
  return {
    timeMs: o.timeMs,
    ...(r.note === undefined ? {} : { note: r.note }),
    index: exact(o.index.pricePx8),
    indexReliable: o.index.reliable,
    mark: exact(o.mark.pricePx8),
    markCandidate: exact(o.mark.candidatePx8),
    markHeld: o.mark.held,
    premium: o.mark.premium9 === null ? null : formatDecimal(o.mark.premium9, 9),
    twap: exact(o.twapPx8),
    sources: o.sources.map((v) => ({
      source: v.source,
      used: v.used,
      reason: v.reason,
      price: exact(v.pricePx8),
      ageMs: v.ageMs,
      reference: exact(v.referencePx8),
      deviation: v.deviationPpm === null ? null : formatDecimal(v.deviationPpm, 6),
      confidence: v.confidencePpm === null ? null : formatDecimal(v.confidencePpm, 6),
    })),
    breaker: { tripped: o.breaker.tripped, anchor: exact(o.breaker.anchorPx8) },
    safeMode: o.safeMode,
    transitions: o.transitions.map((t) => {
      const x = plain(t) as Record<string, unknown>;
      for (const k of ['pricePx8', 'anchorPx8', 'candidatePx8', 'markPx8'] as const) {
        if (k in t) x[k.replace('Px8', '')] = exact((t as unknown as Record<string, bigint>)[k]!);
        delete x[k];
      }
      if ('movePpm' in t) {
        x.move = formatDecimal(t.movePpm, 6);
        delete x.movePpm;
      }
      return x;
    }),
    rejections: r.rejections.map((x) => ({
      code: x.code,
      message: x.message,
      index: x.index,
      details: x.details ?? {},
    })),
  };
}

function hhmm(name: string) {
  return (text: string): number => {
    const m = /^([01][0-9]|2[0-3]):([0-5][0-9])$/.exec(text);
    if (m === null) throw new InvalidArgumentError(`${name} must be HH:MM (UTC)`);
    return (Number(m[1]) * 60 + Number(m[2])) * 60_000;
  };
}

function positiveInt(name: string) {
  return (text: string): number => {
    if (!/^[1-9][0-9]{0,5}$/.test(text)) throw new InvalidArgumentError(`${name} must be a whole number ≥ 1`);
    return Number(text);
  };
}
