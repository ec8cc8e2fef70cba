/**
 * `plimsoll serve --replay 2025-10-10`: a live venue replaying a real crash day through its API.
 *
 * It starts the service (journal, HTTP API, event stream, keeper) on the demo's venue and seeded
 * population, then drives it only over HTTP with signed requests, as outside clients would:
 * - the population opens through the API — the operator funds the accounts, each trader sets
 *   its leverage and margin mode with its own trader key, the matching engine (venue key)
 *   reports the opening fills, and each trader rests a small buy-the-dip bid with its own key
 *   (the order reserves initial margin; a liquidation cancels it);
 * - a feed key posts the day's real multi-source observations (the same data as `plimsoll demo`:
 *   Binance COIN-M and USDⓈ-M marks, Gemini trades, Binance book depth) to the market's guarded
 *   oracle, and the BTC collateral price follows the guarded mark; the operator settles funding
 *   at the 8-hour boundaries;
 * - market time runs at `speed` × real time (60: a minute of market per second), every command
 *   stamped with its market time.
 * The keeper inside the service liquidates as prices fall; the driver watches the event stream
 * like any subscriber and reports a record per minute of market time (mark, liquidations, resting
 * orders, insurance fund), after one with the URLs to query while it runs.
 *
 * Layering: this module uses src/sim (data, population) and src/server (service, client); those
 * two never import each other.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { CommandInput } from '../core/engine/commands.ts';
import { formatDecimal, parseDecimalUnsafe } from '../core/num/index.ts';
import { type ApiKey, newSecret, signedHeaders } from '../server/auth.ts';
import { PlimsollClient } from '../server/client.ts';
import { createLogger, stderrDestination } from '../server/log.ts';
import { type RunningService, startService } from '../server/service.ts';
import { FUNDING_INTERVAL_MS, FUNDING_PREMIUM_INDEX } from '../sim/crash-driver.ts';
import { crashWindow, loadCrashKlines } from '../sim/data/crashes.ts';
import {
  crashOracleConfig,
  loadCrashObservations,
  type OracleReplayDay,
  replaySteps,
} from '../sim/feeds/crash-replay.ts';
import { hasOracleFeed } from '../sim/oracle-feed.ts';
import { demoPopulation } from '../sim/population.ts';
import { BASE_ASSET, MARKET } from '../sim/venue.ts';

export interface ServeReplayOptions {
  readonly day: string;
  /** Market time per real time (60: a minute of market per second). */
  readonly speed: number;
  readonly accounts: number;
  readonly seed: number;
  readonly host: string;
  readonly port: number;
  /** Journal path (default: a new temporary directory). */
  readonly store?: string;
  /**
   * Start at this minute of the day, "HH:MM" UTC; the population opens there. Default: half an hour
   * before the window's low (20:50 on 2025-10-10), so a newcomer sees the crash within a minute.
   */
  readonly from?: string;
  /** Stop after this many minutes of market time (default: the whole window). */
  readonly minutes?: number;
  /** The risk console's built files (default: the package's dist/dashboard). */
  readonly dashboardDir?: string;
  /** Receives the start record, one record per market minute, in order. */
  readonly report: (record: ReplayRecord) => void;
}

/** What the replay reports as it runs: rendered as text lines or JSON lines by the CLI. */
export type ReplayRecord =
  | {
      readonly kind: 'start';
      readonly day: string;
      readonly traders: number;
      readonly seed: number;
      readonly speed: number;
      readonly url: string;
      readonly events: string;
      readonly keysFile: string;
      readonly firstTrader: string;
      readonly journal: string;
    }
  | {
      readonly kind: 'minute';
      /** Market time of the minute, "HH:MM" UTC. */
      readonly time: string;
      readonly markPrice: string | null;
      readonly liquidations: number;
      /** Traders' resting orders still open (placed minus cancelled, e.g. by their liquidation). */
      readonly restingOrders: number;
      readonly insuranceFund: Readonly<Record<string, string>>;
    };

