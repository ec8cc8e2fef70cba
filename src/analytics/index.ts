/**
 * Risk science (float64): volatility forecasts, first-passage liquidation probabilities and
 * account risk scores. Pure: no I/O, no clock, no randomness.
 */
export * from './first-passage.ts';
export * from './score.ts';
export * from './volatility/index.ts';
