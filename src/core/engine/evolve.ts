/**
 * evolve(state, event): the only code that writes engine state. Replay of the
 * journal is a fold of this function, so anything it computes must depend on
 * the event and the state alone (no clocks, no randomness, deterministic order).
 */
import { lazyFunding, pendingFundingQuote, sideIndex } from '../account/lazy-funding.ts';
import { applyTrade } from '../account/position.ts';
import { forgetInitWeightScaling, noteBalanceChange } from '../collateral/bank-totals.ts';
import { fromScaled, RAY, toScaled } from '../collateral/interest.ts';
import { signedValue } from '../margin/contract-value.ts';
import { createMarginModel } from '../margin/models.ts';
import type { MarketConfig } from '../model/config.ts';
import type { EngineConfig } from '../model/engine-config.ts';
import { HolderSet } from '../model/holder-set.ts';
import {
  type CommandOutcome,
  DEFAULT_COMMAND_ID_RETENTION,
  type EngineState,
  emptySubaccount,
  type InterestState,
  type MarketState,
  type Order,
  ownIsolatedMarkets,
  ownMaxLeverage,
  type Position,
  type Subaccount,
  subaccountKey,
} from '../model/state.ts';
import { divRound, FUNDING_INDEX_DECIMALS, InvariantError, pow10, QTY_DECIMALS } from '../num/index.ts';
import type { OracleConfig } from '../oracle/config.ts';
import { step as oracleStep } from '../oracle/oracle.ts';
import { initialOracleState } from '../oracle/state.ts';
import type { EngineEvent, Ledger } from './events.ts';
import { noteEvent } from './figures-invalidation.ts';

/** Records a command id's outcome, forgetting the oldest ids beyond the retention (FIFO). */
function rememberCommand(state: EngineState, commandId: string, outcome: CommandOutcome): void {
  const retain = state.config.commandIdRetention ?? DEFAULT_COMMAND_ID_RETENTION;
  state.commandIds.delete(commandId); // a re-used id (after it was forgotten) moves to the newest place
  state.commandIds.set(commandId, outcome);
  for (const oldest of state.commandIds.keys()) {
    if (state.commandIds.size <= retain) break;
    state.commandIds.delete(oldest);
  }
}

export function initialState(config: EngineConfig): EngineState {
  const settlement = config.assets.find((a) => a.id === config.settlementAsset);
  if (!settlement) throw new InvariantError('settlement asset missing from config');
  const state: EngineState = {
    config,
    seq: 0,
    timeMs: 0,
    settlement,
    assets: new Map(config.assets.map((a) => [a.id, a])),
    markets: new Map(),
    assetPricesPx8: new Map(),
    exchangeRates18: new Map(),
    subaccounts: new Map(),
    insurance: new Map(),
    feePool: 0n,
    socializedLedger: 0n,
    netDeposits: new Map(),
    policy: config.liquidation,
    guards: config.guards,
    accountWindows: new Map(),
    marketWindows: new Map(),
    lastPartialMs: new Map(),
    commandIds: new Map(),
    orders: new Map(),
    ordersBySub: new Map(),
    ...(config.portfolio ? { portfolio: config.portfolio } : {}),
  };
  for (const m of config.markets) configureMarket(state, m);
  for (const o of config.oracles) configureOracle(state, o);
  for (const a of config.assets) if (a.interest) startInterest(state, a.id);
  return state;
}

function configureMarket(state: EngineState, config: MarketConfig): void {
  const model = createMarginModel(config.margin, state.settlement.decimals);
  const existing = state.markets.get(config.id);
  if (existing) {
    existing.config = config;
    existing.model = model;
    return;
  }
  const market: MarketState = {
    config,
    model,
    markPx8: undefined,
    fundingIndex: 0n,
    lastFundingRate9: 0n,
    lastFundingMs: 0,
    openInterestQty9: 0n,
    holders: new HolderSet(config.id, (k) => state.subaccounts.get(k)),
    settledPx8: undefined,
    liquidationsPaused: false,
    safeModeForced: false,
    oracle: undefined,
    // lazy funding's per-side index and pool, only then (other states hash as they always did)
    ...(lazyFunding(state) ? { fundingIndexShort: 0n, fundingPool: 0n } : {}),
  };
  state.markets.set(config.id, market);
}

