/**
 * `plimsoll simulate --study --quick` end to end on a short crash: the report files, the
 * structure of the study (one cell per history × keeper, every policy with n = seeds, paired
 * differences on every policy but the baseline, latency doubling per policy) and determinism:
 * the same study in this thread and on two worker threads is identical.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseLatencies, parseScales, runStudy, StudyOptionError } from '../sim/lab/study.ts';
import { runStudyCommand } from './simulate-study.ts';

const dir = mkdtempSync(join(tmpdir(), 'plimsoll-study-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('simulate --study --quick', () => {
  it('writes the report, has the structure, and does not depend on the worker count', async () => {
    const policies = ['static-low', 'tiered-binance'];
    const latencies = parseLatencies('0,60');
    let out = '';
    const r = await runStudyCommand(
      {
        histories: ['2021-05-19'],
        firstSeed: 1,
        accounts: 30,
        policies,
        latencies,
        workers: 2,
        quick: true,
        json: false,
        out: dir,
      },
      { out: (t) => (out += t), err: { write: () => true } },
    );
    expect(r.code).toBe(0);
    const s = r.study;
    expect(s.seeds).toEqual([1, 2, 3]);
    expect(s.cells.map((c) => c.keeper)).toEqual(['default keeper', '0 s', '60 s']);
    for (const c of s.cells) {
      expect(c.policies.map((p) => p.policy)).toEqual(policies);
      for (const p of c.policies) {
        expect(p.metrics.badDebt.t.n).toBe(3);
        expect(p.metrics.badDebt.bootstrap.lo).toBeLessThanOrEqual(p.metrics.badDebt.bootstrap.hi);
        expect(p.metrics.imOi.vsBaseline === undefined).toBe(p.policy === 'static-low');
      }
    }
    expect(s.doubling.map((d) => d.policy)).toEqual(policies);
    expect(s.runs).toHaveLength(3 * 3 * 2);
    expect(out).toContain('2021-05-19 · default keeper');
    expect(out).toContain('Bad debt doubles');
    const html = readFileSync(r.files.html, 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('2021-05-19: keeper latency');
    expect(JSON.parse(readFileSync(r.files.json, 'utf8')).runs).toHaveLength(18);

    const inline = await runStudy({
      histories: ['2021-05-19'],
      seeds: 3,
      firstSeed: 1,
      accounts: 30,
      policies,
      latencies,
      workers: 1,
    });
    expect(inline).toEqual(s);
  }, 180_000);

  it('mechanisms, frontier and the headline at equal IM/OI reach the tables and the report', async () => {
    const out2 = join(dir, 'frontier');
    let text = '';
    const r = await runStudyCommand(
      {
        histories: ['2022-06-18'],
        seeds: 2,
        firstSeed: 1,
        accounts: 20,
        policies: ['static-low', 'static-conservative'],
        mechanisms: ['throttle'],
        frontier: [0.5, 2],
        equalImOi: true,
        workers: 1,
        quick: true,
        json: false,
        out: out2,
      },
      { out: (t) => (text += t), err: { write: () => true } },
    );
    expect(r.code).toBe(0);
    const s = r.study;
    // Frontier: both policies at both scales; scaling every ratio up cannot lower the margin asked
    // at the start (the time mean can fall: liquidations remove the most leveraged accounts, more of
    // them at a low scale).
    expect(s.frontier.map((f) => `${f.policy}×${f.scale}`)).toEqual([
      'static-low×0.5',
      'static-low×2',
      'static-conservative×0.5',
      'static-conservative×2',
    ]);
    for (const p of ['static-low', 'static-conservative']) {
      const [lo, hi] = s.frontier.filter((f) => f.policy === p);
      expect(hi!.imOiStart.mean).toBeGreaterThan(lo!.imOiStart.mean);
      expect(lo!.badDebt.n).toBe(2);
    }
    // Calibration: the scale found puts the policy's IM/OI within 2 % of the baseline's.
    const cal = s.calibrations.find((c) => c.policy === 'static-conservative')!;
    expect(cal.scale).not.toBeNull();
    expect(Math.abs(cal.achieved - cal.target)).toBeLessThanOrEqual(0.02 * cal.target);
    // Mechanism cell: each policy against itself without the throttle; the mark stays within 2 %.
    const mech = s.cells.find((c) => c.mechanism === 'throttle')!;
    expect(mech.policies.every((p) => p.metrics.badDebt.vsBaseline !== undefined)).toBe(true);
    for (const run of s.runs.filter((x) => x.mechanism === 'throttle'))
      expect(run.outcome.displacement).toBeLessThanOrEqual(0.02 + 1e-9);
    expect(text).toContain('mechanism: throttle');
    expect(text).toContain('Pareto frontier');
    const html = readFileSync(r.files.html, 'utf8');
    expect(html).toContain('2022-06-18: Pareto frontier');
    expect(html).toContain('bad debt vs capital efficiency');
    expect(html).toContain('the headline at equal IM/OI');
    expect(html).toContain('anti-cascade mechanism <em>throttle</em>');
    expect(html).toContain('with throttle − without');
    expect(html).toContain('bad debt with each mechanism − without');
    // The frontier chart and the mechanism chart of the one history.
    expect(html.match(/<svg/g)!.length).toBeGreaterThanOrEqual(2);
    expect(html).not.toMatch(/<script|https?:\/\/(?!vega\.github\.io|www\.w3\.org)/);
  }, 300_000);

  it('frontier scales are checked', () => {
    expect(parseScales('2, 0.5')).toEqual([0.5, 2]);
    for (const bad of ['1', '0.1,1', '1,1', 'x,2', '9,1'])
      expect(() => parseScales(bad)).toThrow(StudyOptionError);
  });
});