/** The text line of a replay record (the CLI's readable output). */
export function formatReplayRecord(r: ReplayRecord): string {
  if (r.kind === 'start') {
    return [
      `plimsoll serve --replay ${r.day}: ${r.traders} traders (seed ${r.seed}), market time ×${r.speed}`,
      `  API       ${r.url}   (public: curl ${r.url}/v1/markets/${MARKET})`,
      `  events    ${r.events}   (public without a key; signed for an account's events: docs/server.md)`,
      `  keys      ${r.keysFile}   (operator, feed, venue, one trader key per account: ${r.firstTrader}, …)`,
      `  journal   ${r.journal}`,
      '',
    ].join('\n');
  }
  const fund = Object.entries(r.insuranceFund)
    .map(([a, v]) => `${v} ${a}`)
    .join(', ');
  return `${r.time} UTC  mark ${r.markPrice ?? '-'}  liquidations ${r.liquidations}  resting orders ${r.restingOrders}  insurance fund ${fund}`;
}

export interface ServeReplaySummary {
  readonly url: string;
  readonly minutes: number;
  readonly oracleSteps: number;
  readonly liquidations: number;
  /** Traders' resting orders placed through the API, and how many were cancelled (by liquidations). */
  readonly ordersPlaced: number;
  readonly ordersCancelled: number;
  readonly rejected: Record<string, number>;
  readonly stateHash: string;
  readonly seq: number;
}

/** Without --from, the replay starts this long before the window's low. */
const DEFAULT_LEAD_MS = 30 * 60_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

/** A decimal price truncated to 2 decimals (the demo market's tick 0.01). */
function toCents(price: string): string {
  const [int, frac = ''] = price.split('.');
  const cents = frac.slice(0, 2).replace(/0+$/, '');
  return cents === '' ? int! : `${int}.${cents}`;
}

/** The ms of "HH:MM" UTC on the day that starts at dayStartMs. */
function minuteOfDay(dayStartMs: number, hhmmText: string): number {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(hhmmText);
  if (!m) throw new Error(`--from must be HH:MM (UTC), got ${hhmmText}`);
  const day = Math.floor(dayStartMs / 86_400_000) * 86_400_000;
  return day + (Number(m[1]) * 60 + Number(m[2])) * 60_000;
}

/** Keys for the replay: operator, feed, venue, and one trader key per trader account. */
function replayKeys(traders: readonly string[]): ApiKey[] {
  return [
    { id: 'operator', secret: newSecret(), scopes: ['operator'] },
    { id: 'feed', secret: newSecret(), scopes: ['feed'] },
    { id: 'venue', secret: newSecret(), scopes: ['venue'] },
    ...traders.map((account) => ({
      id: account,
      secret: newSecret(),
      scopes: ['trader' as const],
      accounts: [account],
    })),
  ];
}

/** One setup command of the population, sent through the route a venue client would use. */
async function sendSetup(
  c: CommandInput,
  client: (keyId: string) => PlimsollClient,
  i: number,
): Promise<void> {
  const id = `setup-${i}`;
  switch (c.type) {
    case 'prices':
      await client('feed').request('POST', '/v1/prices', {
        timeMs: c.timeMs,
        ...(c.marks ? { marks: c.marks } : {}),
        ...(c.assets ? { assets: c.assets } : {}),
      });
      return;
    case 'deposit':
      await client('operator').request('POST', '/v1/deposits', {
        account: c.to.account,
        sub: c.to.sub ?? '0',
        asset: c.asset,
        amount: c.amount,
        commandId: id,
      });
      return;
    case 'fund_insurance':
      await client('operator').request('POST', '/v1/insurance-fund/contributions', {
        account: c.from.account,
        sub: c.from.sub ?? '0',
        asset: c.asset,
        amount: c.amount,
        commandId: id,
      });
      return;
    case 'set_leverage':
      await client(c.subaccount.account).request(
        'PUT',
        `/v1/accounts/${c.subaccount.account}/subaccounts/${c.subaccount.sub ?? '0'}/leverage`,
        { symbol: c.market, leverage: c.maxLeverage === null ? null : String(c.maxLeverage), commandId: id },
      );
      return;
    case 'set_margin_mode':
      await client(c.subaccount.account).request(
        'PUT',
        `/v1/accounts/${c.subaccount.account}/subaccounts/${c.subaccount.sub ?? '0'}/margin-mode`,
        { symbol: c.market, marginMode: c.mode, commandId: id },
      );
      return;
    case 'fill':
      await client('venue').request('POST', '/v1/fills', {
        symbol: c.market,
        buyer: { account: c.buyer.account, sub: c.buyer.sub ?? '0' },
        seller: { account: c.seller.account, sub: c.seller.sub ?? '0' },
        amount: String(c.size),
        price: String(c.price),
        ...(c.taker ? { taker: c.taker } : {}),
        ...(c.timeMs === undefined ? {} : { timeMs: c.timeMs }),
        commandId: id,
      });
      return;
    default:
      throw new Error(`the replay cannot send setup command ${c.type} through the API`);
  }
}

