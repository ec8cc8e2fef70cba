/**
 * Scenario grids for portfolio margin (risk matrix), as validated configuration.
 *
 * A scenario moves every underlying's price by a fraction and shocks every option's implied
 * volatility; the account is fully revalued in each (risk-matrix.ts). The grid is data:
 *
 *   core      priceMoves × volShocks, weight 1. priceMoves are multiples of the underlying's
 *             price range R_u (±1 = ±R_u), so one grid serves BTC (R = 16%) and a wider-ranged
 *             coin alike; volShocks are signed multiples of the vol range (+1 up, −1 down, 0 same).
 *   extended  extra scenarios, each {move, unit: 'range' | 'absolute', volShock, weight}: the
 *             crypto venues' extended table (−66% … +500%, vol up, P&L dampened by a weight) or
 *             SPAN's two extreme moves (±3 × range, vol unchanged, 35% of the loss counted).
 *
 * Volatility shock for an option with d days to expiry (σ its implied vol):
 *
 *   k(d)  = 1                                             timeScaling 'none'
 *         = min((ref / max(d, minDays))^p, maxFactor),    timeScaling 'power',
 *           p = shortPower if d < ref else longPower
 *   up    (v > 0)  relative: σ' = max(σ·(1 + v·up·k), minVolUp)   absolute: σ + v·up·k
 *   down  (v < 0)  relative: σ' = max(σ·(1 + v·down·k), floor)    absolute: max(σ + v·down·k, floor)
 *
 * Deribit publishes exactly this shape ("maximum implied volatility change of
 * (30/days to expiration)^0.30 × 38%"; earlier √(30/days) × 40%, i.e. p = 0.5), Paradex too
 * (σ·(1 + shock·(30/max(floor, DTE))^p), p = 0.30 below 30 days, 0.13 from 30 days).
 *
 * Presets (sources in docs/portfolio-margin.md and test/vectors/portfolio_margin_published.json):
 *   crypto-pm   Deribit's methodology: ±16% in 9 buckets × vol up/same/down (vol range up 50%,
 *               down 25%, min vol 50% on shock up, vega power 0.30/0.13 around 30 days), the
 *               extended table −66%…+500% on vol up with weight 0.16/|move|, Paradex's minimum
 *               delta requirement as a floor, Deribit's 0.01-per-net-short-option-per-strike
 *               contingency, MM = 50% of IM.
 *   paradex-pm  Paradex's published 24-scenario table verbatim (vol +40% / −22%).
 *   span-16     CME SPAN's 16 scenarios: 0, ±1/3, ±2/3, ±3/3 of the price scan range × vol up/down,
 *               then ±3 × range with vol unchanged at 35% weight; one day of time decay; short
 *               option minimum as a floor; IM = 110% of MM.
 */
import { z } from 'zod';
import { InvariantError } from '../num/index.ts';

const fraction = z.number().min(0).max(1);

export const TimeScalingSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }),
  z.object({
    kind: z.literal('power'),
    /** Days at which k = 1 (30 for Deribit and Paradex). */
    referenceDays: z.number().positive().default(30),
    /** Exponent below referenceDays. */
    shortPower: z.number().min(0).max(2),
    /** Exponent from referenceDays on. */
    longPower: z.number().min(0).max(2),
    /** Days floor (Paradex "DTE floor"): expiries closer than this scale as this. */
    minDays: z.number().positive().default(1),
    /** Optional cap on k. */
    maxFactor: z.number().positive().optional(),
  }),
]);
export type TimeScaling = z.output<typeof TimeScalingSchema>;

export const VolShockSchema = z.object({
  /** relative: σ·(1 ± shock); absolute: σ ± shock (vol as a fraction, 0.05 = 5 vol points). */
  mode: z.enum(['relative', 'absolute']).default('relative'),
  /** Magnitude of the up shock (volShock = +1). */
  up: z.number().min(0).max(10),
  /** Magnitude of the down shock (volShock = −1). */
  down: z.number().min(0).max(10),
  /** Vol after an up shock is at least this (Deribit "min vol for shock up"); 0 = none. */
  minVolUp: z.number().min(0).max(10).default(0),
  /** Vol after a down shock is at least this. */
  floor: z.number().min(0).max(10).default(0),
  timeScaling: TimeScalingSchema.default({ kind: 'none' }),
});
export type VolShockConfig = z.output<typeof VolShockSchema>;

