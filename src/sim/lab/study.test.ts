/**
 * The study's pure parts: latency lists, the doubling latency (worked by hand), the task order
 * (history, keeper, seed, policy: paired by seed) and the checks on its options.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_LATENCIES, doublingOf, parseLatencies, StudyOptionError, studyTasks } from './study.ts';

describe('latency lists', () => {
  it('parses seconds and block schedules', () => {
    expect(parseLatencies('0, 1.5,block:12')).toEqual([
      { label: '0 s', latencyMs: 0 },
      { label: '1.5 s', latencyMs: 1500 },
      { label: 'block 12 s', latencyMs: 0, blockMs: 12_000 },
    ]);
    expect(parseLatencies(DEFAULT_LATENCIES)).toHaveLength(9);
  });

  it('refuses what is not a latency', () => {
    for (const bad of ['', '-1', 'fast', 'block:0', '1,1', '90000', 'block:'])
      expect(() => parseLatencies(bad)).toThrow(StudyOptionError);
  });
});

describe('the latency at which bad debt doubles', () => {
  it('interpolates linearly between the bracketing latencies', () => {
    // 100 at 0 s, 150 at 10 s, 250 at 20 s: 200 is reached half-way from 10 to 20 s → 15 s.
    const d = doublingOf('h', 'p', [
      { s: 0, y: 100 },
      { s: 10, y: 150 },
      { s: 20, y: 250 },
    ]);
    expect(d.seconds).toBeCloseTo(15, 12);
    expect(d.reference).toBe(100);
  });

  it('"not reached", and no reference without bad debt', () => {
    const up = [
      { s: 0, y: 100 },
      { s: 60, y: 199 },
    ];
    expect(doublingOf('h', 'p', up).seconds).toBeNull();
    expect(doublingOf('h', 'p', up).note).toBe('not reached up to 60 s');
    const zero = doublingOf('h', 'p', [
      { s: 0, y: 0 },
      { s: 5, y: 0 },
      { s: 15, y: 10 },
    ]);
    expect(zero.seconds).toBeNull();
    expect(zero.note).toBe('no bad debt at 0 s; first bad debt at 15 s');
  });
});

describe('tasks', () => {
  it('every policy on every seed of every keeper setting, in a fixed order', () => {
    const tasks = studyTasks({
      histories: ['2021-05-19', '2020-03-12'],
      seeds: 2,
      firstSeed: 7,
      accounts: 10,
      policies: ['static-low', 'tiered-binance'],
      latencies: parseLatencies('0,60'),
    });
    // 2 histories × (default + 2 latencies) × 2 seeds × 2 policies
    expect(tasks).toHaveLength(24);
    expect(tasks.slice(0, 4).map((t) => [t.history, t.latency?.label, t.seed, t.policy])).toEqual([
      ['2021-05-19', undefined, 7, 'static-low'],
      ['2021-05-19', undefined, 7, 'tiered-binance'],
      ['2021-05-19', undefined, 8, 'static-low'],
      ['2021-05-19', undefined, 8, 'tiered-binance'],
    ]);
    expect(tasks[4]!.latency?.label).toBe('0 s');
  });

  it('bad options are typed errors', () => {
    const ok = { histories: ['2021-05-19'], seeds: 3, accounts: 10 };
    expect(() => studyTasks({ ...ok, seeds: 1 })).toThrow(StudyOptionError);
    expect(() => studyTasks({ ...ok, histories: [] })).toThrow(StudyOptionError);
    expect(() => studyTasks({ ...ok, accounts: 0 })).toThrow(StudyOptionError);
    expect(() => studyTasks({ ...ok, workers: 0 })).toThrow(StudyOptionError);
    expect(() => studyTasks({ ...ok, policies: ['nope'] })).toThrow(/unknown policy/);
  });
});

describe('equal IM/OI', () => {
  it('finds a scale within the tolerance, or says why not, and compares there on every seed', async () => {
    const { runStudy } = await import('./study.ts');
    const s = await runStudy({
      histories: ['2021-05-19'],
      seeds: 2,
      accounts: 20,
      policies: ['static-low', 'tiered-binance', 'portfolio'],
      equalImOi: { calibrationSeeds: 2, tolerance: 0.05 },
    });
    const [portfolio, tiered] = s.calibrations;
    expect(portfolio!.policy).toBe('portfolio');
    expect(portfolio!.scale).toBeNull();
    expect(tiered!.policy).toBe('tiered-binance');
    expect(tiered!.scale).not.toBeNull();
    expect(Math.abs(tiered!.achieved - tiered!.target)).toBeLessThanOrEqual(0.05 * tiered!.target);
    const eq = s.cells.find((c) => c.keeper === 'equal IM/OI')!;
    expect(eq.policies.map((p) => p.policy)).toEqual(['static-low', 'tiered-binance']);
    // The baseline row is the baseline's own runs (unscaled).
    const main = s.cells.find((c) => c.keeper === 'default keeper')!;
    expect(eq.policies[0]!.metrics.badDebt.t.mean).toBe(main.policies[0]!.metrics.badDebt.t.mean);
    expect(s.runs.filter((r) => r.scale === tiered!.scale)).toHaveLength(2);
  }, 120_000);
});

describe('mechanism and frontier tasks', () => {
  it('adds each mechanism on every policy and the frontier on scalable policies only', () => {
    const tasks = studyTasks({
      histories: ['2021-05-19'],
      seeds: 2,
      accounts: 10,
      policies: ['static-low', 'portfolio'],
      mechanisms: ['throttle', 'breaker'],
      frontier: [0.5, 2],
    });
    // 2 seeds × 2 policies default, + 2 mechanisms × 2 seeds × 2 policies, + 2 scales × 2 seeds × 1 scalable policy.
    expect(tasks).toHaveLength(4 + 8 + 4);
    expect(tasks.filter((t) => t.frontier).every((t) => t.policy === 'static-low')).toBe(true);
    expect(tasks.filter((t) => t.mechanism === 'breaker').map((t) => `${t.seed}${t.policy}`)).toEqual([
      '1static-low',
      '1portfolio',
      '2static-low',
      '2portfolio',
    ]);
  });

  it('refuses unknown, repeated and `none` mechanisms, and bad scales', () => {
    const base = { histories: ['2021-05-19'], seeds: 2, accounts: 10 };
    for (const mechanisms of [['nope'], ['throttle', 'throttle'], ['none']])
      expect(() => studyTasks({ ...base, mechanisms })).toThrow(StudyOptionError);
    expect(() => studyTasks({ ...base, frontier: [1] })).toThrow(StudyOptionError);
  });
});
