/**
 * The dashboard's memory of the venue over time, folded from the events the service commits:
 * a time series of the insurance fund, socialized loss, and each market's mark, index and open
 * interest; liquidations counted per minute of engine time by how they ended (partial, full,
 * bankrupt, backstop) plus ADL deleveragings; and the recent events of each account.
 *
 * The series are for charts: numbers as float64 whole units, sampled at most every
 * `sampleEveryMs` of wall-clock time (default 250 ms) and always when the minute of engine time
 * changes. The exact figures stay at the API's own endpoints (/v1/insurance-fund, /v1/markets).
 * Memory is bounded: when the series passes `maxSamples` every other old sample is dropped, and
 * each account keeps its last `eventsPerAccount` events. It starts when the service starts
 * (the journal holds everything before).
 */
import type { Sequenced } from '../../core/engine/events.ts';
import type { ReadonlyEngineState } from '../../core/model/state.ts';
import { eventAudience } from '../event-audience.ts';

export interface MarketSample {
  readonly mark: number | null;
  readonly index: number | null;
  /** Open interest in base units. */
  readonly openInterest: number;
}

export interface Sample {
  /** Engine time (ms since the epoch): market time in a replay. */
  readonly t: number;
  readonly seq: number;
  /** Insurance fund per asset, whole units. */
  readonly insurance: Record<string, number>;
  /** Insurance fund valued in the settlement asset at current prices. */
  readonly insuranceValue: number;
  /** Loss written off to the socialized ledger so far (≥ 0, settlement units). */
  readonly socializedLoss: number;
  readonly markets: Record<string, MarketSample>;
}

export const LIQUIDATION_KINDS = ['partial', 'full', 'bankrupt', 'backstop', 'adl'] as const;
export type LiquidationKind = (typeof LIQUIDATION_KINDS)[number];

export interface MinuteBucket {
  /** Start of the minute (engine time, ms). */
  readonly t: number;
  counts: Record<LiquidationKind, number>;
  /** Notional closed by liquidation steps in the minute (settlement units). */
  notional: number;
}

export interface AccountEvent {
  readonly seq: number;
  readonly timeMs: number;
  readonly type: string;
  /** The event with integers as decimal strings of engine units. */
  readonly event: Record<string, unknown>;
}

export interface HistoryOptions {
  readonly sampleEveryMs?: number;
  readonly maxSamples?: number;
  readonly maxMinutes?: number;
  readonly eventsPerAccount?: number;
  readonly now?: () => number;
}

const toNum = (v: bigint, decimals: number): number => Number(v) / 10 ** decimals;

