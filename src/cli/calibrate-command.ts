/**
 * `plimsoll calibrate`: grid search of static margin and liquidation parameters
 * (src/sim/lab/calibrate.ts) over a real crash; prints every point sorted by capital
 * efficiency (IM/OI) then bad debt, marks the frontier, and the best point under the
 * required IM/OI.
 *
 *   plimsoll calibrate [--crash 2025-10-10 | --path gbm|jump|regime [--minutes 1440]]
 *                      [--accounts 300] [--seed 42] [--max-im-oi 0.10] [--json]
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { CRASH_WINDOWS } from '../sim/data/crashes.ts';
import {
  bestPoint,
  type Calibration,
  type CalibrationGrid,
  formatCalibration,
  runCalibration,
} from '../sim/lab/calibrate.ts';
import { historyOf, loadHistory, SYNTHETIC_MODEL_IDS } from '../sim/lab/histories.ts';
import { intInRange } from './args.ts';
import { EXIT_FAILURE, EXIT_OK, UsageError } from './errors.ts';

export interface CalibrateOptions {
  readonly crash: string;
  /** A synthetic path model instead of the crash (lab/histories.ts), and its length. */
  readonly path?: string;
  readonly minutes?: number;
  readonly accounts: number;
  readonly seed: number;
  readonly maxImOi: number;
  readonly json: boolean;
  /** Test hooks: a smaller grid, part of the window. */
  readonly grid?: CalibrationGrid;
  readonly fromMs?: number;
  readonly toMs?: number;
}

export function runCalibrate(
  opts: CalibrateOptions,
  out: (text: string) => void,
): { code: number; calibration: Calibration } {
  const history = historyOf({
    ...(opts.path === undefined ? { crash: opts.crash } : { path: opts.path }),
    ...(opts.minutes !== undefined ? { minutes: opts.minutes } : {}),
    seed: opts.seed,
  });
  const label = history.kind === 'crash' ? opts.crash : loadHistory(history).id;
  const cal = runCalibration({
    crash: opts.crash,
    history,
    accounts: opts.accounts,
    seed: opts.seed,
    ...(opts.grid ? { grid: opts.grid } : {}),
    ...(opts.fromMs !== undefined ? { fromMs: opts.fromMs } : {}),
    ...(opts.toMs !== undefined ? { toMs: opts.toMs } : {}),
  });
  const best = bestPoint(cal.points, opts.maxImOi);
  const ok = cal.points.every((p) => p.conservationOk);
  if (opts.json) {
    out(
      `${JSON.stringify({ path: cal.path, insuranceSeed: cal.insuranceSeed, maxImOverOi: opts.maxImOi, best: best ?? null, points: cal.points }, null, 2)}\n`,
    );
    return { code: ok ? EXIT_OK : EXIT_FAILURE, calibration: cal };
  }
  const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
  out(
    `Calibrate ${label}: ${iso(cal.path.from)} → ${iso(cal.path.to)} UTC, ${cal.path.points} price points · ` +
      `${opts.accounts} traders, seed ${opts.seed} · ${cal.points.length} grid points (IM = 2 × MM)\n\n`,
  );
  out(`${formatCalibration(cal.points)}\n\n`);
  const frontier = cal.points.filter((p) => p.frontier).length;
  out(
    `* frontier (${frontier} points): no other point has lower-or-equal IM/OI and lower-or-equal bad debt, one strictly\n`,
  );
  out(
    best
      ? `Best at IM/OI ≤ ${(opts.maxImOi * 100).toFixed(2)}%: ${best.name} — bad debt ${Number(best.badDebt).toLocaleString('en-US', { maximumFractionDigits: 0 })} USDC, IM/OI ${(best.imOverOi * 100).toFixed(2)}%\n`
      : `No grid point meets IM/OI ≤ ${(opts.maxImOi * 100).toFixed(2)}%\n`,
  );
  out(`Conservation (INV-01) ${ok ? '✓' : '✗'} in every run · wall time ${cal.wallSeconds.toFixed(1)} s\n`);
  return { code: ok ? EXIT_OK : EXIT_FAILURE, calibration: cal };
}

function ratio(text: string): number {
  const n = Number(text);
  if (!/^[0-9]*\.?[0-9]+$/.test(text) || !(n > 0) || n > 1)
    throw new InvalidArgumentError('--max-im-oi must be a fraction in (0, 1]');
  return n;
}

/** Adds the `calibrate` command to `program`. */
export function registerCalibrateCommand(program: Command): Command {
  return program
    .command('calibrate')
    .description(
      'Grid-search maintenance ratio, target buffer, penalty and close step for the lowest bad debt at a required capital efficiency; prints the frontier.',
    )
    .addOption(
      new Option('--crash <id>', 'crash window to replay (default 2025-10-10)')
        .choices(CRASH_WINDOWS.map((w) => w.id))
        .conflicts('path'),
    )
    .addOption(
      new Option('--path <model>', 'a seeded synthetic path instead of a crash (seeded by --seed)').choices(
        SYNTHETIC_MODEL_IDS,
      ),
    )
    .option('--minutes <n>', 'length of the synthetic path', intInRange('--minutes', 1, 14_400))
    .option('--accounts <n>', 'number of traders', intInRange('--accounts', 1, 100_000), 300)
    .option('--seed <n>', 'seed of the population', intInRange('--seed', 0, 2 ** 32 - 1), 42)
    .option('--max-im-oi <x>', 'required capital efficiency: largest Σ IM / Σ notional', ratio, 0.1)
    .option('--json', 'every point as JSON', false)
    .action(
      (o: {
        crash?: string;
        path?: string;
        minutes?: number;
        accounts: number;
        seed: number;
        maxImOi: number;
        json: boolean;
      }) => {
        if (o.minutes !== undefined && o.path === undefined)
          throw new UsageError('--minutes applies to synthetic paths (--path) only');
        const { crash, path, minutes, ...rest } = o;
        const r = runCalibrate(
          {
            ...rest,
            crash: crash ?? '2025-10-10',
            ...(path !== undefined ? { path } : {}),
            ...(minutes !== undefined ? { minutes } : {}),
          },
          (t) => process.stdout.write(t),
        );
        process.exitCode = r.code;
      },
    );
}