/** Attaches (or replaces) a market's oracle; a new oracle starts from its initial state (safe mode). */
function configureOracle(state: EngineState, config: OracleConfig): void {
  const market = state.markets.get(config.market);
  if (!market) throw new InvariantError(`oracle for unknown market ${config.market}`);
  const keep =
    market.oracle && market.oracle.state.market === config.market ? market.oracle.state : undefined;
  market.oracle = { config, state: keep ?? initialOracleState(config) };
}

/** Runs the pure oracle step; the guarded mark becomes the market's mark. */
function stepOracle(market: MarketState, timeMs: number, inputs: unknown[]): void {
  const oracle = market.oracle;
  if (!oracle) throw new InvariantError(`market ${market.config.id} has no oracle`);
  const r = oracleStep(oracle.config, oracle.state, { nowMs: timeMs, inputs });
  oracle.state = r.state;
  if (r.outputs?.mark.pricePx8 != null) market.markPx8 = r.outputs.mark.pricePx8;
}

function sub(state: EngineState, key: string): Subaccount {
  const s = state.subaccounts.get(key);
  if (!s) throw new InvariantError(`event names unknown subaccount ${key}`);
  return s;
}

function order(state: EngineState, id: string): Order {
  const o = state.orders.get(id);
  if (!o) throw new InvariantError(`event names unknown order ${id}`);
  return o;
}

/** Adds an order to the book and to its subaccount's index (restore uses it too). */
export function addOrder(state: EngineState, o: Order): void {
  state.orders.set(o.id, o);
  const mine = state.ordersBySub.get(o.sub);
  if (mine) mine.set(o.id, o);
  else state.ordersBySub.set(o.sub, new Map([[o.id, o]]));
}

function removeOrder(state: EngineState, o: Order): void {
  state.orders.delete(o.id);
  const mine = state.ordersBySub.get(o.sub);
  mine?.delete(o.id);
  if (mine?.size === 0) state.ordersBySub.delete(o.sub);
}

function addBalance(state: EngineState, s: Subaccount, asset: string, delta: bigint): void {
  const before = s.balances.get(asset) ?? 0n;
  const next = before + delta;
  s.balances.set(asset, next);
  noteBalanceChange(state, asset, before, next); // venue-wide totals (init weight scaling)
  // An interest-bearing asset keeps the scaled balance that reads back as this one exactly.
  const i = state.interest?.get(asset);
  if (i) i.scaled.set(s.key, toScaled(next, i.depositIndex, i.borrowIndex));
}

/** Starts interest on an asset: indexes at 1, every existing balance scaled at them. */
function startInterest(state: EngineState, assetId: string): void {
  if (state.interest?.has(assetId)) return;
  const i: InterestState = {
    depositIndex: RAY,
    borrowIndex: RAY,
    borrowRate: 0n,
    depositRate: 0n,
    scaled: new Map(),
  };
  for (const s of state.subaccounts.values()) {
    const b = s.balances.get(assetId);
    if (b !== undefined) i.scaled.set(s.key, toScaled(b, RAY, RAY));
  }
  if (state.interest) state.interest.set(assetId, i);
  else state.interest = new Map([[assetId, i]]);
}

/**
 * One accrual: the indexes step, every balance of the asset is read again at them, and the
 * protocol (the asset's insurance fund) books what borrowers paid beyond what depositors
 * received, so the ledger (INV-01) holds to the unit. Returns that protocol amount.
 */
function accrueInterest(
  state: EngineState,
  assetId: string,
  indexes: { depositIndex: bigint; borrowIndex: bigint; borrowRate: bigint; depositRate: bigint },
): bigint {
  const i = state.interest?.get(assetId);
  if (!i) throw new InvariantError(`asset ${assetId} bears no interest`);
  i.depositIndex = indexes.depositIndex;
  i.borrowIndex = indexes.borrowIndex;
  i.borrowRate = indexes.borrowRate;
  i.depositRate = indexes.depositRate;
  let change = 0n;
  for (const [key, scaled] of i.scaled) {
    const s = sub(state, key);
    const before = s.balances.get(assetId) ?? 0n;
    const after = fromScaled(scaled, i.depositIndex, i.borrowIndex);
    if (after === before) continue;
    s.balances.set(assetId, after);
    noteBalanceChange(state, assetId, before, after);
    change += after - before;
  }
  state.insurance.set(assetId, (state.insurance.get(assetId) ?? 0n) - change);
  return -change;
}

