/**
 * The insurance fund and the socialized-loss ledger, as a venue publishes them.
 *
 * `insuranceFund(state)`: the fund's balance per asset now, and the total loss written off to
 * the socialized-loss ledger (state.socializedLedger, the venue's debit).
 *
 * `socializedLossLedger(events)`: a pure fold over the sequenced engine events (what a service
 * keeps from its committed event stream, `foldLossLedger` one event at a time) into the history
 * the state does not keep: every socialized loss — which bankrupt subaccount and scope, which
 * market, when, how much, and the route:
 *  - 'ledger': a `moved` event with reason `socialized_loss` (the venue's ledger absorbs it);
 *  - 'funding_index': a `loss_socialized` event (Drift v2): the amount charged to the open
 *    positions of the market pro rata to size. The per-position haircuts are recomputed exactly
 *    as evolve charges them (largest remainder, ties by subaccount key), from the positions the
 *    fold has seen traded — so they need the stream from the start, or a fold seeded with the
 *    positions of the state it starts from (`lossLedgerFrom(state)`).
 * and the insurance fund's flows per asset and reason (fees in, seized collateral in, cover out).
 * The fold's entries carry bigint amounts; `lossLedgerView` formats them as decimal strings.
 */
import type { ReadonlyEngineState } from '../model/state.ts';
import { formatDecimal } from '../num/index.ts';
import type { EngineEvent, Ledger, Sequenced } from './events.ts';

export interface InsuranceFundView {
  /** Per asset, in whole units of the asset (decimal strings). */
  readonly balances: Record<string, string>;
  /** Total written off to the socialized-loss ledger so far (≥ 0, settlement asset). */
  readonly socializedLossTotal: string;
  readonly settlementAsset: string;
}

/** The insurance fund's balances and the socialized-loss total, from the state. */
export function insuranceFund(state: ReadonlyEngineState): InsuranceFundView {
  const balances: Record<string, string> = {};
  for (const [asset, amount] of state.insurance)
    balances[asset] = formatDecimal(amount, state.assets.get(asset)?.decimals ?? 0);
  return {
    balances,
    socializedLossTotal: formatDecimal(-state.socializedLedger, state.settlement.decimals),
    settlementAsset: state.settlement.id,
  };
}

export interface SocializedLoss {
  readonly seq: number;
  /** Time of the liquidation that socialized it (null when the stream gave none). */
  timeMs: number | null;
  /** The bankrupt subaccount key and the scope that was closed. */
  readonly subaccount: string;
  readonly scope: string | null;
  readonly via: 'ledger' | 'funding_index';
  /** The markets the bankrupt scope closed in (the first is the one that absorbed the deficit). */
  readonly markets: string[];
  /** Settlement units. */
  readonly amount: bigint;
  /** funding_index: who paid, and each position's charge (Σ = amount). */
  readonly side?: 'long' | 'short' | 'both';
  readonly haircuts?: { readonly subaccount: string; readonly amount: bigint }[];
}

export interface LossLedger {
  readonly entries: SocializedLoss[];
  /** Σ amount over entries with via 'ledger' (= −state.socializedLedger for a full stream). */
  ledgerTotal: bigint;
  /** Σ amount over entries with via 'funding_index'. */
  fundingIndexTotal: bigint;
  /** Insurance fund flows per asset: in and out per reason. */
  readonly insurance: Map<string, { inflows: Map<string, bigint>; outflows: Map<string, bigint> }>;
  /** Position sizes per market per subaccount, for the funding-index haircuts. */
  readonly positions: Map<string, Map<string, bigint>>;
  /** The liquidation in progress (last liquidation_started) and the latest time seen. */
  current: { sub: string; scope: string; firstEntry: number } | null;
  lastTimeMs: number | null;
}

export function emptyLossLedger(): LossLedger {
  return {
    entries: [],
    ledgerTotal: 0n,
    fundingIndexTotal: 0n,
    insurance: new Map(),
    positions: new Map(),
    current: null,
    lastTimeMs: null,
  };
}

