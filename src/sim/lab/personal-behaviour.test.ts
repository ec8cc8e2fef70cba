import { describe, expect, it } from 'vitest';
import { BookModel, infiniteDepthSource } from '../../analytics/liquidity/depth-model.ts';
import { personalAddOn } from '../../analytics/personal-margin.ts';
import { tInterval } from '../../analytics/stats.ts';
import { DEFAULT_BEHAVIOUR, drawTraders, LAB_POPULATION_SPEC, type TraderIntent } from '../population.ts';
import { arrayPoints, runCascade } from './cascade-sim.ts';
import { labProfile, personalizedPolicy, wellBehaved } from './personal-policy.ts';
import { staticPolicy } from './policies.ts';
import { DEFAULT_RESPONSE_SPEC, MarginCallDesk } from './responders.ts';
import { scaledPolicy } from './scaled-policy.ts';
import { formatStudy, personalComparisons, runStudy, type StudyOutcome } from './study.ts';
import { matchUniform, requiredImOiAtStart } from './uniform-match.ts';

const withBehaviour = (accounts: number, seed: number) =>
  drawTraders({ ...LAB_POPULATION_SPEC, accounts, seed, behaviour: DEFAULT_BEHAVIOUR });

describe('population behaviours', () => {
  const n = 5000;
  const t = withBehaviour(n, 11);
  const share = (f: (x: TraderIntent) => boolean, of: readonly TraderIntent[] = t) =>
    of.filter(f).length / of.length;

  it('shares of rampers and late payers match the spec (binomial, 4 sd)', () => {
    // Rampers: 15 % of the non-hedged traders whose leverage can still rise (< 125×).
    const sd = Math.sqrt((0.15 * 0.85) / n);
    expect(Math.abs(share((x) => x.rampUp !== undefined) - 0.15)).toBeLessThan(4 * sd);
    expect(Math.abs(share((x) => x.lateTopUps !== undefined) - 0.15)).toBeLessThan(4 * sd);
    const late = t.filter((x) => x.lateTopUps !== undefined);
    const sdNever = Math.sqrt(0.25 / late.length);
    expect(Math.abs(share((x) => x.topUp === 'never', late) - 0.5)).toBeLessThan(4 * sdNever);
    // k uniform in 1..4: each value a quarter of the late payers.
    for (let k = 1; k <= 4; k++)
      expect(Math.abs(share((x) => x.lateTopUps === k, late) - 0.25)).toBeLessThan(
        4 * Math.sqrt((0.25 * 0.75) / late.length),
      );
  });

  it('a ramper raised its leverage setting by its ramp factor; late delays have the stated median', () => {
    const plain = drawTraders({ ...LAB_POPULATION_SPEC, accounts: n, seed: 11 });
    let rampers = 0;
    t.forEach((x, i) => {
      const p = plain[i]!;
      if (x.rampUp === undefined) {
        // Everything else about a trader is as without behaviours.
        expect(x.leverage).toBe(p.leverage);
        expect({ ...x, lateTopUps: 0, topUp: 0, topUpDelayMinutes: 0 }).toEqual({
          ...p,
          lateTopUps: 0,
          topUp: 0,
          topUpDelayMinutes: 0,
        });
        return;
      }
      rampers++;
      expect(x.leverage).toBeGreaterThan(p.leverage);
      expect(x.leverage).toBeLessThanOrEqual(125);
      expect(x.rampUp).toBeCloseTo(x.leverage / p.leverage, 12);
      // floor(l × g) with g ≤ 4, or l + 1 (≤ 2 l): never above 4.
      expect(x.rampUp!).toBeLessThanOrEqual(4);
    });
    expect(rampers).toBeGreaterThan(0);
    const delays = t
      .filter((x) => x.topUp === 'late')
      .map((x) => x.topUpDelayMinutes!)
      .sort((a, b) => a - b);
    const median = delays[Math.floor(delays.length / 2)]!;
    // Lognormal median 60, σ 0.5: the sample median's sd ≈ 1.2533 × 60 × 0.5 / √m.
    expect(Math.abs(median - 60)).toBeLessThan((4 * 1.2533 * 30) / Math.sqrt(delays.length));
    expect(delays[0]!).toBeGreaterThanOrEqual(15);
  });

  it('behaviours are drawn per seed and hedged traders have none', () => {
    const a = withBehaviour(400, 1).map((x) => x.rampUp !== undefined);
    const b = withBehaviour(400, 2).map((x) => x.rampUp !== undefined);
    expect(a).not.toEqual(b);
    expect(withBehaviour(400, 1)).toEqual(withBehaviour(400, 1));
    const h = drawTraders({
      ...LAB_POPULATION_SPEC,
      accounts: 2000,
      seed: 3,
      hedgedShare: 0.2,
      behaviour: DEFAULT_BEHAVIOUR,
    }).filter((x) => x.hedged);
    expect(h.length).toBeGreaterThan(0);
    expect(h.every((x) => x.rampUp === undefined && x.lateTopUps === undefined)).toBe(true);
  });

  it('bad behaviour specs are refused', () => {
    expect(() =>
      drawTraders({ ...LAB_POPULATION_SPEC, behaviour: { ...DEFAULT_BEHAVIOUR, rampUpShare: 1.5 } }),
    ).toThrow(RangeError);
    expect(() =>
      drawTraders({ ...LAB_POPULATION_SPEC, behaviour: { ...DEFAULT_BEHAVIOUR, maxLateTopUps: 0 } }),
    ).toThrow(RangeError);
  });
});

