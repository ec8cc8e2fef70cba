/**
 * `personalized`: static-low (IM 4 % / MM 2 %) plus the per-account add-on of
 * `personalAddOn` (../../analytics/personal-margin.ts) on each trader's initial requirement,
 * charged when the population opens (it sizes each trader's position) and when a ramper adds to
 * its position (./cascade/ramp.ts).
 *
 * What the lab knows of a trader at the start of a run is its intent: side, collateral and the
 * history its behaviours left (sim/population.ts `BehaviourSpec`). Three of the four parts act:
 * - wrong-way collateral: ρ = +1 for a long on BTC collateral (collateral and position fall
 *   together), the BTC share for a long on mixed collateral, −1 for a short on BTC collateral (a
 *   hedge), 0 on USDC;
 * - leverage ramp-up: the trader's `rampUp` (leverage now / a lookback ago; 1 without);
 * - late top-ups: the trader's `lateTopUps` (0 without).
 * Concentration is 0: the lab has one market, so every account would pay the same — a uniform
 * scale of the ratios, which the frontier measures already. The maintenance requirement is not
 * personalized: the engine's margin model is per market and its liquidation check refuses a
 * scope that is above maintenance, so a per-account MM needs the engine to carry it.
 */
import { type PersonalAddOn, personalAddOn } from '../../analytics/personal-margin.ts';
import type { TraderIntent } from '../population.ts';
import { type MarginPolicy, staticPolicy } from './policies.ts';

export type LabIntent = Pick<TraderIntent, 'side' | 'collateral' | 'btcSharePpm'> &
  Partial<Pick<TraderIntent, 'rampUp' | 'lateTopUps'>>;

export function labProfile(intent: LabIntent) {
  const btcShare =
    intent.collateral === 'BTC' ? 1 : intent.collateral === 'mixed' ? Number(intent.btcSharePpm) / 1e6 : 0;
  return {
    concentration: 0,
    collateralCorrelation: intent.side === 'long' ? btcShare : -btcShare,
    leverageRampUp: intent.rampUp ?? 1,
    lateTopUps: intent.lateTopUps ?? 0,
  };
}

/** An account that behaves well on every part the lab sees: it pays exactly the baseline. */
export function wellBehaved(intent: LabIntent): boolean {
  return personalAddOn(labProfile(intent)).addOnPpm === 0;
}

export interface PersonalizedPolicy extends MarginPolicy {
  /** The add-on of one trader and its parts. */
  explain(intent: LabIntent): PersonalAddOn;
}

export function personalizedPolicy(name = 'personalized'): PersonalizedPolicy {
  const base = staticPolicy(name, '0.04', '0.02');
  return {
    ...base,
    description: `${base.description ?? ''} + per-account IM add-on (wrong-way collateral ≤ +25 %, leverage ramp-up ≤ +15 %, late top-ups ≤ +20 %, cap +50 %)`,
    explain: (intent) => personalAddOn(labProfile(intent)),
    initialAddOnPpm: (intent) => personalAddOn(labProfile(intent)).addOnPpm,
  };
}

/** One line per charged trader, largest add-on first: `trader-017  +40.0 %  late top-ups 0.20 (…); …`. */
export function explainPopulation(
  intents: readonly (LabIntent & { readonly ref: { readonly account: string } })[],
  limit = 10,
): { charged: number; lines: string[] } {
  const rows = intents
    .map((i) => ({ account: i.ref.account, a: personalAddOn(labProfile(i)) }))
    .filter((r) => r.a.addOnPpm > 0)
    .sort((x, y) => y.a.addOnPpm - x.a.addOnPpm || (x.account < y.account ? -1 : 1));
  return {
    charged: rows.length,
    lines: rows
      .slice(0, limit)
      .map(
        (r) =>
          `${r.account}  +${(r.a.addOnPpm / 1e4).toFixed(1)} %${r.a.capped ? ' (capped)' : ''}  ${r.a.parts
            .map((p) => `${p.name} ${p.fraction.toFixed(3)} (${p.reason})`)
            .join('; ')}`,
      ),
  };
}