/** Runs the replay; resolves when the window (or `minutes`) is done, leaving the service running. */
export async function runServeReplay(
  opts: ServeReplayOptions,
): Promise<{ service: RunningService; summary: ServeReplaySummary }> {
  if (!hasOracleFeed(opts.day))
    throw new Error(
      `--replay ${opts.day}: only days with a multi-source feed can be replayed live (2025-10-10)`,
    );
  const all = loadCrashKlines(opts.day);
  const window = crashWindow(opts.day);
  const fromMs =
    opts.from === undefined
      ? Math.max(all[0]!.openTimeMs, window.low.openTimeMs - DEFAULT_LEAD_MS)
      : minuteOfDay(all[0]!.openTimeMs, opts.from);
  const klines = all.filter((k) => k.openTimeMs >= fromMs);
  if (klines.length === 0) throw new Error(`--from ${opts.from}: after the end of the ${opts.day} window`);
  const startMs = klines[0]!.openTimeMs;
  const endMs = klines[klines.length - 1]!.openTimeMs + window.intervalMs - 1;
  const untilMs = opts.minutes === undefined ? endMs : Math.min(endMs, startMs + opts.minutes * 60_000);
  const openPrice = toCents(klines[0]!.open);
  const pop = demoPopulation({
    accounts: opts.accounts,
    seed: opts.seed,
    // the opening fills must be on the market's tick (0.01): mark klines have more decimals
    openPrice,
    timeMs: startMs,
  });
  const traders = [...new Set(pop.traders.map((t) => t.ref.account))];
  const dir = mkdtempSync(join(tmpdir(), 'plimsoll-live-'));
  const keys = replayKeys(traders);
  const keysFile = join(dir, 'keys.json');
  writeFileSync(keysFile, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
  const service = await startService({
    store: opts.store ?? join(dir, 'venue.sqlite'),
    config: pop.config,
    keysFile,
    host: opts.host,
    port: opts.port,
    // market time: the keeper stamps liquidations with the engine's (replayed) time
    keeperUsesClock: false,
    rateLimit: { ratePerSec: 1_000_000, burst: 1_000_000 },
    ...(opts.dashboardDir === undefined ? {} : { dashboardDir: opts.dashboardDir }),
    logger: createLogger({ level: 'warn', destination: stderrDestination() }),
  });
  try {
    return await drive(service);
  } catch (e) {
    await service.close().catch(() => {});
    throw e;
  }

  async function drive(
    service: RunningService,
  ): Promise<{ service: RunningService; summary: ServeReplaySummary }> {
    const secretOf = new Map(keys.map((k) => [k.id, k.secret]));
    const clients = new Map<string, PlimsollClient>();
    const client = (id: string) => {
      let c = clients.get(id);
      if (!c) {
        c = new PlimsollClient({ url: service.url, keyId: id, secret: secretOf.get(id)! });
        clients.set(id, c);
      }
      return c;
    };
    const wsUrl = service.url.replace(/^http/, 'ws');
    opts.report({
      kind: 'start',
      day: opts.day,
      traders: traders.length,
      seed: opts.seed,
      speed: opts.speed,
      url: service.url,
      events: `${wsUrl}/v1/events?since=0`,
      keysFile,
      firstTrader: traders[0]!,
      journal: service.store,
    });

    const rejected: Record<string, number> = {};
    const note = (e: unknown) => {
      const code = (e as { code?: string }).code ?? (e as Error).name;
      rejected[code] = (rejected[code] ?? 0) + 1;
    };

    // the population opens through the API
    for (const [i, c] of pop.setup.entries()) await sendSetup(c, client, i);
    await client('operator').request('PUT', `/v1/oracles/${MARKET}`, {
      config: crashOracleConfig('median', MARKET) as unknown as Record<string, unknown>,
    });

    // watch the event stream like any subscriber (the operator sees every liquidation in full)
    let liquidations = 0;
    let ordersCancelled = 0;
    const path = `/v1/events?since=${service.sink.engine.state.seq}`;
    const ws = new WebSocket(`${wsUrl}${path}`, {
      headers: signedHeaders(
        { id: 'operator', secret: secretOf.get('operator')! },
        'GET',
        path,
        '',
        Date.now(),
      ),
    });
    ws.on('message', (d) => {
      const m = JSON.parse(String(d)) as { op: string; event?: { type: string } };
      if (m.op !== 'event') return;
      if (m.event?.type === 'liquidation_completed') liquidations++;
      if (m.event?.type === 'order_cancelled') ordersCancelled++;
    });
    ws.on('error', () => {});
    await new Promise<void>((resolve) => {
      ws.once('open', () => resolve());
      ws.once('close', () => resolve());
    });

    const steps = replaySteps(loadCrashObservations(opts.day as OracleReplayDay), 60_000, {
      fromMs: startMs,
      toMs: untilMs,
    }).filter((s) => s.nowMs >= startMs);
    // each trader rests a small buy-the-dip bid 5 % under the opening price with its own key, once
    // the guarded oracle is out of safe mode (it refuses risk-adding orders): the order reserves
    // initial margin (the pre-trade check refuses it when free collateral cannot cover it), and a
    // liquidation cancels the liquidatee's orders
    const dipBid = formatDecimal((parseDecimalUnsafe(openPrice, 2) * 95n) / 100n, 2);
    let ordersPlaced = 0;
    let ordersSent = false;
    const placeDipBids = async () => {
      ordersSent = true;
      for (const account of traders) {
        await client(account)
          .request('POST', '/v1/orders', {
            orderId: `dip-${account}`,
            account,
            symbol: MARKET,
            side: 'buy',
            amount: '0.001',
            price: dipBid,
            commandId: `dip-${account}`,
          })
          .then(() => ordersPlaced++, note);
      }
    };
    const wallStart = Date.now();
    const wallAt = (marketMs: number) => wallStart + (marketMs - startMs) / opts.speed;
    let nextFunding = (Math.floor(startMs / FUNDING_INTERVAL_MS) + 1) * FUNDING_INTERVAL_MS;
    let minute = -1;
    let lastMark: string | null = null;
    let oracleSteps = 0;
    for (const step of steps) {
      const wait = wallAt(step.nowMs) - Date.now();
      if (wait > 0) await sleep(wait);
      while (nextFunding <= step.nowMs) {
        await client('operator')
          .request('POST', '/v1/funding', {
            symbol: MARKET,
            timeMs: nextFunding,
            premiumIndex: FUNDING_PREMIUM_INDEX,
          })
          .catch(note);
        nextFunding += FUNDING_INTERVAL_MS;
      }
      if (step.inputs.length > 0 || step.tick) {
        await client('feed')
          .request('POST', `/v1/oracle/${MARKET}/observations`, { timeMs: step.nowMs, inputs: step.inputs })
          .catch(note);
        oracleSteps++;
        // the BTC collateral follows the guarded mark (as the library keeper's assetsFollowMarks)
        const market = (await client('feed').request('GET', `/v1/markets/${MARKET}`)) as {
          markPrice: string | null;
          oracle: { safeMode: boolean } | null;
        };
        if (market.markPrice !== null && market.markPrice !== lastMark) {
          lastMark = market.markPrice;
          await client('feed')
            .request('POST', '/v1/prices', { timeMs: step.nowMs, assets: { [BASE_ASSET]: lastMark } })
            .catch(note);
        }
        if (!ordersSent && lastMark !== null && market.oracle?.safeMode === false) await placeDipBids();
      }
      const m = Math.floor((step.nowMs - startMs) / 60_000);
      if (m !== minute) {
        minute = m;
        const ins = (await client('feed').request('GET', '/v1/insurance-fund')) as {
          balances: Record<string, string>;
        };
        opts.report({
          kind: 'minute',
          time: hhmm(step.nowMs),
          markPrice: lastMark,
          liquidations,
          restingOrders: ordersPlaced - ordersCancelled,
          insuranceFund: ins.balances,
        });
      }
    }
    await service.live.keeper?.idle();
    await sleep(100);
    ws.close();
    const state = (await client('operator').request('GET', '/v1/state')) as {
      seq: number;
      stateHash: string;
    };
    return {
      service,
      summary: {
        url: service.url,
        minutes: minute + 1,
        oracleSteps,
        liquidations,
        ordersPlaced,
        ordersCancelled,
        rejected,
        stateHash: state.stateHash,
        seq: state.seq,
      },
    };
  }
}