describe('late payers at the margin-call desk', () => {
  const traders = Array.from({ length: 300 }, (_, i) => ({
    ref: { account: `t${i}`, sub: '0' },
    ...(i % 3 === 1 ? { topUp: 'never' as const } : {}),
    ...(i % 3 === 2 ? { topUp: 'late' as const, topUpDelayMinutes: 90 } : {}),
  }));
  const spec = { ...DEFAULT_RESPONSE_SPEC, seed: 7, depositProbability: 0 };

  it('never-payers never respond, late payers always do, with a deposit after their own delay', () => {
    const d = new MarginCallDesk({ ...spec, share: 1 }, traders);
    expect(d.isResponder('t1')).toBe(false);
    expect(d.isResponder('t0')).toBe(true);
    expect(new MarginCallDesk({ ...spec, share: 0 }, traders).isResponder('t2')).toBe(true);
    expect(d.call('t1/0|cross', traders[1]!.ref, undefined, 0)).toBe(false);
    expect(d.call('t2/0|cross', traders[2]!.ref, undefined, 1_000)).toBe(true);
    const due = d.due(1_000 + 90 * 60_000);
    expect(due.map((p) => [p.scopeId, p.action, p.dueMs])).toEqual([['t2/0|cross', 'deposit', 5_401_000]]);
  });

  it("the other traders' membership is the same as without late payers", () => {
    const plain = traders.map((x) => ({ ref: x.ref }));
    const a = new MarginCallDesk({ ...spec, share: 0.3 }, traders);
    const b = new MarginCallDesk({ ...spec, share: 0.3 }, plain);
    for (const x of traders.filter((y) => y.topUp === undefined))
      expect(a.isResponder(x.ref.account)).toBe(b.isResponder(x.ref.account));
  });
});

describe('the personalized add-on sees every behaviour', () => {
  const usdcShort = { side: 'short', collateral: 'USDC', btcSharePpm: 0n } as const;

  it('each part responds to its behaviour (defaults: ramp 0.15 × (g − 1)/2, late 0.2 × k/3, wrong-way 0.25 ρ)', () => {
    const p = personalizedPolicy();
    expect(p.explain(usdcShort).addOnPpm).toBe(0);
    expect(wellBehaved(usdcShort)).toBe(true);
    const ramp = p.explain({ ...usdcShort, rampUp: 2 });
    expect(ramp.parts.map((x) => [x.name, x.fraction])).toEqual([['leverage ramp-up', 0.075]]);
    expect(ramp.addOnPpm).toBe(75_000);
    const late = p.explain({ ...usdcShort, lateTopUps: 3 });
    expect(late.parts.map((x) => [x.name, x.fraction])).toEqual([['late top-ups', 0.2]]);
    expect(late.addOnPpm).toBe(200_000);
    expect(wellBehaved({ ...usdcShort, lateTopUps: 1 })).toBe(false);
    // More of a behaviour never asks less.
    const xs = [1, 1.5, 2, 3, 4].map((g) => p.explain({ ...usdcShort, rampUp: g }).addOnPpm);
    expect([...xs].sort((a, b) => a - b)).toEqual(xs);
    expect(new Set(xs).size).toBe(4); // 3 and 4 both at the full 0.15
  });

  it('the cap binds: BTC long, ramp ×4, 4 late top-ups → 0.25 + 0.15 + 0.2 = 0.6, charged 0.5', () => {
    const a = personalizedPolicy().explain({
      side: 'long',
      collateral: 'BTC',
      btcSharePpm: 0n,
      rampUp: 4,
      lateTopUps: 4,
    });
    expect(a.uncapped).toBeCloseTo(0.6, 12);
    expect(a.capped).toBe(true);
    expect(a.addOnPpm).toBe(500_000);
    expect(labProfile({ side: 'long', collateral: 'BTC', btcSharePpm: 0n }).leverageRampUp).toBe(1);
  });

  it('every drawn trader is charged at most the cap, and exactly 0 when well-behaved', () => {
    for (const x of withBehaviour(2000, 5)) {
      const a = personalAddOn(labProfile(x));
      expect(a.addOnPpm).toBeLessThanOrEqual(500_000);
      expect(a.addOnPpm === 0).toBe(wellBehaved(x));
    }
  });
});

