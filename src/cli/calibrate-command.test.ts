/**
 * The `calibrate` command on a tiny real run: the text report names the best grid point or says
 * none meets the capital limit, and the JSON report's best point is the lowest-bad-debt frontier point.
 */
import { describe, expect, it } from 'vitest';
import { runCalibration } from '../sim/lab/calibrate.ts';
import { runCalibrate } from './calibrate-command.ts';

const at = (hhmm: string) => Date.parse(`2025-10-10T${hhmm}:00Z`);

describe('calibrate command (tiny real run)', () => {
  const opts = {
    crash: '2025-10-10',
    accounts: 80,
    seed: 3,
    fromMs: at('20:45'),
    toMs: at('21:30'),
    grid: {
      maintenanceRatios: ['0.01', '0.05'],
      targetBuffers: ['0.1'],
      maxPenalties: ['0.02'],
      sizings: ['restore_target'] as const,
    },
  };
  const cal = runCalibration(opts);
  it('cli_reports_the_best_point_or_none', () => {
    let text = '';
    const r = runCalibrate({ ...opts, maxImOi: 0.0001, json: false }, (t) => {
      text += t;
    });
    expect(r.code).toBe(0);
    expect(text).toContain('No grid point meets IM/OI ≤ 0.01%');
    expect(text).toContain('Conservation (INV-01) ✓ in every run');
    text = '';
    runCalibrate({ ...opts, maxImOi: 1, json: true }, (t) => {
      text += t;
    });
    expect(JSON.parse(text).best.name).toBe(
      cal.points.find((p) => p.frontier && p.badDebtUsd === Math.min(...cal.points.map((q) => q.badDebtUsd)))
        ?.name,
    );
  });
});