function adjustLedger(state: EngineState, ledger: Ledger, asset: string, delta: bigint): void {
  switch (ledger.kind) {
    case 'external':
      state.netDeposits.set(asset, (state.netDeposits.get(asset) ?? 0n) - delta);
      return;
    case 'balance':
      addBalance(state, sub(state, ledger.sub), asset, delta);
      return;
    case 'isolated': {
      const p = sub(state, ledger.sub).positions.get(ledger.market);
      if (!p?.isolated || asset !== state.settlement.id)
        throw new InvariantError('no isolated position to fund');
      p.isolatedMargin += delta;
      return;
    }
    case 'insurance':
      state.insurance.set(asset, (state.insurance.get(asset) ?? 0n) + delta);
      return;
    case 'fees':
      if (asset !== state.settlement.id) throw new InvariantError('fee pool holds the settlement asset only');
      state.feePool += delta;
      return;
    case 'socialized':
      if (asset !== state.settlement.id)
        throw new InvariantError('socialized ledger holds the settlement asset');
      state.socializedLedger += delta;
      return;
  }
}

/** Credits realized PnL or funding to where the position's money lives. */
function creditPosition(state: EngineState, s: Subaccount, p: Position, amount: bigint): void {
  if (p.isolated) p.isolatedMargin += amount;
  else addBalance(state, s, state.settlement.id, amount);
}

function updatePosition(
  state: EngineState,
  s: Subaccount,
  market: MarketState,
  qtyDelta: bigint,
  value: bigint,
): void {
  let p = s.positions.get(market.config.id);
  if (!p) {
    p = {
      market: market.config.id,
      size: 0n,
      entryValue: 0n,
      fundingIndex: market.fundingIndex,
      isolatedMargin: 0n,
      isolated: s.isolatedMarkets.has(market.config.id),
    };
    s.positions.set(market.config.id, p);
    market.holders.enter(s);
  }
  const lazy = lazyFunding(state);
  // Lazy funding settles before the position changes (its size is what owed it).
  if (lazy) settlePositionFunding(state, s, market, p);
  const longBefore = p.size > 0n ? p.size : 0n;
  const r = applyTrade(p.size, p.entryValue, qtyDelta, value);
  p.size = r.size;
  p.entryValue = r.entryValue;
  // A new or flipped position starts from its (new) side's index.
  if (lazy) p.fundingIndex = sideIndex(market, p.size);
  creditPosition(state, s, p, r.realized);
  const longAfter = p.size > 0n ? p.size : 0n;
  market.openInterestQty9 += longAfter - longBefore;
  if (p.size === 0n) closePosition(state, s, market, p);
}

/** Removes a closed position; an isolated one releases what is left of its margin to the balance. */
function closePosition(state: EngineState, s: Subaccount, market: MarketState, p: Position): void {
  if (p.entryValue !== 0n) throw new InvariantError('closed position kept an entry value');
  if (p.isolated && p.isolatedMargin !== 0n) addBalance(state, s, state.settlement.id, p.isolatedMargin);
  s.positions.delete(p.market);
  market.holders.leave(s);
  // Lazy funding: with no position left every claim is settled, and the pool holds only the
  // rounding (≥ 0: everyone was credited the floor of its claim); it goes to the fee pool.
  if (market.holders.size === 0 && market.fundingPool !== undefined && market.fundingPool !== 0n) {
    state.feePool += market.fundingPool;
    market.fundingPool = 0n;
  }
}

/**
 * Lazy funding: pays a position its unsettled funding (account/lazy-funding.ts) into where its
 * money lives, through the market's funding pool, and marks it settled at its side's index.
 * Returns the amount credited (< 0: paid).
 */
function settlePositionFunding(state: EngineState, s: Subaccount, market: MarketState, p: Position): bigint {
  const credit = pendingFundingQuote(state, market, p);
  p.fundingIndex = sideIndex(market, p.size);
  if (credit === 0n) return 0n;
  creditPosition(state, s, p, credit);
  market.fundingPool = (market.fundingPool ?? 0n) - credit;
  return credit;
}

