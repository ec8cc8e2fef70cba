import { describe, expect, it } from 'vitest';
import {
  bestPoint,
  calibrationPolicy,
  DEFAULT_GRID,
  formatCalibration,
  gridPoints,
  markFrontier,
  runCalibration,
} from './calibrate.ts';

const at = (hhmm: string) => Date.parse(`2025-10-10T${hhmm}:00Z`);
const pt = (name: string, imOverOi: number, badDebtUsd: number) => ({
  name,
  imOverOi,
  badDebtUsd,
  frontier: false,
});

describe('markFrontier / bestPoint (synthetic)', () => {
  const points = [
    pt('a', 0.05, 100),
    pt('b', 0.05, 80), // dominates a (same IM/OI, less bad debt)
    pt('c', 0.1, 80), // dominated by b (more IM/OI, same bad debt)
    pt('d', 0.1, 40),
    pt('e', 0.2, 40), // dominated by d
    pt('f', 0.2, 10),
    pt('g', 0.3, 10), // dominated by f
    pt('h', 0.02, 500),
    pt('i', 0.02, 500), // equal twins: neither dominates the other
  ];
  it('keeps_exactly_the_non_dominated_points', () => {
    const frontier = markFrontier(points).map((p) => p.name);
    expect(frontier).toEqual(['b', 'd', 'f', 'h', 'i']);
    expect(points.filter((p) => !p.frontier).map((p) => p.name)).toEqual(['a', 'c', 'e', 'g']);
  });
  it('best_is_the_lowest_bad_debt_within_the_capital_requirement', () => {
    expect(bestPoint(points, 0.01)).toBeUndefined();
    expect(bestPoint(points, 0.02)?.name).toBe('h');
    expect(bestPoint(points, 0.09)?.name).toBe('b');
    expect(bestPoint(points, 0.1)?.name).toBe('d');
    expect(bestPoint(points, 0.25)?.name).toBe('f');
    expect(bestPoint(points, 1)?.name).toBe('f'); // tie with g broken by lower IM/OI
  });
});

describe('grid', () => {
  it('default_grid_has_32_points_with_im_twice_mm', () => {
    const g = gridPoints(DEFAULT_GRID);
    expect(g).toHaveLength(32);
    const cfg = calibrationPolicy(g[g.length - 1]!).configFor({
      marketId: 'BTC-PERP',
      baseMarket: {} as never,
      openPrice: '100',
      startMs: 0,
    });
    expect(cfg.margin).toEqual({ kind: 'fixed', initialRatio: '0.10', maintenance: { ratio: '0.05' } });
    expect(cfg.liquidation).toMatchObject({
      targetBuffer: '0.2',
      maxPenalty: '0.02',
      sizing: { kind: 'fraction' },
    });
  });
});

describe('runCalibration (tiny real run)', () => {
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
  it('runs_every_point_with_conservation_and_is_deterministic', () => {
    expect(cal.points).toHaveLength(2);
    for (const p of cal.points) expect(p.conservationOk).toBe(true);
    expect(cal.points[0]!.imOverOi).toBeLessThan(cal.points[1]!.imOverOi);
    expect(cal.points.some((p) => p.frontier)).toBe(true);
    const again = runCalibration(opts);
    expect(again.points).toEqual(cal.points);
    expect(formatCalibration(cal.points)).toContain('mm1%/buf0.1/pen2%/restore');
  });
});
