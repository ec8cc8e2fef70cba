/**
 * Derivative-free minimisation: the Nelder–Mead simplex method, with restarts.
 *
 * Nelder & Mead (1965), "A simplex method for function minimization", Comput. J. 7; the
 * implementation follows Lagarias, Reeds, Wright & Wright (1998), "Convergence properties of
 * the Nelder–Mead simplex method in low dimensions", SIAM J. Optim. 9, with the
 * dimension-adaptive coefficients of Gao & Han (2012), Comput. Optim. Appl. 51:
 *   reflection ρ = 1, expansion χ = 1 + 2/n, contraction γ = 0.75 - 1/(2n), shrink σ = 1 - 1/n.
 * Stopping (as SciPy's `fmin`): every vertex within `xTolerance` of the best in every
 * coordinate AND every value within `fTolerance` of the best.
 *
 * A non-finite objective value counts as +∞, so constraints can be imposed by returning
 * Infinity (though a reparametrisation onto an unconstrained space, as the GARCH fit uses, is
 * better behaved). Nelder–Mead can stall on a non-stationary point; `minimizeMultiStart` runs
 * it from several starts and restarts the best result until it stops improving, which is
 * the usual remedy (Kelley 1999, "Detection and remediation of stagnation in the Nelder–Mead
 * algorithm", SIAM J. Optim. 10).
 *
 * Deterministic: no randomness; ties are broken by vertex order.
 *
 * @example
 * const r = nelderMead(([x, y]) => (x! - 1) ** 2 + 10 * (y! + 2) ** 2, [0, 0]);
 * r.x; // ≈ [1, -2]
 */

/** Options of {@link nelderMead}. */
export interface NelderMeadOptions {
  /** Maximum iterations (default 200 × dimension). */
  readonly maxIterations?: number;
  /** Maximum objective evaluations (default 400 × dimension). */
  readonly maxEvaluations?: number;
  /** Stop when all vertices are within this of the best in every coordinate (default 1e-8). */
  readonly xTolerance?: number;
  /** ... and all values within this of the best value (default 1e-10). */
  readonly fTolerance?: number;
  /** Initial simplex step per coordinate (default 0.1 for each, or 5% of |x0_i| if larger). */
  readonly initialStep?: number | readonly number[];
}

/** Outcome of a minimisation. */
export interface MinimizeResult {
  /** The best point found. */
  readonly x: number[];
  /** Objective value at x. */
  readonly f: number;
  readonly iterations: number;
  readonly evaluations: number;
  /** True when the tolerance test passed (not stopped by an iteration or evaluation cap). */
  readonly converged: boolean;
}

/**
 * Minimises f from x0 with the Nelder–Mead simplex method.
 *
 * @example
 * nelderMead((x) => (x[0]! - 3) ** 2, [0]).x[0]; // ≈ 3
 */
