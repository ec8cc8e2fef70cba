import { describe, expect, it } from 'vitest';
import { parametricDepthSource } from '../../analytics/liquidity/depth-model.ts';
import { seededUniform } from '../../analytics/stats.ts';
import type { MarketConfigInput } from '../../core/model/config.ts';
import { forecastTrainingBars } from '../forecast/datasets.ts';
import { MARKET } from '../venue.ts';
import { PARAMETRIC_DEPTH } from './compare.ts';
import { DEFAULT_DYNAMIC } from './dynamic-policy.ts';
import { learnedPolicy, rollingHourBars } from './learned-policy.ts';
import type { PolicyTick } from './policies.ts';

const CURVES = parametricDepthSource(PARAMETRIC_DEPTH).at(0);

function prices(seed: number, minutes: number, vol: (m: number) => number): number[] {
  const u = seededUniform(seed);
  const out = [30_000];
  for (let m = 1; m < minutes; m++) {
    const z = Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
    out.push(out[m - 1]! * Math.exp(vol(m) * z));
  }
  return out;
}

function run(startMs: number, px: readonly number[], seed = 42) {
  const p = learnedPolicy({ seed });
  p.configFor({ marketId: MARKET, baseMarket: {} as MarketConfigInput, openPrice: String(px[0]), startMs });
  px.forEach((x, m) => {
    const tick: PolicyTick = {
      timeMs: startMs + m * 60_000,
      minute: m,
      exogenousPx: x,
      markPx: x,
      realizedVolPerMin: 0,
      book: CURVES,
      openInterestBase: 100,
      market: {} as MarketConfigInput,
    };
    p.onTick?.(tick);
  });
  return p.trace;
}

describe('predictive-learned margin policy', () => {
  it('rolling hour bars: 121 minute prices make two 60-minute bars, the older one first', () => {
    const px = Array.from({ length: 121 }, (_, i) => 100 + i);
    const bars = rollingHourBars(px, 1_000_000);
    expect(bars).toHaveLength(2);
    expect(bars[0]).toMatchObject({ open: 100, close: 160, high: 160, low: 100, openSec: 1_000_000 - 7200 });
    expect(bars[1]).toMatchObject({ open: 160, close: 220, high: 220, low: 160, openSec: 1_000_000 - 3600 });
  });

  it('trains only on hourly bars closed before the run starts', () => {
    const start = Date.parse('2021-05-19T11:53:00Z') / 1000;
    const { bars, funding } = forecastTrainingBars(start);
    expect(bars.length).toBeGreaterThan(668);
    for (const b of bars) expect(b.openSec + 3600).toBeLessThanOrEqual(start);
    for (const f of funding) expect(f.timeSec).toBeLessThanOrEqual(start);
    expect(bars[bars.length - 1]!.openSec).toBe(Date.parse('2021-05-19T10:00:00Z') / 1000);
  });

  it('uses the forest where hourly history precedes the window, deterministically, within floor and ceiling', () => {
    const start = Date.parse('2021-05-19T11:53:00Z');
    const calm = prices(1, 90, () => 0.0005);
    const a = run(start, calm);
    const b = run(start, calm);
    expect(b).toEqual(a);
    expect(a.every((d) => d.model === 'forest')).toBe(true);
    for (const d of a) {
      expect(d.mmPpm).toBeGreaterThanOrEqual(DEFAULT_DYNAMIC.floorMm * 1e6);
      expect(d.mmPpm).toBeLessThanOrEqual(DEFAULT_DYNAMIC.ceilingMm * 1e6);
      expect(d.imPpm).toBe(d.mmPpm * DEFAULT_DYNAMIC.imOverMm);
    }
    // A violent last hour raises the forecast above the calm one's.
    const wild = [...calm.slice(0, 30), ...prices(2, 60, () => 0.01).map((x) => (x * calm[29]!) / 30_000)];
    const w = run(start, wild);
    expect(w[w.length - 1]!.var1h).toBeGreaterThan(a[a.length - 1]!.var1h);
  });

  it('falls back to an EWMA of the run (then the prior) where no hourly history precedes the window', () => {
    const t = run(
      Date.parse('2025-10-10T20:00:00Z'),
      prices(3, 60, () => 0.001),
    );
    expect(t[0]!.model).toBe('prior');
    expect(t[t.length - 1]!.model).toBe('ewma-fallback');
  });
});
