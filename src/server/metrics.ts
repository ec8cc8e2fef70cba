/**
 * Prometheus metrics of one server instance, on its own Registry (`metrics.registry`: the WebSocket
 * hub and keeper register theirs on it too). Counters are fed as requests and commands happen;
 * insurance fund, oracle state and safe mode are gauges computed from the engine state at scrape time.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Sequenced } from '../core/engine/events.ts';
import type { ReadonlyEngineState } from '../core/model/state.ts';
import { toNumber } from '../core/num/index.ts';
import type { OracleState } from '../core/oracle/state.ts';

export interface ServerMetrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
  readonly commands: Counter<'type' | 'outcome'>;
  /** Pre-trade checks: order check and fill, seconds. */
  readonly pretradeCheck: Histogram<'kind'>;
  /** Submit to durable acknowledgement, seconds (the sink's journal append and commit). */
  readonly commitLatency: Histogram<'type'>;
  readonly liquidations: Counter<'market' | 'mode'>;
  /** Feeds liquidation counters from committed events. */
  observeEvents(events: readonly Sequenced[]): void;
}

const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/** `state` is read at scrape time (the sink's engine may be replaced after a failed commit). */
export function createMetrics(
  state: () => ReadonlyEngineState,
  opts: { defaultMetrics?: boolean } = {},
): ServerMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics === true) collectDefaultMetrics({ register: registry, prefix: 'plimsoll_' });
  const httpRequests = new Counter({
    name: 'plimsoll_http_requests_total',
    help: 'HTTP requests by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'plimsoll_http_request_duration_seconds',
    help: 'HTTP request duration by method and route pattern',
    labelNames: ['method', 'route'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const commands = new Counter({
    name: 'plimsoll_commands_total',
    help: 'Engine commands by type and outcome (ok or the rejection code)',
    labelNames: ['type', 'outcome'] as const,
    registers: [registry],
  });
  const pretradeCheck = new Histogram({
    name: 'plimsoll_pretrade_check_seconds',
    help: 'Pre-trade check latency (order check, fill) until the answer is known',
    labelNames: ['kind'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const commitLatency = new Histogram({
    name: 'plimsoll_command_commit_seconds',
    help: 'Command submit until its events are durable (journal append and commit)',
    labelNames: ['type'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const liquidations = new Counter({
    name: 'plimsoll_liquidations_total',
    help: 'Completed liquidation steps by market and mode',
    labelNames: ['market', 'mode'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'plimsoll_insurance_fund',
    help: 'Insurance fund balance per asset (whole units; exact figure at GET /v1/insurance-fund)',
    labelNames: ['asset'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const s = state();
      for (const [asset, amount] of s.insurance) {
        const decimals = s.assets.get(asset)?.decimals ?? 0;
        this.set({ asset }, toNumber(amount, decimals));
      }
    },
  });
  new Gauge({
    name: 'plimsoll_oracle_safe_mode',
    help: '1 when the market oracle is in safe mode (liquidations paused), else 0',
    labelNames: ['market'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [market, m] of state().markets) {
        if (m.oracle) this.set({ market }, oracleSafeMode(m.oracle.state) ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'plimsoll_oracle_index_reliable',
    help: '1 when the market oracle index is reliable, else 0',
    labelNames: ['market'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [market, m] of state().markets) {
        if (m.oracle) this.set({ market }, oracleReliable(m.oracle.state) ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'plimsoll_liquidations_paused',
    help: '1 when an operator paused liquidations in the market, else 0',
    labelNames: ['market'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [market, m] of state().markets) this.set({ market }, m.liquidationsPaused ? 1 : 0);
    },
  });
  new Gauge({
    name: 'plimsoll_journal_seq',
    help: 'Sequence number of the last committed event',
    registers: [registry],
    collect() {
      this.set(state().seq);
    },
  });
  return {
    registry,
    httpRequests,
    httpDuration,
    commands,
    pretradeCheck,
    commitLatency,
    liquidations,
    observeEvents(events) {
      for (const e of events) {
        if (e.type === 'liquidation_completed') liquidations.inc({ market: e.market, mode: e.mode });
      }
    },
  };
}

function oracleSafeMode(s: Readonly<OracleState>): boolean {
  return s.safeMode.active;
}

function oracleReliable(s: Readonly<OracleState>): boolean {
  return s.index.reliable;
}