export function nelderMead(
  f: (x: readonly number[]) => number,
  x0: readonly number[],
  options: NelderMeadOptions = {},
): MinimizeResult {
  const n = x0.length;
  if (n === 0) throw new RangeError('nelderMead: empty starting point');
  const maxIterations = options.maxIterations ?? 200 * n;
  const maxEvaluations = options.maxEvaluations ?? 400 * n;
  const xTol = options.xTolerance ?? 1e-8;
  const fTol = options.fTolerance ?? 1e-10;
  const rho = 1;
  const chi = 1 + 2 / n;
  const gamma = 0.75 - 1 / (2 * n);
  const sigma = 1 - 1 / n;

  let evaluations = 0;
  const evaluate = (x: readonly number[]): number => {
    evaluations++;
    const v = f(x);
    return Number.isFinite(v) ? v : Number.POSITIVE_INFINITY;
  };

  const step = (i: number): number => {
    const s = options.initialStep;
    if (typeof s === 'number') return s;
    if (s !== undefined) return s[i] ?? 0.1;
    return Math.max(0.1, 0.05 * Math.abs(x0[i]!));
  };

  const simplex: number[][] = [x0.slice()];
  for (let i = 0; i < n; i++) {
    const v = x0.slice();
    v[i] = v[i]! + step(i);
    simplex.push(v);
  }
  const values = simplex.map(evaluate);
  const order = (): void => {
    const idx = simplex.map((_, i) => i).sort((a, b) => values[a]! - values[b]! || a - b);
    const s = idx.map((i) => simplex[i]!);
    const v = idx.map((i) => values[i]!);
    for (let i = 0; i <= n; i++) {
      simplex[i] = s[i]!;
      values[i] = v[i]!;
    }
  };
  order();

  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations && evaluations < maxEvaluations) {
    // Convergence test.
    let xSpread = 0;
    let fSpread = 0;
    for (let i = 1; i <= n; i++) {
      fSpread = Math.max(fSpread, Math.abs(values[i]! - values[0]!));
      for (let j = 0; j < n; j++) xSpread = Math.max(xSpread, Math.abs(simplex[i]![j]! - simplex[0]![j]!));
    }
    if (xSpread <= xTol && fSpread <= fTol) {
      converged = true;
      break;
    }
    iterations++;

    // Centroid of all but the worst vertex.
    const centroid = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) centroid[j]! += simplex[i]![j]! / n;
    const worst = simplex[n]!;
    const along = (t: number): number[] => centroid.map((c, j) => c + t * (c - worst[j]!));

    const xr = along(rho);
    const fr = evaluate(xr);
    if (fr < values[0]!) {
      const xe = along(rho * chi);
      const fe = evaluate(xe);
      if (fe < fr) {
        simplex[n] = xe;
        values[n] = fe;
      } else {
        simplex[n] = xr;
        values[n] = fr;
      }
    } else if (fr < values[n - 1]!) {
      simplex[n] = xr;
      values[n] = fr;
    } else {
      let shrink = false;
      if (fr < values[n]!) {
        // Outside contraction.
        const xc = along(rho * gamma);
        const fc = evaluate(xc);
        if (fc <= fr) {
          simplex[n] = xc;
          values[n] = fc;
        } else shrink = true;
      } else {
        // Inside contraction.
        const xcc = along(-gamma);
        const fcc = evaluate(xcc);
        if (fcc < values[n]!) {
          simplex[n] = xcc;
          values[n] = fcc;
        } else shrink = true;
      }
      if (shrink) {
        const best = simplex[0]!;
        for (let i = 1; i <= n; i++) {
          simplex[i] = simplex[i]!.map((v, j) => best[j]! + sigma * (v - best[j]!));
          values[i] = evaluate(simplex[i]!);
        }
      }
    }
    order();
  }
  return { x: simplex[0]!.slice(), f: values[0]!, iterations, evaluations, converged };
}

/** Options of {@link minimizeMultiStart}. */
export interface MultiStartOptions extends NelderMeadOptions {
  /** Restarts of the best result (a fresh simplex around it) while it improves (default 3). */
  readonly maxRestarts?: number;
}

/**
 * Runs Nelder–Mead from each start (in order), keeps the best, then restarts from the best
 * point with a fresh simplex until the value stops improving by more than `fTolerance`.
 * Returns the best result; `evaluations` and `iterations` are totals over all runs.
 *
 * @example
 * minimizeMultiStart(([x]) => Math.cos(3 * x!) + 0.1 * x! * x!, [[-2], [0.5], [2]]).x; // ≈ [±1.0]
 */
export function minimizeMultiStart(
  f: (x: readonly number[]) => number,
  starts: readonly (readonly number[])[],
  options: MultiStartOptions = {},
): MinimizeResult {
  if (starts.length === 0) throw new RangeError('minimizeMultiStart: no starting points');
  const fTol = options.fTolerance ?? 1e-10;
  let best: MinimizeResult | undefined;
  let evaluations = 0;
  let iterations = 0;
  for (const s of starts) {
    const r = nelderMead(f, s, options);
    evaluations += r.evaluations;
    iterations += r.iterations;
    if (best === undefined || r.f < best.f) best = r;
  }
  let current = best!;
  const maxRestarts = options.maxRestarts ?? 3;
  for (let k = 0; k < maxRestarts; k++) {
    const r = nelderMead(f, current.x, options);
    evaluations += r.evaluations;
    iterations += r.iterations;
    const improved = r.f < current.f - fTol;
    if (r.f <= current.f) current = r;
    if (!improved) break;
  }
  return { ...current, evaluations, iterations };
}
