/** Volatility forecasters: EWMA, GARCH(1,1), HAR-RV, and their losses. */
export * from './ewma.ts';
export * from './garch.ts';
export * from './har.ts';
export * from './linalg.ts';
export * from './losses.ts';
export * from './optimize.ts';
export * from './types.ts';
