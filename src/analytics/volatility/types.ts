/**
 * What every volatility forecaster produces once fitted: a term structure of variance.
 *
 * Units: a "period" is the sampling interval of the series the model was fitted on (a day
 * for daily returns, an hour for hourly ones). Variances are of log returns per period
 * (a daily return of 2% has squared return 0.0004). To annualise a one-period variance v
 * from daily data, multiply by 365 (crypto trades every day): σ_year = √(365·v).
 */
export interface VarianceForecast {
  /**
   * Conditional variance of the single-period return h periods ahead, E_T[r²_{T+h}]
   * (h = 1 is the next period). h is a positive integer.
   */
  forecast(h: number): number;
  /** Variance of the sum of the next h returns, Σ_{k=1..h} forecast(k) (returns uncorrelated). */
  cumulativeVariance(h: number): number;
}

/** A model that can be fitted to a series (returns, or realised variances for HAR). */
export interface VarianceModel<F extends VarianceForecast = VarianceForecast> {
  readonly name: string;
  fit(series: ArrayLike<number>): F;
}

/** Checks the horizon argument of forecast(h): a positive integer. */
export function assertHorizon(h: number): void {
  if (!(Number.isInteger(h) && h >= 1))
    throw new RangeError(`forecast horizon must be an integer >= 1, got ${h}`);
}

/** Checks that a series is non-empty and finite. */
export function assertSeries(series: ArrayLike<number>, what: string, minLength = 1): void {
  if (series.length < minLength)
    throw new RangeError(`${what}: need at least ${minLength} observations, got ${series.length}`);
  for (let i = 0; i < series.length; i++)
    if (!Number.isFinite(series[i]))
      throw new RangeError(`${what}: observation ${i} is not finite (${series[i]})`);
}

/**
 * Annualised volatility implied by a variance forecast over the next h periods:
 * σ_year = √(Σ_{k=1..h} σ²_{T+k} · periodsPerYear / h), the σ to feed the first-passage
 * formulas for a horizon of h periods.
 *
 * @param periodsPerYear 365 for daily data, 8760 for hourly (crypto trades every day)
 * @example
 * annualizedVolatility(fitGarch(dailyReturns), 7, 365); // σ per √year over the next week
 */
export function annualizedVolatility(forecast: VarianceForecast, h: number, periodsPerYear: number): number {
  assertHorizon(h);
  if (!(periodsPerYear > 0)) throw new RangeError(`periodsPerYear must be > 0, got ${periodsPerYear}`);
  return Math.sqrt((forecast.cumulativeVariance(h) * periodsPerYear) / h);
}
