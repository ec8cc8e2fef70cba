/**
 * ISDA SIMM v2.5 parameters (10-day margin period of risk, calculation currency USD) for the
 * Equity, Commodity and FX risk classes: the published risk weights, correlations, historical
 * volatility ratios and concentration thresholds.
 *
 * Source: ISDA SIMM v2.5 public methodology (Appendix 1), as transcribed in OpenSourceRisk/Engine
 *   OREAnalytics/orea/simm/simmconfigurationisdav2_5.cpp  @ 13364a2298787524a1c1e90f6c230384942887b4
 *   OREAnalytics/orea/simm/simmconcentrationisdav2_5.cpp @ 20800dda9be4bcff886aa5e9cf35267b02a1e17b
 * (Modified BSD). Numbers only; checked against ISDA's own unit tests in simm-standard.test.ts.
 * Thresholds are in USD millions, as published.
 */

export interface SimmRiskClassParams {
  /** Bucket names in table order (the inter-bucket matrix follows this order). */
  buckets: readonly string[];
  /** A bucket aggregated on its own and added to the margin (SIMM's "Residual"), if any. */
  residual?: string;
  /** Delta risk weight per bucket (applied to a 1% sensitivity, so 26 means 26%). */
  deltaRw: Readonly<Record<string, number>>;
  /** Correlation between two different qualifiers of one bucket. */
  intraRho: Readonly<Record<string, number>>;
  /** γ between two non-residual buckets, symmetric, in `buckets` order. */
  gamma: readonly (readonly number[])[];
  /** Delta concentration threshold per bucket, USD millions. */
  deltaThresholdMm: Readonly<Record<string, number>>;
  /** Vega risk weight per bucket. */
  vegaRw: Readonly<Record<string, number>>;
  /** Historical volatility ratio applied to vega risk. */
  hvr: number;
  /** Vega concentration threshold per bucket, USD millions. */
  vegaThresholdMm: Readonly<Record<string, number>>;
  /** Buckets whose curvature exposure is zero. */
  noCurvature?: readonly string[];
}

/** Build a symmetric matrix with unit diagonal from its upper triangle (row i holds j > i). */
function symmetric(upper: readonly (readonly number[])[]): number[][] {
  const n = upper.length + 1;
  const m: number[][] = Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)),
  );
  upper.forEach((row, i) => {
    if (row.length !== n - 1 - i)
      throw new Error(`simm-v2_5: triangle row ${i + 1} has ${row.length} entries`);
    row.forEach((v, k) => {
      m[i]![i + 1 + k] = v;
      m[i + 1 + k]![i] = v;
    });
  });
  return m;
}

function byBucket(buckets: readonly string[], values: readonly number[]): Record<string, number> {
  if (values.length !== buckets.length) throw new Error('simm-v2_5: table length mismatch');
  return Object.fromEntries(buckets.map((b, i) => [b, values[i]!]));
}

const EQ_BUCKETS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'] as const;
const EQ_ALL = [...EQ_BUCKETS, 'Residual'] as const;

export const SIMM_V2_5_EQUITY: SimmRiskClassParams = {
  buckets: EQ_BUCKETS,
  residual: 'Residual',
  deltaRw: byBucket(EQ_ALL, [26, 28, 34, 28, 23, 25, 29, 27, 32, 32, 18, 18, 34]),
  // Residual: 0 between different qualifiers (SIMM v2.5 Appendix 1).
  intraRho: byBucket(EQ_ALL, [0.18, 0.23, 0.3, 0.26, 0.23, 0.35, 0.36, 0.33, 0.19, 0.2, 0.45, 0.45, 0]),
  gamma: symmetric([
    [0.2, 0.2, 0.2, 0.13, 0.16, 0.16, 0.16, 0.17, 0.12, 0.18, 0.18],
    [0.25, 0.23, 0.14, 0.17, 0.18, 0.17, 0.19, 0.13, 0.19, 0.19],
    [0.24, 0.13, 0.17, 0.18, 0.16, 0.2, 0.13, 0.18, 0.18],
    [0.17, 0.22, 0.22, 0.22, 0.21, 0.16, 0.24, 0.24],
    [0.27, 0.26, 0.27, 0.15, 0.2, 0.3, 0.3],
    [0.34, 0.33, 0.18, 0.24, 0.38, 0.38],
    [0.32, 0.18, 0.24, 0.37, 0.37],
    [0.18, 0.23, 0.37, 0.37],
    [0.14, 0.2, 0.2],
    [0.25, 0.25],
    [0.45],
  ]),
  deltaThresholdMm: byBucket(EQ_ALL, [10, 10, 10, 10, 21, 21, 21, 21, 1.4, 0.6, 2100, 2100, 0.6]),
  vegaRw: byBucket(EQ_ALL, [0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.96, 0.45]),
  hvr: 0.58,
  vegaThresholdMm: byBucket(EQ_ALL, [210, 210, 210, 210, 1300, 1300, 1300, 1300, 40, 200, 5900, 5900, 40]),
  // SIMM v2.5 paragraph 11(b): volatility indices (bucket 12) have zero curvature exposure.
  noCurvature: ['12'],
};

const CM_BUCKETS = [
  '1',
  '2',
  '3',
  '4',
  '5',
  '6',
  '7',
  '8',
  '9',
  '10',
  '11',
  '12',
  '13',
  '14',
  '15',
  '16',
  '17',
];

