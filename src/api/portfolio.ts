/**
 * `plimsoll/portfolio`: portfolio margin of option books — risk matrices (crypto-pm,
 * paradex, SPAN-16), SIMM-style sensitivities, ISDA SIMM v2.5, historical VaR/ES and
 * standard option margin (docs/portfolio-margin.md).
 */
export * from '../core/portfolio/index.ts';
