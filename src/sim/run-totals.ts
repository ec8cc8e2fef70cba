/**
 * Totals every engine driver reports (the crash demo, the risk lab), accumulated
 * from the engine's events: liquidation steps and notional by mode, scopes and
 * traders hit, liquidator rewards and insurance fees, ADL fills, insurance cover,
 * socialized loss, seized collateral, trading fees; and the insurance fund's path.
 * One place, so the demo and the lab count the same things the same way.
 */
import type { EngineEvent } from '../core/engine/events.ts';

export type LiquidationMode = Extract<EngineEvent, { type: 'liquidation_completed' }>['mode'];

export interface ModeTotals {
  steps: number;
  /** Closed notional, settlement units. */
  notional: bigint;
}

export class RunTotals {
  readonly modes: Record<LiquidationMode, ModeTotals> = {
    partial: { steps: 0, notional: 0n },
    full: { steps: 0, notional: 0n },
    bankrupt: { steps: 0, notional: 0n },
    backstop: { steps: 0, notional: 0n },
  };
  readonly scopesHit = new Set<string>();
  readonly tradersHit = new Set<string>();
  readonly seized = new Map<string, bigint>();
  rewards = 0n;
  insuranceFees = 0n;
  covered = 0n;
  socialized = 0n;
  tradingFees = 0n;
  adlFills = 0;
  adlQty = 0n;
  adlNotional = 0n;

  /** @param traderKeys subaccount keys that count as traders (market makers and vaults do not). */
  constructor(private readonly traderKeys: ReadonlySet<string>) {}

  observe(e: EngineEvent): void {
    switch (e.type) {
      case 'liquidation_completed': {
        const m = this.modes[e.mode];
        m.steps++;
        m.notional += e.closedNotionalQuote;
        this.scopesHit.add(`${e.sub}|${e.scope}`);
        if (this.traderKeys.has(e.sub)) this.tradersHit.add(e.sub);
        this.rewards += e.liquidatorRewardQuote;
        this.insuranceFees += e.insuranceFeeQuote;
        return;
      }
      case 'traded':
        if (e.reason === 'adl') {
          this.adlFills++;
          this.adlQty += e.sizeQty9;
          this.adlNotional += e.valueQuote < 0n ? -e.valueQuote : e.valueQuote;
        }
        return;
      case 'moved':
        if (e.reason === 'socialized_loss') this.socialized += e.amount;
        else if (e.reason === 'trading_fee') this.tradingFees += e.amount;
        else if (e.reason === 'insurance_cover') this.covered += e.amount;
        else if (e.reason === 'collateral_seized')
          this.seized.set(e.asset, (this.seized.get(e.asset) ?? 0n) + e.amount);
        return;
      default:
        return;
    }
  }

  totalSteps(): number {
    const m = this.modes;
    return m.partial.steps + m.full.steps + m.bankrupt.steps + m.backstop.steps;
  }
}

/** The insurance fund's path: min, max and largest drawdown from a running peak. */
export class InsurancePath {
  min = 0n;
  max = 0n;
  peak = 0n;
  maxDrawdown = 0n;
  private started = false;

  start(value: bigint): void {
    this.min = this.max = this.peak = value;
    this.maxDrawdown = 0n;
    this.started = true;
  }

  sample(value: bigint): void {
    if (!this.started) return;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    if (value > this.peak) this.peak = value;
    if (this.peak - value > this.maxDrawdown) this.maxDrawdown = this.peak - value;
  }
}