/** A ledger that starts at `state` (its positions known), for folding the events after it. */
export function lossLedgerFrom(state: ReadonlyEngineState): LossLedger {
  const l = emptyLossLedger();
  for (const s of state.subaccounts.values())
    for (const p of s.positions.values()) book(l, p.market).set(s.key, p.size);
  return l;
}

function book(l: LossLedger, market: string): Map<string, bigint> {
  let b = l.positions.get(market);
  if (!b) {
    b = new Map();
    l.positions.set(market, b);
  }
  return b;
}

function move(l: LossLedger, key: string, market: string, delta: bigint): void {
  const b = book(l, market);
  const next = (b.get(key) ?? 0n) + delta;
  if (next === 0n) b.delete(key);
  else b.set(key, next);
}

function flow(
  l: LossLedger,
  asset: string,
  dir: 'inflows' | 'outflows',
  reason: string,
  amount: bigint,
): void {
  let f = l.insurance.get(asset);
  if (!f) {
    f = { inflows: new Map(), outflows: new Map() };
    l.insurance.set(asset, f);
  }
  f[dir].set(reason, (f[dir].get(reason) ?? 0n) + amount);
}

const ledgerSub = (x: Ledger): string | null =>
  x.kind === 'balance' || x.kind === 'isolated' ? x.sub : null;

/** The charges of a funding-index socialization, as evolve computes them (evolve.ts socializeLoss). */
function haircuts(
  positions: ReadonlyMap<string, bigint>,
  side: 'long' | 'short' | 'both',
  amount: bigint,
  exclude: string | undefined,
): { subaccount: string; amount: bigint }[] {
  const payers: { key: string; weight: bigint }[] = [];
  let total = 0n;
  for (const key of [...positions.keys()].sort()) {
    if (key === exclude) continue;
    const size = positions.get(key)!;
    const weight = side === 'both' ? (size < 0n ? -size : size) : side === 'long' ? size : -size;
    if (weight <= 0n) continue;
    payers.push({ key, weight });
    total += weight;
  }
  if (total === 0n) return [];
  const shares = payers.map((p) => ({
    key: p.key,
    charge: (amount * p.weight) / total,
    remainder: (amount * p.weight) % total,
  }));
  let left = amount - shares.reduce((a, s) => a + s.charge, 0n);
  const order = shares
    .map((s, i) => ({ s, i }))
    .sort((a, b) => (a.s.remainder === b.s.remainder ? a.i - b.i : a.s.remainder > b.s.remainder ? -1 : 1));
  for (const { s } of order) {
    if (left === 0n) break;
    s.charge += 1n;
    left -= 1n;
  }
  return shares.map((s) => ({ subaccount: s.key, amount: s.charge }));
}

