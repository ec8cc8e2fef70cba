/**
 * Portfolio margin: standard per-position options margin, scenario (risk-matrix) portfolio
 * margin with configurable grids and presets, liquidation ordering and distance to liquidation.
 * Pure float64 screening and valuation (see model.ts); docs/portfolio-margin.md.
 */
export * from './deribit-pm.ts';
export * from './derive-pmrm.ts';
export * from './file.ts';
export * from './liquidation-order.ts';
export * from './model.ts';
export * from './risk-matrix.ts';
export * from './scenarios.ts';
export * from './simm.ts';
export * from './simm-standard.ts';
export * from './simm-v2_5.ts';
export * from './standard-options.ts';
export * from './var.ts';
