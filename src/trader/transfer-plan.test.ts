/**
 * The transfer plan against hand-solved transportation problems (the arithmetic in each case's
 * comment), and the LP solver's optimality certificate (duality) on them.
 */
import { describe, expect, it } from 'vitest';
import { Q0, q, qadd, qcmp, qmul, qsub, solveLp } from './exact-lp.ts';
import { type PlanNode, type PlanRoute, planTransfers, TransferPlanError } from './transfer-plan.ts';

const U = 1_000_000n; // one USD in usd6
const node = (id: string, surplus: bigint, deficit = 0n): PlanNode => ({ id, surplus, deficit });
const route = (from: string, to: string, flatUsd: string, ratePpm: bigint): PlanRoute => ({
  from,
  to,
  flat: BigInt(Math.round(Number(flatUsd) * 1e6)),
  ratePpm,
});

describe('planTransfers', () => {
  it('one_sender_two_receivers_pays_each_flat_and_rate', () => {
    // A can send 1000; B lacks 300, C lacks 200. A→B: fee 1 flat; A→C: 2 flat + 0.1%.
    // Only one way to cover: A→B 300 (fee 1), A→C 200 (fee 2 + 0.2 = 2.2). Total 3.2.
    const plan = planTransfers(
      [node('A', 1000n * U), node('B', 0n, 300n * U), node('C', 0n, 200n * U)],
      [route('A', 'B', '1', 0n), route('A', 'C', '2', 1000n)],
    );
    expect(plan).toEqual({
      status: 'ok',
      transfers: [
        { from: 'A', to: 'B', amount: 300n * U, fee: 1n * U },
        { from: 'A', to: 'C', amount: 200n * U, fee: 2_200_000n },
      ],
      totalFee: 3_200_000n,
    });
  });

  it('cheaper_rate_first_until_its_surplus_binds', () => {
    // C lacks 600. A (surplus 500.5) charges 0.1%, B (surplus 500) 0.2%, no flats.
    // Cost = 0.001·x_A + 0.002·(600 − x_A): maximise x_A subject to 1.001·x_A ≤ 500.5 → x_A = 500.
    // B sends 100 (fee 0.2). Total fee 0.5 + 0.2 = 0.7; all from B is infeasible (600 > 500).
    const plan = planTransfers(
      [node('A', 500_500_000n), node('B', 500n * U), node('C', 0n, 600n * U)],
      [route('A', 'C', '0', 1000n), route('B', 'C', '0', 2000n)],
    );
    expect(plan).toEqual({
      status: 'ok',
      transfers: [
        { from: 'A', to: 'C', amount: 500n * U, fee: 500_000n },
        { from: 'B', to: 'C', amount: 100n * U, fee: 200_000n },
      ],
      totalFee: 700_000n,
    });
  });

  it('flat_fee_decides_the_route_for_a_small_amount', () => {
    // C lacks 100. A→C: 5 flat; B→C: 1 flat + 1% = 1 + 1 = 2. Splitting pays both flats (≥ 6).
    // Best: all from B, fee 2.
    const plan = planTransfers(
      [node('A', 1000n * U), node('B', 1000n * U), node('C', 0n, 100n * U)],
      [route('A', 'C', '5', 0n), route('B', 'C', '1', 10_000n)],
    );
    expect(plan).toMatchObject({
      status: 'ok',
      transfers: [{ from: 'B', to: 'C', amount: 100n * U, fee: 2n * U }],
    });
  });

  it('flat_fee_route_loses_when_the_rate_grows_with_the_amount', () => {
    // Same routes, C lacks 1000: B would pay 1 + 10 = 11 and needs 1011 > 1000 anyway; A pays 5.
    const plan = planTransfers(
      [node('A', 1000n * U + 5n * U), node('B', 1000n * U), node('C', 0n, 1000n * U)],
      [route('A', 'C', '5', 0n), route('B', 'C', '1', 10_000n)],
    );
    expect(plan).toMatchObject({
      status: 'ok',
      transfers: [{ from: 'A', to: 'C', amount: 1000n * U, fee: 5n * U }],
      totalFee: 5n * U,
    });
  });

  it('rounding_never_breaks_a_binding_surplus', () => {
    // A's surplus binds at a non-integral amount: 1.001·x ≤ 500 → x = 499.500499…; rounded up,
    // x = 499.500500 and its fee 0.499501 would spend 500.000001 > 500, so the plan holds back
    // 3 micro-units per route and re-solves. Whatever it returns fits A's surplus and covers C.
    const plan = planTransfers(
      [node('A', 500n * U), node('B', 500n * U), node('C', 0n, 600n * U)],
      [route('A', 'C', '0', 1000n), route('B', 'C', '0', 2000n)],
    );
    if (plan.status !== 'ok') throw new Error('expected a plan');
    const spent = (id: string) =>
      plan.transfers.filter((t) => t.from === id).reduce((s, t) => s + t.amount + t.fee, 0n);
    expect(spent('A')).toBeLessThanOrEqual(500n * U);
    expect(spent('B')).toBeLessThanOrEqual(500n * U);
    expect(plan.transfers.reduce((s, t) => s + t.amount, 0n)).toBeGreaterThanOrEqual(600n * U);
    // Exact optimum 0.7004995; rounding costs at most a few micro-units more.
    expect(plan.totalFee).toBeGreaterThanOrEqual(700_499n);
    expect(plan.totalFee).toBeLessThanOrEqual(700_510n);
  });

  it('too_little_surplus_is_infeasible_with_the_totals', () => {
    const plan = planTransfers([node('A', 100n * U), node('C', 0n, 200n * U)], [route('A', 'C', '0', 0n)]);
    expect(plan).toEqual({
      status: 'infeasible',
      totalDeficit: 200n * U,
      totalSurplus: 100n * U,
      unreachable: [],
    });
  });

  it('a_receiver_no_route_reaches_is_named', () => {
    const plan = planTransfers([node('A', 100n * U), node('C', 0n, 10n * U)], []);
    expect(plan).toMatchObject({ status: 'infeasible', unreachable: ['C'] });
  });

  it('nothing_to_cover_is_an_empty_plan', () => {
    expect(planTransfers([node('A', 100n * U)], [])).toEqual({ status: 'ok', transfers: [], totalFee: 0n });
  });

  it('a_node_with_surplus_and_deficit_is_refused', () => {
    expect(() => planTransfers([node('A', 1n, 1n)], [])).toThrow(TransferPlanError);
  });
});