export const ExtraScenarioSchema = z.object({
  id: z.string().min(1).max(64).optional(),
  /** Price move: a multiple of the price range (unit 'range') or a fraction (unit 'absolute'). */
  move: z.number().min(-100).max(100),
  unit: z.enum(['range', 'absolute']),
  /** Signed multiple of the vol range: +1 up, 0 same, −1 down. */
  volShock: z.number().min(-1).max(1).default(0),
  /** Fraction of the scenario's P&L counted (the dampener / SPAN's cover fraction). */
  weight: fraction.default(1),
  /** Label only: 'extended' (default) or 'core' for a grid listed scenario by scenario. */
  kind: z.enum(['core', 'extended']).default('extended'),
});

export const ContingencyModeSchema = z.enum(['addOn', 'floor']);

export const PortfolioMarginConfigSchema = z
  .object({
    name: z.string().min(1).max(64),
    core: z.object({
      /** Multiples of the price range, e.g. [−1, −0.75, …, 1]. */
      priceMoves: z.array(z.number().min(-100).max(100)).max(200),
      /** Signed multiples of the vol range, e.g. [1, 0, −1]. */
      volShocks: z.array(z.number().min(-1).max(1)).max(20),
    }),
    extended: z.array(ExtraScenarioSchema).max(200).default([]),
    priceRange: z.object({
      /** Price range R as a fraction of the price (0.16 = ±16%). */
      default: z.number().positive().max(10),
      byUnderlying: z.record(z.string().min(1).max(64), z.number().positive().max(10)).default({}),
    }),
    vol: VolShockSchema,
    /** Days of time decay inside every scenario (SPAN's look-ahead); 0 = none. */
    lookaheadDays: z.number().min(0).max(30).default(0),
    /**
     * Delta contingency per underlying: (netRate·|net delta| + hedgedRate·hedged delta) × S, with
     * hedged = (gross − |net|)/2 (Paradex). 'addOn' adds it to the scan risk, 'floor' takes the max.
     */
    deltaContingency: z
      .object({ netRate: fraction, hedgedRate: fraction.default(0), mode: ContingencyModeSchema })
      .nullable()
      .default(null),
    /**
     * Short option minimum per underlying: ratePerContract × S per short option contract
     * (netPerStrike: calls and puts of one strike and expiry net first, as Deribit counts).
     */
    shortOptionMinimum: z
      .object({
        ratePerContract: fraction,
        netPerStrike: z.boolean().default(false),
        mode: ContingencyModeSchema,
      })
      .nullable()
      .default(null),
    /** MM = maintenanceFraction × IM. */
    maintenanceFraction: z.number().gt(0).max(1),
    /**
     * Correlated pairs margined together: group requirement = (1 − credit)·(scan_a + scan_b)
     * + credit·joint, joint = the worst loss with both moved in the same scenario. `beta` is
     * b's move per unit move of a, used by distanceToLiquidation. An underlying is in at most one pair.
     */
    correlations: z
      .array(
        z.object({
          a: z.string().min(1).max(64),
          b: z.string().min(1).max(64),
          credit: fraction,
          beta: z.number().min(-10).max(10).default(1),
        }),
      )
      .max(100)
      .default([]),
  })
  .superRefine((c, ctx) => {
    if (c.core.priceMoves.length * c.core.volShocks.length + c.extended.length === 0)
      ctx.addIssue({ code: 'custom', message: 'no scenarios' });
    const ranges = [c.priceRange.default, ...Object.values(c.priceRange.byUnderlying)];
    const rangeMoves = [
      ...c.core.priceMoves,
      ...c.extended.filter((e) => e.unit === 'range').map((e) => e.move),
    ];
    const absMoves = c.extended.filter((e) => e.unit === 'absolute').map((e) => e.move);
    const lowest = Math.min(...rangeMoves.flatMap((m) => ranges.map((r) => m * r)), ...absMoves);
    if (!(lowest > -1))
      ctx.addIssue({ code: 'custom', message: `a scenario moves a price by ${lowest} ≤ −100%` });
    const seen = new Set<string>();
    for (const p of c.correlations) {
      if (p.a === p.b)
        ctx.addIssue({ code: 'custom', message: `correlation pair ${p.a}/${p.b} repeats itself` });
      for (const u of [p.a, p.b]) {
        if (seen.has(u))
          ctx.addIssue({ code: 'custom', message: `${u} is in more than one correlation pair` });
        seen.add(u);
      }
    }
  });
export type PortfolioMarginConfig = z.output<typeof PortfolioMarginConfigSchema>;
export type PortfolioMarginConfigInput = z.input<typeof PortfolioMarginConfigSchema>;