/**
 * Funding payments for one index step. Payers pay ceil(|size × Δ|); the pot is shared
 * among receivers pro rata to size by the largest-remainder method, so funding paid
 * equals funding received exactly (INV-03).
 */
function settleFunding(state: EngineState, market: MarketState, indexDelta18: bigint): void {
  market.fundingIndex += indexDelta18;
  const divisor = pow10(QTY_DECIMALS + FUNDING_INDEX_DECIMALS - state.settlement.decimals);
  const receivers: { s: Subaccount; p: Position; weight: bigint }[] = [];
  let pot = 0n;
  let receiverWeight = 0n;
  for (const key of market.holders) {
    const s = sub(state, key);
    const p = s.positions.get(market.config.id)!;
    p.fundingIndex = market.fundingIndex;
    const owed = p.size * indexDelta18; // > 0: this position pays
    if (owed > 0n) {
      const pay = divRound(owed, divisor, 'ceil');
      creditPosition(state, s, p, -pay);
      pot += pay;
    } else if (owed < 0n) {
      const weight = p.size < 0n ? -p.size : p.size;
      receivers.push({ s, p, weight });
      receiverWeight += weight;
    }
  }
  if (receivers.length === 0) {
    state.feePool += pot;
    return;
  }
  const shares = receivers.map((r) => {
    const exact = pot * r.weight;
    return { r, amount: exact / receiverWeight, remainder: exact % receiverWeight };
  });
  let left = pot - shares.reduce((acc, x) => acc + x.amount, 0n);
  const order = shares
    .map((x, i) => ({ x, i }))
    .sort((a, b) => (a.x.remainder === b.x.remainder ? a.i - b.i : a.x.remainder > b.x.remainder ? -1 : 1));
  for (const { x } of order) {
    if (left === 0n) break;
    x.amount += 1n;
    left -= 1n;
  }
  for (const x of shares) creditPosition(state, x.r.s, x.r.p, x.amount);
}

/**
 * Charges `amount` to the positions on `side` of the market, pro rata to size by the
 * largest-remainder method (ties by subaccount key), and credits it to `to`: Σ charged =
 * amount exactly. Holders are taken in key order so live, journal and snapshot replay agree.
 */
function socializeLoss(
  state: EngineState,
  market: MarketState,
  side: 'long' | 'short' | 'both',
  to: Ledger,
  amount: bigint,
  exclude: string | undefined,
): void {
  const payers: { s: Subaccount; p: Position; weight: bigint }[] = [];
  let total = 0n;
  for (const key of [...market.holders].sort()) {
    if (key === exclude) continue;
    const s = sub(state, key);
    const p = s.positions.get(market.config.id)!;
    const weight = side === 'both' ? (p.size < 0n ? -p.size : p.size) : side === 'long' ? p.size : -p.size;
    if (weight <= 0n) continue;
    payers.push({ s, p, weight });
    total += weight;
  }
  if (total === 0n) throw new InvariantError(`no ${side} positions in ${market.config.id} to socialize on`);
  const shares = payers.map((x) => {
    const exact = amount * x.weight;
    return { x, charge: exact / total, remainder: exact % total };
  });
  let left = amount - shares.reduce((acc, y) => acc + y.charge, 0n);
  const order = shares
    .map((y, i) => ({ y, i }))
    .sort((a, b) => (a.y.remainder === b.y.remainder ? a.i - b.i : a.y.remainder > b.y.remainder ? -1 : 1));
  for (const { y } of order) {
    if (left === 0n) break;
    y.charge += 1n;
    left -= 1n;
  }
  for (const y of shares) creditPosition(state, y.x.s, y.x.p, -y.charge);
  adjustLedger(state, to, state.settlement.id, amount);
}

/** Cash-settles a dated future: each position realizes at the settlement price, rounding dust to fees. */
function settleExpiry(state: EngineState, market: MarketState, px8: bigint): void {
  let sumValues = 0n;
  for (const key of [...market.holders]) {
    const s = sub(state, key);
    const p = s.positions.get(market.config.id)!;
    if (lazyFunding(state)) settlePositionFunding(state, s, market, p);
    const value = signedValue(market.config, p.size, px8, state.settlement.decimals, 'floor');
    sumValues += value;
    creditPosition(state, s, p, value - p.entryValue);
    p.entryValue = 0n;
    p.size = 0n;
    closePosition(state, s, market, p);
  }
  // Σ size = 0, so the exact Σ value is 0; flooring leaves −sumValues ≥ 0 units unpaid.
  state.feePool -= sumValues;
  market.openInterestQty9 = 0n;
  market.settledPx8 = px8;
  market.markPx8 = px8;
}