export const SIMM_V2_5_COMMODITY: SimmRiskClassParams = {
  buckets: CM_BUCKETS,
  deltaRw: byBucket(CM_BUCKETS, [27, 29, 33, 25, 35, 24, 40, 53, 44, 58, 20, 21, 13, 16, 13, 58, 17]),
  intraRho: byBucket(
    CM_BUCKETS,
    [0.84, 0.98, 0.96, 0.97, 0.98, 0.88, 0.98, 0.49, 0.8, 0.46, 0.55, 0.46, 0.66, 0.18, 0.21, 0, 0.36],
  ),
  gamma: symmetric([
    [0.33, 0.21, 0.27, 0.29, 0.21, 0.48, 0.16, 0.41, 0.23, 0.18, 0.02, 0.21, 0.19, 0.15, 0, 0.24],
    [0.94, 0.94, 0.89, 0.21, 0.19, 0.13, 0.21, 0.21, 0.41, 0.27, 0.31, 0.29, 0.21, 0, 0.6],
    [0.91, 0.85, 0.12, 0.2, 0.09, 0.19, 0.2, 0.36, 0.18, 0.22, 0.23, 0.23, 0, 0.54],
    [0.84, 0.14, 0.24, 0.13, 0.21, 0.19, 0.39, 0.25, 0.23, 0.27, 0.18, 0, 0.59],
    [0.15, 0.17, 0.09, 0.16, 0.21, 0.38, 0.28, 0.28, 0.27, 0.18, 0, 0.55],
    [0.33, 0.53, 0.26, 0.09, 0.21, 0.04, 0.11, 0.1, 0.09, 0, 0.24],
    [0.31, 0.72, 0.24, 0.14, -0.12, 0.19, 0.14, 0.08, 0, 0.24],
    [0.24, 0.04, 0.13, -0.07, 0.04, 0.06, 0.01, 0, 0.16],
    [0.21, 0.18, -0.07, 0.12, 0.12, 0.1, 0, 0.21],
    [0.14, 0.11, 0.11, 0.1, 0.07, 0, 0.14],
    [0.28, 0.3, 0.25, 0.18, 0, 0.38],
    [0.18, 0.18, 0.08, 0, 0.21],
    [0.34, 0.16, 0, 0.34],
    [0.13, 0, 0.26],
    [0, 0.21],
    [0],
  ]),
  deltaThresholdMm: byBucket(
    CM_BUCKETS,
    [310, 2100, 1700, 1700, 1700, 3200, 3200, 2700, 2700, 52, 530, 1600, 100, 100, 100, 52, 4000],
  ),
  vegaRw: byBucket(
    CM_BUCKETS,
    CM_BUCKETS.map(() => 0.6),
  ),
  hvr: 0.69,
  vegaThresholdMm: byBucket(
    CM_BUCKETS,
    [210, 2700, 290, 290, 290, 5000, 5000, 920, 920, 100, 350, 720, 500, 500, 500, 65, 65],
  ),
};

/** ψ between risk classes in one product class (only the pair these tables cover). */
export const SIMM_V2_5_PSI_EQUITY_COMMODITY = 0.49;

/** SIMM vol tenors (label1) in days: 1m = 365/12, 1y = 365 (as in the curvature scaling function). */
export const SIMM_TENOR_DAYS: Readonly<Record<string, number>> = {
  '2w': 14,
  '1m': 365 / 12,
  '3m': 365 / 4,
  '6m': 365 / 2,
  '1y': 365,
  '2y': 730,
  '3y': 1095,
  '5y': 1825,
  '10y': 3650,
  '15y': 5475,
  '20y': 7300,
  '30y': 10950,
};

/**
 * FX risk class, calculation currency USD (a regular-volatility currency). Delta risk factors are
 * currencies, vega risk factors currency pairs; one bucket.
 */
export const SIMM_V2_5_FX = {
  /** High-volatility currency group; every other currency is regular. */
  highVol: ['BRL', 'RUB', 'TRY', 'ZAR'] as readonly string[],
  /**
   * Risk weight by [volatility group of the calculation currency][group of the qualifier]
   * (0 regular, 1 high). For vega, σ of a pair uses [group of one currency][group of the other].
   */
  rw: [
    [7.4, 13.6],
    [13.6, 14.6],
  ] as readonly (readonly number[])[],
  /** Delta correlation by [group][group] when the calculation currency is regular-volatility. */
  deltaCorrRegularCalc: [
    [0.5, 0.27],
    [0.27, 0.42],
  ] as readonly (readonly number[])[],
  /** Correlation between two currency pairs' vega (and, squared, curvature). */
  vegaCorr: 0.5,
  vegaRw: 0.47,
  hvr: 0.52,
  /** Concentration categories: 1 significantly traded, 2 frequently traded, 3 all others. */
  category1: ['USD', 'EUR', 'JPY', 'GBP', 'AUD', 'CHF', 'CAD'] as readonly string[],
  category2: [
    'BRL',
    'CNY',
    'HKD',
    'INR',
    'KRW',
    'MXN',
    'NOK',
    'NZD',
    'RUB',
    'SEK',
    'SGD',
    'TRY',
    'ZAR',
  ] as readonly string[],
  /** Delta threshold by category 1..3, USD millions. */
  deltaThresholdMm: [5100, 1200, 190] as readonly number[],
  /**
   * Vega threshold by the categories of the pair's two currencies, USD millions (ORE lists them as
   * FXVol buckets 1-6; this pairing of categories reproduces ISDA's C344-C349).
   */
  vegaThresholdMm: { '1-1': 2800, '1-2': 1300, '1-3': 550, '2-2': 490, '2-3': 310, '3-3': 200 } as Readonly<
    Record<string, number>
  >,
} as const;

/** ψ between FX and the Equity / Commodity risk classes (same product class only). */
export const SIMM_V2_5_PSI_FX_EQUITY = 0.35;
export const SIMM_V2_5_PSI_FX_COMMODITY = 0.41;
