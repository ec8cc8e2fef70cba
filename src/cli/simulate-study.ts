/**
 * `plimsoll simulate --study`: the risk lab's study (src/sim/lab/study.ts) from the command line —
 * every policy over many trader populations per crash, in worker threads, with intervals and
 * paired differences; optionally a keeper latency sweep. Prints the tables (or the whole study
 * as JSON with `--json`) and writes DIR/study.html and DIR/study.json. A progress bar goes to
 * stderr only when stderr is a terminal.
 */
import { availableParallelism } from 'node:os';
import { SingleBar } from 'cli-progress';
import { LAB_CRASH_IDS } from '../sim/lab/histories.ts';
import { formatStudy, type LatencySpec, runStudy, type StudyResult } from '../sim/lab/study.ts';
import { toJson } from '../sim/report/report.ts';
import { writeStudyReport } from '../sim/report/study-report.ts';
import { EXIT_FAILURE, EXIT_OK } from './errors.ts';

/**
 * Defaults of a study (every lab history); `--quick` (CI) uses 3 seeds of 50 traders on three
 * short histories of both assets unless `--crash` is given.
 */
export const STUDY_DEFAULTS = { seeds: 30, accounts: 200 } as const;
export const QUICK_STUDY = { seeds: 3, accounts: 50 } as const;
export const QUICK_HISTORIES: readonly string[] = ['2021-05-19', '2022-11-09', '2021-05-19-eth'];

export interface StudyCommandOptions {
  readonly histories?: readonly string[];
  readonly seeds?: number;
  readonly firstSeed: number;
  readonly accounts?: number;
  readonly policies?: readonly string[];
  readonly latencies?: readonly LatencySpec[];
  readonly workers?: number;
  /** Also compare at equal opening-book IM/OI (ratios of each policy scaled). */
  readonly equalImOi?: boolean;
  /** Anti-cascade mechanisms to measure (../sim/lab/mechanisms.ts). */
  readonly mechanisms?: readonly string[];
  /** Scales of the Pareto frontier. */
  readonly frontier?: readonly number[];
  /** Populations with behaviours and responders; the personalized-margin comparison. */
  readonly behaviours?: boolean;
  readonly quick: boolean;
  readonly json: boolean;
  readonly out: string;
}

/** Where the text goes (the same shape as `plimsoll simulate`'s). */
export interface StudyIo {
  readonly out: (text: string) => void;
  readonly err: NodeJS.WriteStream | { readonly isTTY?: boolean; write(text: string): unknown };
}

export interface StudyCommandResult {
  readonly code: number;
  readonly study: StudyResult;
  readonly files: { readonly html: string; readonly json: string };
  readonly wallSeconds: number;
}

export async function runStudyCommand(opts: StudyCommandOptions, io: StudyIo): Promise<StudyCommandResult> {
  const d = opts.quick ? QUICK_STUDY : STUDY_DEFAULTS;
  const histories = opts.histories ?? (opts.quick ? QUICK_HISTORIES : LAB_CRASH_IDS);
  const workers = opts.workers ?? Math.max(1, availableParallelism());
  const t0 = performance.now();
  const bar =
    io.err.isTTY === true
      ? new SingleBar({
          stream: io.err as NodeJS.WriteStream,
          format: 'study |{bar}| {value}/{total} runs · {eta_formatted} left',
          hideCursor: true,
          clearOnComplete: true,
          etaBuffer: 50,
        })
      : undefined;
  let started = false;
  let study: StudyResult;
  try {
    study = await runStudy({
      histories,
      seeds: opts.seeds ?? d.seeds,
      firstSeed: opts.firstSeed,
      accounts: opts.accounts ?? d.accounts,
      ...(opts.policies ? { policies: opts.policies } : {}),
      ...(opts.latencies ? { latencies: opts.latencies } : {}),
      workers,
      ...(opts.equalImOi ? { equalImOi: {} } : {}),
      ...(opts.mechanisms ? { mechanisms: opts.mechanisms } : {}),
      ...(opts.frontier ? { frontier: opts.frontier } : {}),
      ...(opts.behaviours ? { behaviours: true } : {}),
      onProgress: (done, total) => {
        if (!bar) return;
        if (!started) {
          bar.start(total, 0);
          started = true;
        }
        // Calibration runs raise the total as they are added.
        bar.setTotal(total);
        bar.update(done);
      },
    });
  } finally {
    bar?.stop();
  }
  const files = await writeStudyReport(opts.out, study, {
    command: `plimsoll simulate --study --crash ${histories.join(',')} --seeds ${study.seeds.length} --seed ${opts.firstSeed} --accounts ${study.accounts} --policies ${study.policies.join(',')}${opts.equalImOi && !opts.frontier ? ' --equal-im' : ''}${opts.mechanisms ? ` --mechanisms ${opts.mechanisms.join(',')}` : ''}${opts.frontier ? ` --frontier ${opts.frontier.join(',')}` : ''}${opts.behaviours ? ' --behaviours' : ''}${study.latencies.length > 0 ? ` --latency ${study.latencies.map((l) => (l.blockMs !== undefined ? `block:${l.blockMs / 1000}` : `${l.latencyMs / 1000}`)).join(',')}` : ''}`,
  });
  const wallSeconds = (performance.now() - t0) / 1000;
  const ok = study.cells.every((c) => c.policies.every((p) => p.conservationOk));
  if (opts.json) io.out(`${toJson({ ...study, wallSeconds, workers, files })}\n`);
  else
    io.out(
      `${formatStudy(study)}\n\nConservation (INV-01) ${ok ? '✓' : '✗'} in every run · ${study.runs.length} runs on ${workers} worker${workers === 1 ? '' : 's'} · wall time ${wallSeconds.toFixed(1)} s\nReport ${files.html}\nStudy  ${files.json}\n`,
    );
  return { code: ok ? EXIT_OK : EXIT_FAILURE, study, files, wallSeconds };
}
