/**
 * The oracle layer (pure): from source observations to a guarded index and mark,
 * with circuit breaker and safe mode. See docs/oracle.md.
 */
export * from './breaker.ts';
export * from './codec.ts';
export * from './config.ts';
export * from './confirmation.ts';
export * from './decay.ts';
export * from './errors.ts';
export * from './im-price.ts';
export * from './index-price.ts';
export * from './mark.ts';
export * from './median.ts';
export * from './observation.ts';
export * from './oracle.ts';
export * from './safe-mode.ts';
export * from './state.ts';
export * from './twap.ts';