describe('behaviours in a run', () => {
  // Falls 0.2 % every 15 s for 2 hours with no price impact: shorts gain and rampers pyramid.
  const path = arrayPoints(
    Array.from({ length: 480 }, (_, i) => (60_000 * 0.998 ** i).toFixed(2)),
    Date.UTC(2025, 0, 1),
  );
  const intents = withBehaviour(120, 9);
  const run = (policy = staticPolicy('static-low', '0.04', '0.02')) =>
    runCascade({
      path,
      intents,
      policy,
      book: new BookModel(infiniteDepthSource()),
      responses: { ...DEFAULT_RESPONSE_SPEC, seed: 9 },
      rampEveryMinutes: 30,
      recordLiquidations: false,
    });
  const base = run();
  const pers = run(personalizedPolicy());

  it('rampers pyramid through the engine (adds, conservation holds)', () => {
    expect(base.metrics.ramp!.rampers).toBeGreaterThan(0);
    expect(base.metrics.ramp!.adds).toBeGreaterThan(0);
    expect(base.metrics.conservation.ok).toBe(true);
    expect(pers.metrics.conservation.ok).toBe(true);
    // The add-on lowers a ramper's budget: personalized rampers add no more than static-low's.
    expect(Number(pers.metrics.ramp!.size)).toBeLessThan(Number(base.metrics.ramp!.size));
  });

  it('well-behaved traders open exactly the same book under personalized margin', () => {
    const a = base.metrics.capitalEfficiency.personal!;
    const b = pers.metrics.capitalEfficiency.personal!;
    expect(b.wellBehaved).toEqual(a.wellBehaved);
    expect(a.charged).toBe(0);
    expect(b.charged).toBeGreaterThan(0);
    expect(b.requiredRatio).toBeGreaterThan(a.requiredRatio);
  });
});

describe("the opening book's IM/OI (the frontier's x)", () => {
  // −30 % in 40 minutes with a thin book: liquidations thin out the most leveraged accounts.
  const path = arrayPoints(
    Array.from({ length: 160 }, (_, i) => (60_000 * 0.99777 ** i).toFixed(2)),
    Date.UTC(2025, 0, 1),
  );
  const intents = drawTraders({ ...LAB_POPULATION_SPEC, accounts: 80, seed: 3 });
  const at = (k: number) =>
    runCascade({
      path,
      intents,
      policy: scaledPolicy(staticPolicy('static-low', '0.04', '0.02'), k),
      book: new BookModel(infiniteDepthSource()),
      recordLiquidations: false,
    }).metrics;

  it('equals the traders’ IM/OI at the start and rises with the scale of the ratios', () => {
    const ms = [0.5, 1, 2, 4].map(at);
    for (const m of ms) expect(m.capitalEfficiency.samples[0]!.ratio).toBe(m.capitalEfficiency.start.ratio);
    const book = ms.map((m) => m.capitalEfficiency.bookMean);
    for (let i = 1; i < book.length; i++) expect(book[i]!).toBeGreaterThan(book[i - 1]!);
    expect(ms.some((m) => m.liquidations.count > 0)).toBe(true);
  });
});

