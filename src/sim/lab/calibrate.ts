/**
 * Calibration: a deterministic grid search over static margin and liquidation
 * parameters (maintenance ratio, IM = 2 × MM, partial-liquidation target buffer,
 * maximum penalty, step sizing) on one crash, one population (seed) and one book —
 * every grid point is one policy of `runComparison`, so the runs share the path,
 * the traders, the insurance seed and the book exactly as the policy comparison does.
 *
 * Per point: bad debt (insurance cover + socialized loss, USDC) and capital efficiency
 * (Σ trader IM / Σ trader notional at the start, `capitalEfficiency.start.ratio`).
 * The frontier: points no other point dominates (lower-or-equal IM/OI and
 * lower-or-equal bad debt, one of them strictly). `best(max)`: the lowest bad debt
 * among points with IM/OI ≤ max (ties: lower IM/OI, then grid order).
 *
 * @example
 * const cal = runCalibration({ crash: '2025-10-10', accounts: 300, seed: 42 });
 * bestPoint(cal.points, 0.1)?.name;
 */
import { type CompareOptions, runComparison } from './compare.ts';
import type { LiquidationPolicyInput, MarginPolicy } from './policies.ts';
import { staticPolicy } from './policies.ts';

export type CalibrationSizing = 'restore_target' | 'fraction-0.25';

export interface GridParams {
  /** Maintenance ratio, decimal string (IM is twice it). */
  readonly maintenanceRatio: string;
  readonly targetBuffer: string;
  readonly maxPenalty: string;
  readonly sizing: CalibrationSizing;
}

export interface CalibrationGrid {
  readonly maintenanceRatios: readonly string[];
  readonly targetBuffers: readonly string[];
  readonly maxPenalties: readonly string[];
  readonly sizings: readonly CalibrationSizing[];
}

/** 4 × 2 × 2 × 2 = 32 points. */
export const DEFAULT_GRID: CalibrationGrid = Object.freeze({
  maintenanceRatios: ['0.01', '0.02', '0.03', '0.05'],
  targetBuffers: ['0.05', '0.2'],
  maxPenalties: ['0.01', '0.02'],
  sizings: ['restore_target', 'fraction-0.25'] as CalibrationSizing[],
});

export interface CalibrationPoint {
  readonly name: string;
  readonly params: GridParams;
  /** Bad debt, USDC (decimal string) and as a number for sorting. */
  readonly badDebt: string;
  readonly badDebtUsd: number;
  /** Σ trader IM / Σ trader notional at the start. */
  readonly imOverOi: number;
  readonly liquidations: number;
  readonly conservationOk: boolean;
  frontier: boolean;
}

export interface CalibrationOptions extends Omit<CompareOptions, 'policies' | 'crash' | 'accounts' | 'seed'> {
  readonly crash: string;
  readonly accounts: number;
  readonly seed: number;
  readonly grid?: CalibrationGrid;
}

export interface Calibration {
  readonly points: CalibrationPoint[];
  readonly path: { readonly from: number; readonly to: number; readonly points: number };
  readonly insuranceSeed: string;
  readonly wallSeconds: number;
}

/** Decimal fraction × 2, as a decimal string (exact for the short decimals used here). */
function double(ratio: string): string {
  const [i = '0', f = ''] = ratio.split('.');
  const scaled = BigInt(i + f) * 2n;
  const s = scaled.toString().padStart(f.length + 1, '0');
  return f.length === 0 ? s : `${s.slice(0, s.length - f.length)}.${s.slice(s.length - f.length)}`;
}

/** The grid points, in a fixed order (MM, buffer, penalty, sizing). */
export function gridPoints(grid: CalibrationGrid = DEFAULT_GRID): GridParams[] {
  const out: GridParams[] = [];
  for (const maintenanceRatio of grid.maintenanceRatios)
    for (const targetBuffer of grid.targetBuffers)
      for (const maxPenalty of grid.maxPenalties)
        for (const sizing of grid.sizings) out.push({ maintenanceRatio, targetBuffer, maxPenalty, sizing });
  return out;
}

export function pointName(p: GridParams): string {
  const pc = (s: string) => `${Number((Number(s) * 100).toFixed(4))}%`;
  return `mm${pc(p.maintenanceRatio)}/buf${p.targetBuffer}/pen${pc(p.maxPenalty)}/${p.sizing === 'restore_target' ? 'restore' : 'frac25'}`;
}

