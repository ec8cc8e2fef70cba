/**
 * The transfer plan against an independent reference on random single-receiver instances:
 * with one receiver the programme is a fractional knapsack — for each subset of senders (whose
 * flat fees are paid), fill the deficit from the lowest rate up, each sender up to
 * (surplus − flat)/(1 + rate) — so the optimum is the best subset's greedy cost. The plan must be
 * feasible (the receiver gets its deficit, no sender spends more than its surplus) and cost the
 * reference optimum up to its rounding (a few micro-units per route).
 */
import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { planTransfers } from './transfer-plan.ts';

const PPM = 1_000_000;

interface Sender {
  surplus: number; // usd6, integer
  flat: number; // usd6
  rate: number; // ppm
}

/** Reference optimum (float64 is exact enough here: amounts ≤ 1e10 µ, we compare to ±10 µ). */
function reference(senders: readonly Sender[], deficit: number): number | null {
  let best: number | null = null;
  for (let mask = 1; mask < 1 << senders.length; mask++) {
    const chosen = senders.filter((_, i) => (mask >> i) & 1).sort((a, b) => a.rate - b.rate);
    let left = deficit;
    let cost = 0;
    let ok = true;
    for (const s of chosen) {
      const cap = (s.surplus - s.flat) / (1 + s.rate / PPM);
      if (cap < 0) {
        ok = false;
        break;
      }
      const x = Math.min(cap, left);
      cost += s.flat + (x * s.rate) / PPM;
      left -= x;
    }
    if (!ok || left > 1e-9) continue;
    if (best === null || cost < best) best = cost;
  }
  return best;
}

const sender = fc.record({
  surplus: fc.integer({ min: 0, max: 5_000 }).map((v) => v * 1_000_000),
  flat: fc.integer({ min: 0, max: 5 }).map((v) => v * 500_000),
  rate: fc.constantFrom(0, 500, 1000, 2000, 10_000),
});

test.prop([fc.array(sender, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 8_000 })], {
  numRuns: 150,
})('single_receiver_plan_is_feasible_and_optimal', (senders, deficitUsd) => {
  const deficit = deficitUsd * 1_000_000;
  const nodes = [
    ...senders.map((s, i) => ({ id: `S${i}`, surplus: BigInt(s.surplus), deficit: 0n })),
    { id: 'R', surplus: 0n, deficit: BigInt(deficit) },
  ];
  const routes = senders.map((s, i) => ({
    from: `S${i}`,
    to: 'R',
    flat: BigInt(s.flat),
    ratePpm: BigInt(s.rate),
  }));
  const plan = planTransfers(nodes, routes);
  const ref = reference(
    senders.filter((s) => s.surplus > 0),
    deficit,
  );
  if (plan.status !== 'ok') {
    // Infeasible only if the reference finds nothing either — or only within rounding of the edge.
    if (ref !== null) {
      const room = senders.reduce((s, x) => s + Math.max(0, (x.surplus - x.flat) / (1 + x.rate / PPM)), 0);
      expect(room - deficit).toBeLessThan(10 * senders.length);
    }
    return;
  }
  expect(ref).not.toBeNull();
  const received = plan.transfers.reduce((s, t) => s + t.amount, 0n);
  expect(received).toBeGreaterThanOrEqual(BigInt(deficit));
  senders.forEach((s, i) => {
    const spent = plan.transfers.filter((t) => t.from === `S${i}`).reduce((a, t) => a + t.amount + t.fee, 0n);
    expect(spent).toBeLessThanOrEqual(BigInt(s.surplus));
  });
  for (const t of plan.transfers) {
    const r = routes.find((x) => x.from === t.from)!;
    expect(t.fee).toBe(r.flat + (t.amount * r.ratePpm + 999_999n) / 1_000_000n);
  }
  const fee = Number(plan.totalFee);
  expect(fee).toBeGreaterThanOrEqual(Math.floor(ref!) - 1);
  expect(fee).toBeLessThanOrEqual(Math.ceil(ref!) + 10 * senders.length);
});