export function evolve(state: EngineState, event: EngineEvent): void {
  noteEvent(state, event);
  switch (event.type) {
    case 'engine_configured':
      throw new InvariantError('engine_configured is applied by initialState, not evolve');
    case 'subaccount_opened':
      state.subaccounts.set(subaccountKey(event.ref), emptySubaccount(event.ref));
      return;
    case 'moved':
      adjustLedger(state, event.from, event.asset, -event.amount);
      adjustLedger(state, event.to, event.asset, event.amount);
      return;
    case 'portfolio_margin_set':
      sub(state, event.sub).portfolioMargin = event.enabled;
      return;
    case 'emode_set': {
      const s = sub(state, event.sub);
      if (event.category === 0) delete s.eModeCategory;
      else s.eModeCategory = event.category;
      return;
    }
    case 'margin_mode_set': {
      const s = sub(state, event.sub);
      if (event.isolated) ownIsolatedMarkets(s).add(event.market);
      else if (s.isolatedMarkets.has(event.market)) ownIsolatedMarkets(s).delete(event.market);
      return;
    }
    case 'leverage_set': {
      const s = sub(state, event.sub);
      if (event.maxLeverage === null) {
        if (s.maxLeverage.has(event.market)) ownMaxLeverage(s).delete(event.market);
      } else ownMaxLeverage(s).set(event.market, event.maxLeverage);
      return;
    }
    case 'prices_updated':
      state.timeMs = Math.max(state.timeMs, event.timeMs);
      for (const [m, px] of event.marks) state.markets.get(m)!.markPx8 = px;
      for (const [a, px] of event.assets) state.assetPricesPx8.set(a, px);
      for (const [a, r] of event.exchangeRates) state.exchangeRates18.set(a, r);
      return;
    case 'traded': {
      const market = state.markets.get(event.market)!;
      updatePosition(state, sub(state, event.buyer), market, event.sizeQty9, event.valueQuote);
      updatePosition(state, sub(state, event.seller), market, -event.sizeQty9, -event.valueQuote);
      return;
    }
    case 'order_placed': {
      const r = event.order;
      if (state.orders.has(r.id)) throw new InvariantError(`order ${r.id} already rests`);
      sub(state, r.sub);
      addOrder(state, {
        id: r.id,
        sub: r.sub,
        market: r.market,
        side: r.side,
        size: r.sizeQty9,
        pricePx8: r.pricePx8,
        reduceOnly: r.reduceOnly,
      });
      return;
    }
    case 'order_amended': {
      const o = order(state, event.orderId);
      if (event.sizeQty9 <= 0n) throw new InvariantError(`order ${o.id} amended to size ${event.sizeQty9}`);
      o.size = event.sizeQty9;
      o.pricePx8 = event.pricePx8;
      return;
    }
    case 'order_cancelled':
      removeOrder(state, order(state, event.orderId));
      return;
    case 'order_filled': {
      const o = order(state, event.orderId);
      if (event.sizeQty9 <= 0n || event.sizeQty9 > o.size)
        throw new InvariantError(`order ${o.id}: fill ${event.sizeQty9} beyond its remaining ${o.size}`);
      o.size -= event.sizeQty9;
      if (o.size === 0n) removeOrder(state, o);
      return;
    }
    case 'funding_settled': {
      const market = state.markets.get(event.market)!;
      state.timeMs = Math.max(state.timeMs, event.timeMs);
      market.lastFundingRate9 = event.rate9;
      market.lastFundingMs = event.timeMs;
      if (lazyFunding(state)) {
        // Both sides' indexes step by the same amount: longs owe what shorts are owed.
        market.fundingIndex += event.indexDelta18;
        market.fundingIndexShort = (market.fundingIndexShort ?? 0n) + event.indexDelta18;
      } else settleFunding(state, market, event.indexDelta18);
      return;
    }
    case 'interest_accrued': {
      state.timeMs = Math.max(state.timeMs, event.timeMs);
      const protocol = accrueInterest(state, event.asset, event);
      if (protocol !== event.protocolAmount)
        throw new InvariantError(
          `interest to the protocol ${protocol} differs from the event's ${event.protocolAmount}`,
        );
      return;
    }
    case 'position_funding_settled': {
      const market = state.markets.get(event.market)!;
      const s = sub(state, event.sub);
      const p = s.positions.get(event.market);
      if (!p || !lazyFunding(state))
        throw new InvariantError(`no lazily funded position ${event.sub} ${event.market}`);
      const credit = settlePositionFunding(state, s, market, p);
      if (credit !== event.amountQuote)
        throw new InvariantError(
          `funding settlement ${credit} differs from the event's ${event.amountQuote}`,
        );
      return;
    }
    case 'loss_socialized':
      socializeLoss(
        state,
        state.markets.get(event.market)!,
        event.side,
        event.to,
        event.amount,
        event.exclude,
      );
      return;
    case 'expiry_settled':
      settleExpiry(state, state.markets.get(event.market)!, event.pricePx8);
      return;
    case 'liquidation_completed': {
      state.timeMs = Math.max(state.timeMs, event.timeMs);
      if (event.mode === 'partial') state.lastPartialMs.set(`${event.sub}|${event.scope}`, event.timeMs);
      if (event.liquidationStartMs !== undefined) {
        state.liquidationStartMs ??= new Map();
        state.liquidationStartMs.set(`${event.sub}|${event.scope}`, event.liquidationStartMs);
      } else state.liquidationStartMs?.delete(`${event.sub}|${event.scope}`);
      if (event.insuranceCoverQuote !== undefined) {
        state.insuranceLossWindows ??= new Map();
        bump(
          state.insuranceLossWindows,
          event.sub,
          event.timeMs,
          state.policy.windowMs,
          event.insuranceCoverQuote,
        );
      }
      if (event.mode === 'bankrupt' || event.mode === 'backstop') return; // caps apply to partial liquidations only
      const w = state.policy.windowMs;
      bump(state.accountWindows, event.sub, event.timeMs, w, event.closedNotionalQuote);
      bump(state.marketWindows, event.market, event.timeMs, w, event.closedNotionalQuote);
      return;
    }
    case 'liquidation_started':
    case 'adl_ranked':
      return;
    case 'command_accepted':
      rememberCommand(state, event.commandId, {
        ok: true,
        digest: event.digest,
        firstSeq: event.firstSeq,
        count: event.count,
      });
      return;
    case 'command_rejected':
      rememberCommand(state, event.commandId, {
        ok: false,
        digest: event.digest,
        rejection: event.rejection,
      });
      return;
    case 'market_configured':
      configureMarket(state, event.config);
      return;
    case 'oracle_configured':
      configureOracle(state, event.config);
      return;
    case 'oracle_stepped':
      state.timeMs = Math.max(state.timeMs, event.timeMs);
      stepOracle(state.markets.get(event.market)!, event.timeMs, event.inputs);
      return;
    case 'oracle_transition':
      return;
    case 'asset_configured':
      state.assets.set(event.config.id, event.config);
      forgetInitWeightScaling(state.assets);
      if (event.config.interest) startInterest(state, event.config.id);
      if (event.config.id === state.settlement.id) state.settlement = event.config;
      return;
    case 'market_paused':
      state.markets.get(event.market)!.liquidationsPaused = event.paused;
      return;
    case 'safe_mode_forced':
      state.markets.get(event.market)!.safeModeForced = event.forced;
      return;
    case 'policy_set':
      state.policy = event.policy;
      state.guards = event.guards;
      return;
    case 'portfolio_model_set':
      if (event.portfolio === null) delete state.portfolio;
      else state.portfolio = event.portfolio;
      return;
  }
}

function bump(
  windows: Map<string, { startMs: number; notionalQuote: bigint }>,
  key: string,
  t: number,
  len: number,
  n: bigint,
) {
  const w = windows.get(key);
  if (!w || t >= w.startMs + len) windows.set(key, { startMs: t, notionalQuote: n });
  else w.notionalQuote += n;
}
