/** Volatility research drivers: real histories, out-of-sample comparison, Diebold–Mariano. */
export * from './compare.ts';
export * from './data.ts';
export * from './diebold-mariano.ts';