/** Validate a configuration; issues are "path: message". */
export function parsePortfolioMarginConfig(
  input: unknown,
): { ok: true; value: PortfolioMarginConfig } | { ok: false; issues: string[] } {
  const r = PortfolioMarginConfigSchema.safeParse(input);
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, issues: r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`) };
}
/** Validate a configuration or throw zod's error. */
export function parsePortfolioMarginConfigUnsafe(input: unknown): PortfolioMarginConfig {
  return PortfolioMarginConfigSchema.parse(input);
}

// ---- scenario templates ----

export interface ScenarioTemplate {
  /** Position in the matrix (0-based). */
  index: number;
  /** Stable label, e.g. "-75%R/vol+1" or "ext:+500%". */
  id: string;
  kind: 'core' | 'extended';
  move: number;
  unit: 'range' | 'absolute';
  volShock: number;
  weight: number;
}

const pct = (x: number) => `${x > 0 ? '+' : ''}${Number((x * 100).toFixed(4))}%`;

/** The scenarios of a configuration, in matrix order: core (price-major), then extended. */
export function scenarioTemplates(config: PortfolioMarginConfig): ScenarioTemplate[] {
  const out: ScenarioTemplate[] = [];
  for (const move of config.core.priceMoves) {
    for (const volShock of config.core.volShocks) {
      out.push({
        index: out.length,
        id: `${pct(move)}R/vol${volShock > 0 ? '+' : ''}${volShock}`,
        kind: 'core',
        move,
        unit: 'range',
        volShock,
        weight: 1,
      });
    }
  }
  for (const e of config.extended) {
    out.push({
      index: out.length,
      id:
        e.id ??
        `ext:${e.unit === 'range' ? `${pct(e.move)}R` : pct(e.move)}/vol${e.volShock > 0 ? '+' : ''}${e.volShock}`,
      kind: e.kind,
      move: e.move,
      unit: e.unit,
      volShock: e.volShock,
      weight: e.weight,
    });
  }
  return out;
}

/** Price range R of an underlying. */
export function priceRangeOf(config: PortfolioMarginConfig, underlying: string): number {
  return config.priceRange.byUnderlying[underlying] ?? config.priceRange.default;
}

/** The fractional price move of a scenario for an underlying with range R. */
export function resolvedMove(s: ScenarioTemplate, range: number): number {
  const m = s.unit === 'range' ? s.move * range : s.move;
  if (!(m > -1)) throw new InvariantError(`portfolio: scenario ${s.id} moves a price by ${m} ≤ −100%`);
  return m;
}

/** k(d): the vol-shock multiplier for an option with `days` to expiry (see the header). */
export function volShockTimeFactor(scaling: TimeScaling, days: number): number {
  if (scaling.kind === 'none') return 1;
  const d = Math.max(days, scaling.minDays);
  const p = d < scaling.referenceDays ? scaling.shortPower : scaling.longPower;
  const k = (scaling.referenceDays / d) ** p;
  return scaling.maxFactor === undefined ? k : Math.min(k, scaling.maxFactor);
}

/** σ after a vol shock v ∈ [−1, 1] for an option with `days` to expiry (see the header). */
export function shockedVol(cfg: VolShockConfig, vol: number, volShock: number, days: number): number {
  if (volShock === 0) return vol;
  const k = volShockTimeFactor(cfg.timeScaling, days);
  if (volShock > 0) {
    const up = cfg.mode === 'relative' ? vol * (1 + volShock * cfg.up * k) : vol + volShock * cfg.up * k;
    return Math.max(up, cfg.minVolUp);
  }
  const down = cfg.mode === 'relative' ? vol * (1 + volShock * cfg.down * k) : vol + volShock * cfg.down * k;
  return Math.max(down, cfg.floor, 0);
}

// ---- presets ----

/** Deribit's extended-table moves (support.deribit.com, "Portfolio Margin"). */
export const EXTENDED_TABLE_MOVES = [-0.66, -0.33, 0.5, 1, 2, 3, 4, 5] as const;

/**
 * Dampened weight of an extended move: range / |move| (Paradex publishes 24%, 48%, 32%, 16%, 8%,
 * 5.33%, 4%, 3.2% for range 16%). A linear position then loses, weighted, exactly what it loses
 * at the edge of the range: the tail scenarios only bite on convex (short option) books.
 */
export function dampenedWeight(range: number, move: number): number {
  return Math.min(1, range / Math.abs(move));
}

export type PortfolioPresetId = 'crypto-pm' | 'paradex-pm' | 'span-16';

const nineBuckets = [-1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75, 1];

/** Deribit-style portfolio margin for crypto options (see the header and docs/portfolio-margin.md). */
export function cryptoPmPreset(): PortfolioMarginConfig {
  return parsePortfolioMarginConfigUnsafe({
    name: 'crypto-pm',
    core: { priceMoves: nineBuckets, volShocks: [1, 0, -1] },
    extended: EXTENDED_TABLE_MOVES.map((move) => ({
      move,
      unit: 'absolute',
      volShock: 1,
      weight: dampenedWeight(0.16, move),
    })),
    priceRange: { default: 0.16 },
    vol: {
      mode: 'relative',
      up: 0.5,
      down: 0.25,
      minVolUp: 0.5,
      timeScaling: { kind: 'power', referenceDays: 30, shortPower: 0.3, longPower: 0.13, minDays: 1 },
    },
    deltaContingency: { netRate: 0.02, hedgedRate: 0.01, mode: 'floor' },
    shortOptionMinimum: { ratePerContract: 0.01, netPerStrike: true, mode: 'addOn' },
    maintenanceFraction: 0.5,
  } satisfies PortfolioMarginConfigInput);
}

/** Paradex's published portfolio margin table, verbatim (docs.paradex.trade/risk/portfolio-margin). */
export function paradexPmPreset(): PortfolioMarginConfig {
  const inner = [0.75, 0.5, 0.25, 0, -0.25, -0.5, -0.75];
  const core = [
    { move: 1, volShock: 1 },
    ...inner.flatMap((move) => [
      { move, volShock: 1 },
      { move, volShock: -1 },
    ]),
    { move: -1, volShock: 1 },
  ].map((s) => ({ ...s, unit: 'range' as const, weight: 1, kind: 'core' as const }));
  const tail = EXTENDED_TABLE_MOVES.map((move) => ({
    move,
    unit: 'absolute' as const,
    volShock: 1,
    weight: dampenedWeight(0.16, move),
  }));
  return parsePortfolioMarginConfigUnsafe({
    name: 'paradex-pm',
    // Paradex lists its 24 scenarios one by one (±16% only with vol up), so no product grid.
    core: { priceMoves: [], volShocks: [] },
    extended: [...core, ...tail].map((s, i) => ({ ...s, id: `S${i + 1}` })),
    priceRange: { default: 0.16 },
    vol: {
      mode: 'relative',
      up: 0.4,
      down: 0.22,
      timeScaling: { kind: 'power', referenceDays: 30, shortPower: 0.3, longPower: 0.13, minDays: 1 },
    },
    deltaContingency: { netRate: 0.02, hedgedRate: 0.01, mode: 'floor' },
    maintenanceFraction: 0.5,
  } satisfies PortfolioMarginConfigInput);
}

/**
 * CME SPAN's 16 risk scenarios. `priceScanRange` and `volScanRange` (relative) are per product
 * at a SPAN venue; the defaults here are illustrative. `extremeMultiple` 3 (CME's extreme move
 * of three price scan ranges at 35%); the classic published table uses 2.
 */
export function span16Preset(
  opts: {
    priceScanRange?: number;
    volScanRange?: number;
    extremeMultiple?: number;
    shortOptionMinimumRate?: number;
  } = {},
): PortfolioMarginConfig {
  const x = opts.extremeMultiple ?? 3;
  return parsePortfolioMarginConfigUnsafe({
    name: 'span-16',
    core: { priceMoves: [0, 1 / 3, -1 / 3, 2 / 3, -2 / 3, 1, -1], volShocks: [1, -1] },
    extended: [
      { id: 'extreme:up', move: x, unit: 'range', volShock: 0, weight: 0.35 },
      { id: 'extreme:down', move: -x, unit: 'range', volShock: 0, weight: 0.35 },
    ],
    priceRange: { default: opts.priceScanRange ?? 0.1 },
    vol: { mode: 'relative', up: opts.volScanRange ?? 0.35, down: opts.volScanRange ?? 0.35 },
    lookaheadDays: 1,
    shortOptionMinimum: {
      ratePerContract: opts.shortOptionMinimumRate ?? 0.005,
      netPerStrike: false,
      mode: 'floor',
    },
    maintenanceFraction: 1 / 1.1,
  } satisfies PortfolioMarginConfigInput);
}

/** A preset by id. */
export function portfolioPreset(id: PortfolioPresetId): PortfolioMarginConfig {
  switch (id) {
    case 'crypto-pm':
      return cryptoPmPreset();
    case 'paradex-pm':
      return paradexPmPreset();
    case 'span-16':
      return span16Preset();
  }
}