/** An engine event as plain JSON (bigints as strings). */
export function plainEvent(e: object): Record<string, unknown> {
  return JSON.parse(JSON.stringify(e, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
}

export class DashboardHistory {
  private readonly samples: Sample[] = [];
  private readonly minutes: MinuteBucket[] = [];
  private readonly accountEvents = new Map<string, AccountEvent[]>();
  private lastSampleWall = Number.NEGATIVE_INFINITY;
  private lastSampleMinute = Number.NaN;
  private readonly sampleEveryMs: number;
  private readonly maxSamples: number;
  private readonly maxMinutes: number;
  private readonly eventsPerAccount: number;
  private readonly now: () => number;

  constructor(
    private readonly state: () => ReadonlyEngineState,
    opts: HistoryOptions = {},
  ) {
    this.sampleEveryMs = opts.sampleEveryMs ?? 250;
    this.maxSamples = opts.maxSamples ?? 4_000;
    this.maxMinutes = opts.maxMinutes ?? 24 * 60;
    this.eventsPerAccount = opts.eventsPerAccount ?? 200;
    this.now = opts.now ?? Date.now;
    this.sample(true);
  }

  observe(events: readonly Sequenced[]): void {
    const state = this.state();
    for (const e of events) {
      if (e.type === 'liquidation_completed') {
        const b = this.bucket(e.timeMs);
        b.counts[e.mode]++;
        b.notional += toNum(e.closedNotionalQuote, state.settlement.decimals);
      } else if (e.type === 'adl_ranked') {
        // ADL: a profitable counterparty deleveraged against a bankrupt position
        this.bucket(state.timeMs).counts.adl++;
      }
      const accounts = eventAudience(e).accounts;
      if (accounts.length > 0 && e.type !== 'command_accepted' && e.type !== 'command_rejected') {
        const { seq, ...rest } = e;
        const entry: AccountEvent = { seq, timeMs: state.timeMs, type: e.type, event: plainEvent(rest) };
        for (const a of accounts) {
          let list = this.accountEvents.get(a);
          if (!list) this.accountEvents.set(a, (list = []));
          list.push(entry);
          if (list.length > this.eventsPerAccount) list.splice(0, list.length - this.eventsPerAccount);
        }
      }
    }
    this.sample(false);
  }

  private bucket(timeMs: number): MinuteBucket {
    const t = Math.floor(timeMs / 60_000) * 60_000;
    const last = this.minutes.at(-1);
    if (last && last.t === t) return last;
    // out of order (an older minute): find it, else insert in place
    const found = this.minutes.find((m) => m.t === t);
    if (found) return found;
    const b: MinuteBucket = {
      t,
      counts: { partial: 0, full: 0, bankrupt: 0, backstop: 0, adl: 0 },
      notional: 0,
    };
    this.minutes.push(b);
    this.minutes.sort((x, y) => x.t - y.t);
    if (this.minutes.length > this.maxMinutes) this.minutes.splice(0, this.minutes.length - this.maxMinutes);
    return b;
  }

  private sample(force: boolean): void {
    const state = this.state();
    if (state.timeMs === 0) return; // nothing has happened yet: no point on a time axis
    const wall = this.now();
    const minute = Math.floor(state.timeMs / 60_000);
    if (!force && wall - this.lastSampleWall < this.sampleEveryMs && minute === this.lastSampleMinute) return;
    this.lastSampleWall = wall;
    this.lastSampleMinute = minute;
    const insurance: Record<string, number> = {};
    let value = 0;
    for (const [asset, amount] of state.insurance) {
      const cfg = state.assets.get(asset);
      const units = toNum(amount, cfg?.decimals ?? 0);
      insurance[asset] = units;
      const px = asset === state.settlement.id ? 1 : toNum(state.assetPricesPx8.get(asset) ?? 0n, 8);
      value += units * px;
    }
    const markets: Record<string, MarketSample> = {};
    for (const [id, m] of state.markets) {
      const index = m.oracle?.state.index.pricePx8 ?? null;
      markets[id] = {
        mark: m.markPx8 === undefined || m.markPx8 === null ? null : toNum(m.markPx8, 8),
        index: index === null ? null : toNum(index, 8),
        openInterest: toNum(m.openInterestQty9, 9),
      };
    }
    const s: Sample = {
      t: state.timeMs,
      seq: state.seq,
      insurance,
      insuranceValue: value,
      socializedLoss: -toNum(state.socializedLedger, state.settlement.decimals),
      markets,
    };
    const last = this.samples.at(-1);
    if (last && last.seq === s.seq) this.samples[this.samples.length - 1] = s;
    else this.samples.push(s);
    if (this.samples.length > this.maxSamples) {
      // thin the older half: keep every other sample, so the whole run stays on the chart
      const half = Math.floor(this.samples.length / 2);
      const thinned = this.samples.slice(0, half).filter((_, i) => i % 2 === 0);
      this.samples.splice(0, half, ...thinned);
    }
  }

  /** Samples after engine time `sinceT` and the minute buckets that may have changed since (all when undefined). */
  series(sinceT?: number): { samples: Sample[]; minutes: MinuteBucket[] } {
    const after = <T extends { t: number }>(xs: readonly T[], t: number | undefined) =>
      t === undefined ? [...xs] : xs.filter((x) => x.t > t);
    // a minute starting up to a minute before sinceT may still be counting
    const minutesSince = sinceT === undefined ? undefined : sinceT - 60_000;
    return { samples: after(this.samples, sinceT), minutes: after(this.minutes, minutesSince) };
  }

  /** The account's recent events, newest first. */
  eventsOf(account: string, limit = 100): AccountEvent[] {
    return [...(this.accountEvents.get(account) ?? [])].reverse().slice(0, limit);
  }
}
