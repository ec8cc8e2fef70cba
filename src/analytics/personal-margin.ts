/**
 * Personalized margin: a per-account add-on to the initial requirement from a risk profile,
 * capped and explained part by part.
 *
 *   addOn = min(cap, Σ parts)   (a fraction of the account's baseline IM; paid on top of it)
 *
 * Parts, each 0 for an account that behaves well (so such an account pays exactly baseline):
 * - concentration c ∈ [0, 1] (largest share of gross notional in one market, as `scoreAccount`
 *   computes it): w_c · max(0, c − c₀) / (1 − c₀); c₀ = 0.5 by default;
 * - wrong-way collateral ρ ∈ [−1, 1] (correlation of the collateral's value with the positions'
 *   PnL: BTC collateral behind a BTC long is +1 — both fall together): w_ρ · max(0, ρ);
 * - leverage ramp-up g = leverage now / leverage a lookback ago (≥ 0; 1 = unchanged):
 *   w_g · clamp((g − 1) / (g_max − 1), 0, 1);
 * - late top-ups k (margin calls met late in the lookback): w_k · min(1, k / k_max).
 *
 * Float weights screen the account (DESIGN §3); the result is an integer ppm and the money
 * figure is applied exactly in bigint by `personalInitialMargin` (rounded up, toward safety).
 *
 * @example
 * personalAddOn({ concentration: 1, collateralCorrelation: 1, leverageRampUp: 1, lateTopUps: 0 });
 * // parts: concentration 0.10, wrong-way collateral 0.25 → addOnPpm 350_000 (IM × 1.35)
 */

export interface PersonalRiskProfile {
  readonly concentration: number;
  readonly collateralCorrelation: number;
  readonly leverageRampUp: number;
  readonly lateTopUps: number;
}

export interface PersonalMarginOptions {
  readonly concentrationWeight: number;
  readonly concentrationFree: number;
  readonly wrongWayWeight: number;
  readonly rampUpWeight: number;
  readonly rampUpFull: number;
  readonly lateTopUpWeight: number;
  readonly lateTopUpsFull: number;
  /** Largest add-on, as a fraction of baseline IM. */
  readonly cap: number;
}

/** Assumptions, set before any measurement: at most +50 % of IM; wrong-way collateral weighs most. */
export const DEFAULT_PERSONAL_MARGIN: PersonalMarginOptions = Object.freeze({
  concentrationWeight: 0.1,
  concentrationFree: 0.5,
  wrongWayWeight: 0.25,
  rampUpWeight: 0.15,
  rampUpFull: 3,
  lateTopUpWeight: 0.2,
  lateTopUpsFull: 3,
  cap: 0.5,
});

export type AddOnPartName = 'concentration' | 'wrong-way collateral' | 'leverage ramp-up' | 'late top-ups';

export interface AddOnPart {
  readonly name: AddOnPartName;
  /** Fraction of baseline IM this part asks for (before the cap). */
  readonly fraction: number;
  readonly reason: string;
}

export interface PersonalAddOn {
  /** Parts with a non-zero fraction, largest first (ties in the fixed order above). */
  readonly parts: readonly AddOnPart[];
  /** Σ parts before the cap. */
  readonly uncapped: number;
  readonly capped: boolean;
  /** min(cap, Σ parts) in ppm of baseline IM, rounded up to a whole ppm. */
  readonly addOnPpm: number;
}

export class PersonalMarginInputError extends RangeError {
  override name = 'PersonalMarginInputError';
}

const inRange = (x: number, lo: number, hi: number, what: string) => {
  if (!(Number.isFinite(x) && x >= lo && x <= hi))
    throw new PersonalMarginInputError(`${what} must be in [${lo}, ${hi}], got ${x}`);
};

/** The add-on of one account and its parts (see the header). */
export function personalAddOn(
  p: PersonalRiskProfile,
  options: Partial<PersonalMarginOptions> = {},
): PersonalAddOn {
  const o = { ...DEFAULT_PERSONAL_MARGIN, ...options };
  inRange(p.concentration, 0, 1, 'concentration');
  inRange(p.collateralCorrelation, -1, 1, 'collateralCorrelation');
  inRange(p.leverageRampUp, 0, Number.MAX_VALUE, 'leverageRampUp');
  if (!(Number.isInteger(p.lateTopUps) && p.lateTopUps >= 0))
    throw new PersonalMarginInputError(`lateTopUps must be a whole number >= 0, got ${p.lateTopUps}`);
  inRange(o.concentrationFree, 0, 0.999999, 'concentrationFree');
  inRange(o.rampUpFull, 1.000001, Number.MAX_VALUE, 'rampUpFull');
  inRange(o.lateTopUpsFull, 1, Number.MAX_VALUE, 'lateTopUpsFull');
  inRange(o.cap, 0, 10, 'cap');
  for (const w of [o.concentrationWeight, o.wrongWayWeight, o.rampUpWeight, o.lateTopUpWeight])
    inRange(w, 0, 10, 'weight');

  const all: AddOnPart[] = [
    {
      name: 'concentration',
      fraction:
        (o.concentrationWeight * Math.max(0, p.concentration - o.concentrationFree)) /
        (1 - o.concentrationFree),
      reason: `${(p.concentration * 100).toFixed(0)} % of gross notional in one market (free up to ${(o.concentrationFree * 100).toFixed(0)} %)`,
    },
    {
      name: 'wrong-way collateral',
      fraction: o.wrongWayWeight * Math.max(0, p.collateralCorrelation),
      reason: `collateral moves with the positions' PnL (correlation ${p.collateralCorrelation.toFixed(2)})`,
    },
    {
      name: 'leverage ramp-up',
      fraction: o.rampUpWeight * Math.min(1, Math.max(0, (p.leverageRampUp - 1) / (o.rampUpFull - 1))),
      reason: `leverage ×${p.leverageRampUp.toFixed(2)} over the lookback (full add-on at ×${o.rampUpFull})`,
    },
    {
      name: 'late top-ups',
      fraction: o.lateTopUpWeight * Math.min(1, p.lateTopUps / o.lateTopUpsFull),
      reason: `${p.lateTopUps} margin call(s) met late (full add-on at ${o.lateTopUpsFull})`,
    },
  ];
  const parts = all.filter((x) => x.fraction > 0).sort((a, b) => b.fraction - a.fraction);
  const uncapped = parts.reduce((s, x) => s + x.fraction, 0);
  const total = Math.min(o.cap, uncapped);
  return { parts, uncapped, capped: uncapped > o.cap, addOnPpm: Math.ceil(Math.round(total * 1e9) / 1e3) };
}

/** baseline IM × (1 + addOnPpm / 10⁶), exact in bigint, rounded up (quote units of the engine). */
export function personalInitialMargin(baselineIm: bigint, addOnPpm: number): bigint {
  if (baselineIm < 0n) throw new PersonalMarginInputError('baseline IM must be >= 0');
  if (!(Number.isSafeInteger(addOnPpm) && addOnPpm >= 0))
    throw new PersonalMarginInputError(`addOnPpm must be a whole number >= 0, got ${addOnPpm}`);
  const num = baselineIm * BigInt(addOnPpm);
  return baselineIm + (num + 999_999n) / 1_000_000n;
}