/** A static policy (IM = 2 × MM) carrying the point's liquidation parameters. */
export function calibrationPolicy(p: GridParams): MarginPolicy {
  const base = staticPolicy(pointName(p), double(p.maintenanceRatio), p.maintenanceRatio);
  const minPenalty = Math.min(0.005, Number(p.maxPenalty)).toString();
  const liquidation: LiquidationPolicyInput = {
    targetBuffer: p.targetBuffer,
    minPenalty,
    maxPenalty: p.maxPenalty,
    sizing:
      p.sizing === 'restore_target'
        ? { kind: 'restore_target' }
        : { kind: 'fraction', fraction: '0.25', aboveNotional: '0', cooldownMs: 0 },
  };
  return {
    name: base.name,
    description: `${base.description ?? ''}, buffer ${p.targetBuffer}, max penalty ${p.maxPenalty}, ${p.sizing}`,
    configFor: (ctx) => ({ ...base.configFor(ctx), liquidation }),
  };
}

/** Marks (in place) and returns the points no other point dominates. */
export function markFrontier<T extends { imOverOi: number; badDebtUsd: number; frontier: boolean }>(
  points: T[],
): T[] {
  for (const p of points) {
    p.frontier = !points.some(
      (q) =>
        q !== p &&
        q.imOverOi <= p.imOverOi &&
        q.badDebtUsd <= p.badDebtUsd &&
        (q.imOverOi < p.imOverOi || q.badDebtUsd < p.badDebtUsd),
    );
  }
  return points.filter((p) => p.frontier);
}

/** Lowest bad debt among points with IM/OI ≤ `maxImOverOi` (ties: lower IM/OI, then order); undefined if none. */
export function bestPoint<T extends { imOverOi: number; badDebtUsd: number }>(
  points: readonly T[],
  maxImOverOi: number,
): T | undefined {
  let best: T | undefined;
  for (const p of points) {
    if (!(p.imOverOi <= maxImOverOi)) continue;
    if (
      best === undefined ||
      p.badDebtUsd < best.badDebtUsd ||
      (p.badDebtUsd === best.badDebtUsd && p.imOverOi < best.imOverOi)
    )
      best = p;
  }
  return best;
}

/** Sorted for display: IM/OI ascending, then bad debt ascending. */
export function sortPoints<T extends { imOverOi: number; badDebtUsd: number }>(points: readonly T[]): T[] {
  return [...points].sort((a, b) => a.imOverOi - b.imOverOi || a.badDebtUsd - b.badDebtUsd);
}

/** Runs every grid point (see the module header) and marks the frontier. */
export function runCalibration(opts: CalibrationOptions): Calibration {
  const t0 = performance.now();
  const params = gridPoints(opts.grid ?? DEFAULT_GRID);
  if (params.length === 0) throw new RangeError('empty calibration grid');
  const { grid: _grid, ...compare } = opts;
  const cmp = runComparison({ ...compare, policies: params.map(calibrationPolicy) });
  const points: CalibrationPoint[] = cmp.rows.map((m, i) => ({
    name: m.policy,
    params: params[i]!,
    badDebt: m.badDebt.total,
    badDebtUsd: Number(m.badDebt.total),
    imOverOi: m.capitalEfficiency.start.ratio,
    liquidations: m.liquidations.count,
    conservationOk: m.conservation.ok,
    frontier: false,
  }));
  markFrontier(points);
  return {
    points,
    path: cmp.path,
    insuranceSeed: cmp.insuranceSeed,
    wallSeconds: (performance.now() - t0) / 1000,
  };
}

/** A fixed-width table, sorted by IM/OI then bad debt; `*` marks frontier points. */
export function formatCalibration(points: readonly CalibrationPoint[]): string {
  const head = ['', 'point', 'IM/OI', 'bad debt USDC', 'liqs', 'INV-01'];
  const body = sortPoints(points).map((p) => [
    p.frontier ? '*' : '',
    p.name,
    `${(p.imOverOi * 100).toFixed(2)}%`,
    Number(p.badDebt).toLocaleString('en-US', { maximumFractionDigits: 0 }),
    String(p.liquidations),
    p.conservationOk ? '✓' : '✗',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i <= 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
