/**
 * The cascade simulator's latency model (keeper.latencyMs / blockMs, ./cascade/rounds.ts): a step
 * lands no earlier than its episode's discovery + the latency (on a block schedule, on the next
 * block boundary), at the prices of that moment, and not at all when the scope recovered first.
 */
import { describe, expect, it } from 'vitest';
import { BookModel, infiniteDepthSource } from '../../analytics/liquidity/depth-model.ts';
import { drawTraders, LAB_POPULATION_SPEC } from '../population.ts';
import { arrayPoints, type KeeperOptions, runCascade } from './cascade-sim.ts';
import { DEFAULT_POLICIES } from './policies.ts';

const intents = drawTraders({ ...LAB_POPULATION_SPEC, accounts: 80, seed: 5 });
const STEP = 15_000;
const T0 = Date.UTC(2025, 0, 1, 1);

/** Flat at 60,000, then `shape` (one price per 15 s), then flat at the last price. */
const path = (shape: number[]) =>
  arrayPoints(
    [...Array(8).fill(60_000), ...shape, ...Array(40).fill(shape[shape.length - 1])].map((p) => p.toFixed(2)),
    T0,
    STEP,
  );

const run = (points: ReturnType<typeof path>, keeper: Partial<KeeperOptions>) =>
  runCascade({
    path: points,
    intents,
    policy: DEFAULT_POLICIES[0]!,
    book: new BookModel(infiniteDepthSource()),
    keeper,
    funding: false,
    recordLiquidations: true,
  });

// A steady fall of 20 % over 5 minutes.
const fall = path(Array.from({ length: 20 }, (_, i) => 60_000 * (1 - 0.01 * (i + 1))));

describe('keeper latency model', () => {
  it('every step waits at least the latency and sees the prices of the moment it lands', () => {
    const fast = run(fall, { latencyMs: 0 });
    const slow = run(fall, { latencyMs: 60_000 });
    expect(fast.liquidations.length).toBeGreaterThan(0);
    expect(slow.liquidations.length).toBeGreaterThan(0);
    for (const l of slow.liquidations) expect(l.latencyMs).toBeGreaterThanOrEqual(60_000);
    for (const l of fast.liquidations) expect(l.latencyMs).toBe(0);
    // On a falling path, the first step a minute late lands at a lower mark.
    expect(Number(slow.liquidations[0]!.markPx)).toBeLessThan(Number(fast.liquidations[0]!.markPx));
    expect(slow.liquidations[0]!.timeMs).toBeGreaterThanOrEqual(fast.liquidations[0]!.timeMs + 60_000);
    expect(fast.metrics.conservation.ok && slow.metrics.conservation.ok).toBe(true);
  });

  it('a block schedule lands every step on a block boundary after discovery', () => {
    const r = run(fall, { latencyMs: 0, blockMs: 12_000 });
    expect(r.liquidations.length).toBeGreaterThan(0);
    for (const l of r.liquidations) {
      expect(l.timeMs % 12_000).toBe(0);
      expect(l.latencyMs).toBeGreaterThan(0);
      expect(l.latencyMs).toBeLessThanOrEqual(12_000);
    }
  });

  it('a dip that recovers before the keeper acts liquidates nobody', () => {
    // 30 % down for one point (15 s), then back to 60,000.
    const dip = arrayPoints(
      [...Array(8).fill(60_000), 42_000, ...Array(20).fill(60_000)].map((p) => p.toFixed(2)),
      T0,
      STEP,
    );
    expect(run(dip, { latencyMs: 0 }).liquidations.length).toBeGreaterThan(0);
    expect(run(dip, { latencyMs: 20_000 }).liquidations.length).toBe(0);
  });
});
