/**
 * `personalized`: static-low (IM 4 % / MM 2 %) plus the per-account add-on of
 * `personalAddOn` (../../analytics/personal-margin.ts) on each trader's initial requirement,
 * charged when the population opens (it sizes each trader's position).
 *
 * What the lab can know of a trader at the start of a run is its intent: side and collateral.
 * So of the four parts only wrong-way collateral is informative here —
 *   ρ = +1 for a long on BTC collateral (collateral and position fall together), the BTC share
 *   for a long on mixed collateral, −1 for a short on BTC collateral (a hedge), 0 on USDC;
 * concentration is 0 (one market: every account would pay the same, so it is left out), and
 * the lab's populations have no leverage history or past margin calls (ramp-up 1, no late
 * top-ups). The maintenance requirement is not personalized (the engine's model is per market).
 */
import { type PersonalAddOn, personalAddOn } from '../../analytics/personal-margin.ts';
import type { TraderIntent } from '../population.ts';
import { type MarginPolicy, staticPolicy } from './policies.ts';

export function labProfile(intent: Pick<TraderIntent, 'side' | 'collateral' | 'btcSharePpm'>) {
  const btcShare =
    intent.collateral === 'BTC' ? 1 : intent.collateral === 'mixed' ? Number(intent.btcSharePpm) / 1e6 : 0;
  return {
    concentration: 0,
    collateralCorrelation: intent.side === 'long' ? btcShare : -btcShare,
    leverageRampUp: 1,
    lateTopUps: 0,
  };
}

export interface PersonalizedPolicy extends MarginPolicy {
  /** The add-on of one trader and its parts. */
  explain(intent: Pick<TraderIntent, 'side' | 'collateral' | 'btcSharePpm'>): PersonalAddOn;
}

export function personalizedPolicy(name = 'personalized'): PersonalizedPolicy {
  const base = staticPolicy(name, '0.04', '0.02');
  return {
    ...base,
    description: `${base.description ?? ''} + per-account IM add-on (wrong-way collateral ≤ +25 %, cap +50 %)`,
    explain: (intent) => personalAddOn(labProfile(intent)),
    initialAddOnPpm: (intent) => personalAddOn(labProfile(intent)).addOnPpm,
  };
}
