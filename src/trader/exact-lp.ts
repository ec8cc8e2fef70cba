/**
 * A small exact linear-programming solver: minimise c·x subject to A·x = b, x ≥ 0, over
 * exact rationals (bigint numerator and denominator), by the two-phase simplex method with
 * Bland's rule.
 *
 * Why hand-written: the transfer plan (transfer-plan.ts) moves money, so its amounts must be
 * exact and its optimality certain; JavaScript LP libraries solve in float64, and a float
 * simplex can stop at a slightly wrong vertex or report 999.9999997. The problems here are
 * tiny (a handful of venues → tens of variables), so a dense tableau is plenty.
 *
 * Method. Phase 1 adds one artificial variable per row (rows with b < 0 are negated first)
 * and minimises their sum; a positive minimum means no x ≥ 0 satisfies A·x = b. Artificials
 * left basic at zero are pivoted out where a non-artificial column allows it (otherwise their
 * row is redundant and they stay at zero, never allowed to re-enter). Phase 2 minimises c·x
 * from that basis. Bland's rule (lowest-index entering column with negative reduced cost,
 * lowest-index leaving basic variable among ratio ties) guarantees termination — no cycling
 * (Bland 1977, "New finite pivoting rules for the simplex method"). At the optimum every
 * reduced cost is ≥ 0, which is the optimality certificate (LP duality); `solveLp` returns
 * the dual values y (c − Aᵀy ≥ 0, b·y = c·x) so callers and tests can check it.
 */

/** An exact rational n/d with d > 0, kept in lowest terms. */
export interface Q {
  readonly n: bigint;
  readonly d: bigint;
}

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

export function q(n: bigint, d = 1n): Q {
  if (d === 0n) throw new RangeError('rational with zero denominator');
  if (d < 0n) {
    n = -n;
    d = -d;
  }
  const g = gcd(n, d);
  return g > 1n ? { n: n / g, d: d / g } : { n, d };
}
export const Q0: Q = { n: 0n, d: 1n };
export const Q1: Q = { n: 1n, d: 1n };
export const qadd = (a: Q, b: Q): Q => q(a.n * b.d + b.n * a.d, a.d * b.d);
export const qsub = (a: Q, b: Q): Q => q(a.n * b.d - b.n * a.d, a.d * b.d);
export const qmul = (a: Q, b: Q): Q => q(a.n * b.n, a.d * b.d);
export const qdiv = (a: Q, b: Q): Q => q(a.n * b.d, a.d * b.n);
export const qcmp = (a: Q, b: Q): number => {
  const x = a.n * b.d - b.n * a.d;
  return x < 0n ? -1 : x > 0n ? 1 : 0;
};
export const qsign = (a: Q): number => (a.n < 0n ? -1 : a.n > 0n ? 1 : 0);

export type LpResult =
  | { readonly status: 'optimal'; readonly x: readonly Q[]; readonly value: Q; readonly dual: readonly Q[] }
  | { readonly status: 'infeasible' }
  | { readonly status: 'unbounded' };

/** Minimise c·x subject to A·x = b, x ≥ 0 (module header). */
export function solveLp(c: readonly Q[], A: readonly (readonly Q[])[], b: readonly Q[]): LpResult {
  const m = A.length;
  const n = c.length;
  for (const row of A)
    if (row.length !== n) throw new RangeError('solveLp: every row needs one entry per variable');
  if (b.length !== m) throw new RangeError('solveLp: one right-hand side per row');
  // Tableau: columns 0..n-1 the variables, n..n+m-1 the artificials, n+m the right-hand side.
  const sign = b.map((v) => (qsign(v) < 0 ? -1n : 1n));
  const T: Q[][] = A.map((row, i) => {
    const s = sign[i]!;
    const r: Q[] = row.map((v) => q(v.n * s, v.d));
    for (let k = 0; k < m; k++) r.push(k === i ? Q1 : Q0);
    r.push(q(b[i]!.n * s, b[i]!.d));
    return r;
  });
  const basis = Array.from({ length: m }, (_, i) => n + i);
  const rhs = n + m;

  const pivot = (row: number, col: number) => {
    const p = T[row]![col]!;
    T[row] = T[row]!.map((v) => qdiv(v, p));
    for (let i = 0; i < m; i++) {
      if (i === row) continue;
      const f = T[i]![col]!;
      if (f.n === 0n) continue;
      T[i] = T[i]!.map((v, j) => qsub(v, qmul(f, T[row]![j]!)));
    }
    basis[row] = col;
  };

  /** Runs the simplex with `cost` (length n+m), entering only columns < `allowed`. */
  const run = (cost: readonly Q[], allowed: number): 'optimal' | 'unbounded' => {
    for (;;) {
      let enter = -1;
      for (let j = 0; j < allowed && enter < 0; j++) {
        if (basis.includes(j)) continue;
        let d = cost[j]!;
        for (let i = 0; i < m; i++) d = qsub(d, qmul(cost[basis[i]!]!, T[i]![j]!));
        if (qsign(d) < 0) enter = j;
      }
      if (enter < 0) return 'optimal';
      let leave = -1;
      let best: Q | null = null;
      for (let i = 0; i < m; i++) {
        const a = T[i]![enter]!;
        if (qsign(a) <= 0) continue;
        const ratio = qdiv(T[i]![rhs]!, a);
        const c2 = best === null ? -1 : qcmp(ratio, best);
        if (c2 < 0 || (c2 === 0 && basis[i]! < basis[leave]!)) {
          best = ratio;
          leave = i;
        }
      }
      if (leave < 0) return 'unbounded';
      pivot(leave, enter);
    }
  };

  // Phase 1.
  const cost1 = [...Array.from({ length: n }, () => Q0), ...Array.from({ length: m }, () => Q1)];
  run(cost1, n);
  let infeas = Q0;
  for (let i = 0; i < m; i++) if (basis[i]! >= n) infeas = qadd(infeas, T[i]![rhs]!);
  if (qsign(infeas) > 0) return { status: 'infeasible' };
  for (let i = 0; i < m; i++) {
    if (basis[i]! < n) continue;
    const col = T[i]!.findIndex((v, j) => j < n && v.n !== 0n);
    if (col >= 0) pivot(i, col);
  }
  // Phase 2.
  const cost2 = [...c, ...Array.from({ length: m }, () => Q0)];
  if (run(cost2, n) === 'unbounded') return { status: 'unbounded' };
  const x: Q[] = Array.from({ length: n }, () => Q0);
  for (let i = 0; i < m; i++) if (basis[i]! < n) x[basis[i]!] = T[i]![rhs]!;
  let value = Q0;
  for (let j = 0; j < n; j++) value = qadd(value, qmul(c[j]!, x[j]!));
  // Duals: y = c_B B⁻¹. The artificial columns of the final tableau hold B⁻¹ (of the
  // sign-adjusted rows), so y_k = sign_k · Σ_i c_{basis i} T[i][n+k].
  const dual = Array.from({ length: m }, (_, k) => {
    let y = Q0;
    for (let i = 0; i < m; i++) y = qadd(y, qmul(cost2[basis[i]!]!, T[i]![n + k]!));
    return q(y.n * sign[k]!, y.d);
  });
  return { status: 'optimal', x, value, dual };
}
