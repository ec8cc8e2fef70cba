/**
 * The collateral-valuation port: how much one balance of one asset counts
 * towards equity, for initial or maintenance purposes. Outputs in quote units,
 * rounded DOWN for assets (collateral is never overstated).
 */
export type MarginKind = 'initial' | 'maintenance';