/** Folds one sequenced event into the ledger (updates it in place and returns it). */
export function foldLossLedger(l: LossLedger, e: Sequenced<EngineEvent>): LossLedger {
  switch (e.type) {
    case 'prices_updated':
    case 'funding_settled':
    case 'oracle_stepped':
      l.lastTimeMs = e.timeMs;
      return l;
    case 'traded':
      move(l, e.buyer, e.market, e.sizeQty9);
      move(l, e.seller, e.market, -e.sizeQty9);
      return l;
    case 'expiry_settled':
      l.positions.delete(e.market);
      return l;
    case 'liquidation_started':
      l.current = { sub: e.sub, scope: e.scope, firstEntry: l.entries.length };
      return l;
    case 'liquidation_completed': {
      l.lastTimeMs = e.timeMs;
      // The entries this liquidation wrote: name the markets it closed and its time.
      if (l.current?.sub === e.sub && l.current.scope === e.scope) {
        for (const x of l.entries.slice(l.current.firstEntry)) {
          if (!x.markets.includes(e.market)) x.markets.push(e.market);
          x.timeMs = e.timeMs;
        }
      }
      return l;
    }
    case 'loss_socialized': {
      const bankrupt = ledgerSub(e.to) ?? l.current?.sub ?? '';
      const cuts = haircuts(l.positions.get(e.market) ?? new Map(), e.side, e.amount, e.exclude ?? bankrupt);
      l.entries.push({
        seq: e.seq,
        timeMs: l.lastTimeMs,
        subaccount: bankrupt,
        scope: l.current?.sub === bankrupt ? l.current.scope : null,
        via: 'funding_index',
        markets: [e.market],
        amount: e.amount,
        side: e.side,
        ...(cuts.length > 0 ? { haircuts: cuts } : {}),
      });
      l.fundingIndexTotal += e.amount;
      return l;
    }
    case 'moved': {
      if (e.to.kind === 'insurance') flow(l, e.asset, 'inflows', e.reason, e.amount);
      if (e.from.kind === 'insurance') flow(l, e.asset, 'outflows', e.reason, e.amount);
      if (e.from.kind === 'socialized' && e.reason === 'socialized_loss') {
        const bankrupt = ledgerSub(e.to) ?? l.current?.sub ?? '';
        l.entries.push({
          seq: e.seq,
          timeMs: l.lastTimeMs,
          subaccount: bankrupt,
          scope: l.current?.sub === bankrupt ? l.current.scope : null,
          via: 'ledger',
          markets: e.to.kind === 'isolated' ? [e.to.market] : [],
          amount: e.amount,
        });
        l.ledgerTotal += e.amount;
      }
      return l;
    }
    default:
      return l;
  }
}

/** The ledger of a stream of sequenced events (from the start of the journal). */
export function socializedLossLedger(
  events: Iterable<Sequenced<EngineEvent>>,
  from?: LossLedger,
): LossLedger {
  const l = from ?? emptyLossLedger();
  for (const e of events) foldLossLedger(l, e);
  return l;
}

export interface LossLedgerView {
  readonly entries: {
    readonly seq: number;
    readonly timeMs: number | null;
    readonly subaccount: string;
    readonly scope: string | null;
    readonly via: 'ledger' | 'funding_index';
    readonly markets: string[];
    readonly amount: string;
    readonly side?: 'long' | 'short' | 'both';
    readonly haircuts?: { readonly subaccount: string; readonly amount: string }[];
  }[];
  readonly ledgerTotal: string;
  readonly fundingIndexTotal: string;
  readonly insurance: Record<string, { inflows: Record<string, string>; outflows: Record<string, string> }>;
}

/** The ledger as decimal strings (settlement amounts at its decimals, insurance flows at each asset's). */
export function lossLedgerView(l: LossLedger, state: ReadonlyEngineState): LossLedgerView {
  const qd = state.settlement.decimals;
  const q = (v: bigint) => formatDecimal(v, qd);
  const insurance: LossLedgerView['insurance'] = {};
  for (const [asset, f] of l.insurance) {
    const d = state.assets.get(asset)?.decimals ?? 0;
    const rec = (m: Map<string, bigint>) =>
      Object.fromEntries([...m].map(([k, v]) => [k, formatDecimal(v, d)]));
    insurance[asset] = { inflows: rec(f.inflows), outflows: rec(f.outflows) };
  }
  return {
    entries: l.entries.map((x) => ({
      seq: x.seq,
      timeMs: x.timeMs,
      subaccount: x.subaccount,
      scope: x.scope,
      via: x.via,
      markets: [...x.markets],
      amount: q(x.amount),
      ...(x.side ? { side: x.side } : {}),
      ...(x.haircuts
        ? { haircuts: x.haircuts.map((h) => ({ subaccount: h.subaccount, amount: q(h.amount) })) }
        : {}),
    })),
    ledgerTotal: q(l.ledgerTotal),
    fundingIndexTotal: q(l.fundingIndexTotal),
    insurance,
  };
}
