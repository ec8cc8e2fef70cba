/**
 * Anti-cascade mechanisms ("margin as a stabilizer"): options of a lab run that change how the
 * keeper and the backstop act in a cascade, never the engine's rules. Each is measured against
 * the same run without it (`plimsoll simulate --study --mechanisms …`): cascade depth, peak
 * displacement of the mark from the market (exogenous) price, bad debt.
 *
 * - `throttle` — depth-aware liquidation throttling: per round the keeper sends only the steps
 *   whose positions (their whole size, an upper bound of what a step closes) fit in what the book
 *   model absorbs before its mid is `slippage` away from the market price, after what the
 *   backstop already holds; the backstop's unload stops at the same bound (instead of 10 %).
 *   The first queued step always goes when the backstop holds nothing, so one position larger
 *   than the book's room cannot block the queue for ever. What waits is found again at the next
 *   price point.
 * - `auction` — backstop liquidity outside the book: before walking the book, the backstop's
 *   inventory is offered to standing bidders (an auction clearing at the mark less `discount`),
 *   who take up to `capacityShare` × the book's depth within 1 % of the mid per minute; those
 *   fills do not move the book. The rest is unloaded into the book as without it.
 * - `penalty` — dynamic penalties: while the book's mid is more than `displacementAbove` below
 *   (or above) the market price, the liquidation penalty ramp falls to
 *   [`minPenalty`, `maxPenalty`] (`set_policy`), so a partial step needs to close less to
 *   restore its target and less is sold into the thin book; it returns to the policy's own
 *   ramp when the book has recovered. Policies whose penalty is `to_bankruptcy` (no ramp) are
 *   unaffected.
 * - `breaker` — a cascade breaker: when a liquidation is due at a depth above `maxDepth`
 *   (a scope pushed over by liquidation sales of sales of sales…), liquidations and the
 *   backstop's unload pause for `pauseMs`; the book recovers meanwhile and scopes found healthy
 *   again leave the queue. After the pause what is still liquidatable is liquidated; the breaker
 *   trips again only for scopes found after the pause ended.
 *
 * Parameters are round figures fixed before any measurement, except the breaker's bound: 3 at
 * first, lowered to 2 after a first look (2021-05-19, two seeds) showed peak depths of 3, so
 * that the breaker acts at all — not tuned to its outcome. A mechanism
 * is a plain object, so new ones (and combinations) are one entry in `MECHANISMS`.
 */

export interface ThrottleOptions {
  /** Largest displacement of the book's mid from the market price the keeper lets sales cause (fraction). */
  readonly slippage: number;
}

export interface AuctionOptions {
  /** Bidders' capacity per minute, as a share of the book's depth within 1 % of the mid. */
  readonly capacityShare: number;
  /** Clearing price: mark × (1 − discount) for a sale (× (1 + discount) for a purchase). */
  readonly discount: number;
}

export interface PenaltyOptions {
  /** The book's |displacement| above which the lower ramp applies (fraction). */
  readonly displacementAbove: number;
  readonly minPenalty: string;
  readonly maxPenalty: string;
}

export interface BreakerOptions {
  /** Deepest cascade level liquidated without a pause. */
  readonly maxDepth: number;
  readonly pauseMs: number;
}

export interface AntiCascadeMechanism {
  readonly name: string;
  readonly description: string;
  readonly throttle?: ThrottleOptions;
  readonly auction?: AuctionOptions;
  readonly penalty?: PenaltyOptions;
  readonly breaker?: BreakerOptions;
}

/** The name of the run without any mechanism (the reference of every comparison). */
export const NO_MECHANISM = 'none';

const REGISTRY: Readonly<Record<string, AntiCascadeMechanism>> = {
  throttle: {
    name: 'throttle',
    description: 'depth-aware throttling: steps and the unload kept within 2 % of the market price',
    throttle: { slippage: 0.02 },
  },
  auction: {
    name: 'auction',
    description: 'backstop liquidity: bidders take up to 50 % of the 1 % depth per minute at the mark − 1 %',
    auction: { capacityShare: 0.5, discount: 0.01 },
  },
  penalty: {
    name: 'penalty',
    description:
      'dynamic penalties: ramp 0.1 %–0.5 % (instead of the policy’s) while the book is > 2 % displaced',
    penalty: { displacementAbove: 0.02, minPenalty: '0.001', maxPenalty: '0.005' },
  },
  breaker: {
    name: 'breaker',
    description: 'cascade breaker: a 60 s pause of liquidations and unload when a step is due at depth > 2',
    breaker: { maxDepth: 2, pauseMs: 60_000 },
  },
};

/** Every mechanism by name (without `none`). */
export const MECHANISM_NAMES: readonly string[] = Object.keys(REGISTRY);

/** The mechanism of that name (`none`: undefined); an unknown name is a RangeError naming the known ones. */
export function mechanismByName(name: string): AntiCascadeMechanism | undefined {
  if (name === NO_MECHANISM) return undefined;
  const m = Object.hasOwn(REGISTRY, name) ? REGISTRY[name] : undefined;
  if (m === undefined)
    throw new RangeError(
      `unknown mechanism ${JSON.stringify(name)}; known: ${[NO_MECHANISM, ...MECHANISM_NAMES].join(', ')}`,
    );
  return m;
}

/** Parses `throttle,breaker` (or `all`); repeated or unknown names are RangeErrors; `none` is implied. */
export function parseMechanisms(list: string): string[] {
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (names.length === 1 && names[0] === 'all') return [...MECHANISM_NAMES];
  if (names.length === 0)
    throw new RangeError(`no mechanism named; known: ${MECHANISM_NAMES.join(', ')}, all`);
  const seen = new Set<string>();
  for (const n of names) {
    if (n === NO_MECHANISM)
      throw new RangeError('`none` is the reference of every comparison: list the others');
    mechanismByName(n);
    if (seen.has(n)) throw new RangeError(`mechanism ${n} is listed twice`);
    seen.add(n);
  }
  return names;
}