describe('uniform alternative', () => {
  it('the required IM/OI at the start rises with k, and the match hits its target', () => {
    const base = staticPolicy('static-low', '0.04', '0.02');
    const r = [1, 2, 4].map((k) => requiredImOiAtStart('2021-05-19', 1, 40, scaledPolicy(base, k), true));
    expect(r[1]!).toBeGreaterThan(r[0]!);
    expect(r[2]!).toBeGreaterThan(r[1]!);
    const target = (r[0]! + r[1]!) / 2;
    const m = matchUniform('2021-05-19', [1, 2], 40, base, target, true);
    expect(m.scale).not.toBeNull();
    expect(m.scale!).toBeGreaterThan(1);
    expect(Math.abs(m.achieved - target)).toBeLessThanOrEqual(0.01 * target);
  });
});

describe('paired personalized comparison', () => {
  const o = (badDebt: number, wellNotional: number): StudyOutcome => ({
    badDebt,
    liquidations: 0,
    adl: 0,
    cascadeDepth: 0,
    displacement: 0,
    imOi: 0.1,
    imOiStart: 0.1,
    imOiBook: 0.1,
    wellNotional,
    wellImOi: 0.1,
    requiredImOi: 0.1,
    charged: 0,
    conservationOk: true,
  });
  // Base bad debt varies a lot between seeds; the policy is always 1,000 lower (paired: tight).
  const baseDebt = [10_000, 50_000, 20_000, 80_000, 30_000];
  const byKey = new Map<string, StudyOutcome[]>([
    ['h||static-low', baseDebt.map((b) => o(b, 1e6))],
    ['h||personalized', baseDebt.map((b, i) => o(b - 1_000 + (i % 2 === 0 ? 10 : -10), 1e6))],
    ['h||tiered-binance', baseDebt.map((b, i) => o(b + (i % 2 === 0 ? 5_000 : -5_000), 1e6 + i))],
  ]);
  const c = personalComparisons(
    { histories: ['h'], accounts: 10 },
    byKey,
    'static-low',
    ['static-low', 'personalized', 'tiered-binance'],
    [1, 2, 3, 4, 5],
    500,
  );

  it('pairs by seed: a steady −1,000 is distinguishable although the seeds differ by 70,000', () => {
    const p = c.find((x) => x.policy === 'personalized')!;
    expect(p.against).toBe('static-low');
    expect(p.badDebt.t.mean).toBeCloseTo(-1_000 + 2, 6); // (10 − 10 + 10 − 10 + 10) / 5 = +2
    expect(p.badDebt.distinguishable).toBe(true);
    expect(p.badDebt.t.hi).toBeLessThan(0);
    // Unpaired, the same figures are nowhere near distinguishable.
    const un = tInterval(byKey.get('h||personalized')!.map((x) => x.badDebt));
    expect(un.hi - un.lo).toBeGreaterThan(50_000);
    expect(p.wellNotional.t.mean).toBe(0);
    expect(p.explanation.charged).toBeGreaterThan(0);
  });

  it('a difference of ±5,000 around 0 is not distinguishable', () => {
    const q = c.find((x) => x.policy === 'tiered-binance')!;
    expect(q.badDebt.distinguishable).toBe(false);
    expect(q.badDebt.t.lo).toBeLessThan(0);
    expect(q.badDebt.t.hi).toBeGreaterThan(0);
    expect(q.explanation.lines).toEqual([]);
  });
});

describe('a study with behaviours', () => {
  it('compares personalized with static-low and with the uniform alternative, and explains the add-ons', async () => {
    const s = await runStudy({
      histories: ['2021-05-19'],
      seeds: 2,
      accounts: 20,
      policies: ['static-low', 'personalized'],
      behaviours: true,
    });
    expect(s.uniform).toHaveLength(1);
    const u = s.uniform[0]!;
    expect(u.scale).not.toBeNull();
    expect(Math.abs(u.achieved - u.target)).toBeLessThanOrEqual(0.01 * u.target);
    expect(s.personal.map((c) => `${c.policy} − ${c.against}`)).toEqual([
      'personalized − static-low',
      'static-low uniform − static-low',
      'personalized − static-low uniform',
    ]);
    const [pers, uni] = s.personal;
    // Well-behaved traders: the same book under personalized margin, a dearer one under the uniform rise.
    expect(pers!.wellNotional.t.mean).toBe(0);
    expect(uni!.wellImOi.t.mean).toBeGreaterThan(0);
    expect(pers!.explanation.lines.length).toBeGreaterThan(0);
    expect(s.runs.every((r) => r.outcome.conservationOk)).toBe(true);
    expect(formatStudy(s)).toContain('personalized − static-low uniform');
  }, 300_000);
});
