/**
 * `plimsoll/oracle`: the guarded price path — index from several sources (median,
 * staleness, deviation), mark price, circuit breaker and safe mode (docs/oracle.md).
 */
export * from '../core/oracle/index.ts';