describe('solveLp', () => {
  it('certifies_its_optimum_by_duality', () => {
    // min x1 + 2x2 + 0x3  s.t.  x1 + x2 = 3 ;  x1 + x3 = 2 (x3 a slack: x1 ≤ 2). Optimum x1 = 2, x2 = 1 → 4.
    const c = [q(1n), q(2n), Q0];
    const A = [
      [q(1n), q(1n), Q0],
      [q(1n), Q0, q(1n)],
    ];
    const b = [q(3n), q(2n)];
    const r = solveLp(c, A, b);
    if (r.status !== 'optimal') throw new Error(r.status);
    expect(r.x).toEqual([q(2n), q(1n), Q0]);
    expect(r.value).toEqual(q(4n));
    // Dual feasibility c − Aᵀy ≥ 0 and strong duality b·y = c·x.
    for (let j = 0; j < c.length; j++) {
      let aty = Q0;
      for (let i = 0; i < A.length; i++) aty = qadd(aty, qmul(A[i]![j]!, r.dual[i]!));
      expect(qcmp(qsub(c[j]!, aty), Q0)).toBeGreaterThanOrEqual(0);
    }
    expect(qadd(qmul(b[0]!, r.dual[0]!), qmul(b[1]!, r.dual[1]!))).toEqual(r.value);
  });

  it('reports_infeasible_and_unbounded', () => {
    expect(solveLp([q(1n)], [[q(1n)]], [q(-1n)]).status).toBe('infeasible');
    expect(solveLp([q(-1n), Q0], [[q(1n), q(-1n)]], [q(1n)]).status).toBe('unbounded');
  });
});
