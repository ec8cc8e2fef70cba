/** Seeded synthetic price paths and Monte Carlo first-passage estimates. */
export * from './first-passage-mc.ts';
export * from './garch.ts';
export * from './gbm.ts';
export * from './intervals.ts';
export * from './merton.ts';
export * from './regime.ts';
export * from './samplers.ts';
