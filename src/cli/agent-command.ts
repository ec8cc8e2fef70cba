/**
 * `plimsoll agent`: runs a margin-management strategy live against a running `plimsoll serve`,
 * through its signed HTTP API and its event stream (docs/trader.md, "Run a strategy live").
 *
 *   plimsoll agent --strategy band --account alice --server http://127.0.0.1:8080 --key alice.key.json \
 *     [--sub 0] [--reserve-sub reserve] [--market BTCUSDT] [--trigger 50%] [--target 25%] \
 *     [--cooldown 60s] [--min-action 10] [--once] [--json]
 *   plimsoll agent --strategy probability … [--threshold 0.05] [--horizon 1d] [--vol 0.8]
 *
 * Everything is checked before anything is done: the strategy's parameters (an impossible band is
 * refused), the key file, that the service answers, that the account and its reserve subaccount
 * exist and that the key may act on the account (the 'started' decision is posted first). Then the
 * agent follows the stream and decides after every event that can move the account's risk; each
 * decision is printed (a line of text, or a JSON line with --json) and posted to the service,
 * where the console's account page shows it. SIGINT/SIGTERM stop it after the decision in flight.
 *
 * This module is the HTTP side of the agent (the public client, src/api/client.ts); the loop
 * itself is src/trader/agent/agent-loop.ts.
 */
import { readFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { PlimsollApiError, PlimsollClient, signedHeaders } from '../api/client.ts';
import { parseDecimal } from '../core/num/index.ts';
import {
  type ActionReply,
  AgentLoop,
  type AgentPort,
  type DecisionRecord,
  formatDecision,
  PortError,
} from '../trader/agent/agent-loop.ts';
import { movesRisk, ResumableEventStream } from '../trader/agent/event-stream.ts';
import type { AccountSnapshot, WireMarket, WireSubaccount } from '../trader/agent/wire-observe.ts';
import { BandRebalancer } from '../trader/strategies/band-rebalancer.ts';
import { ProbabilityGuard } from '../trader/strategies/probability-guard.ts';
import { type Strategy, StrategyError } from '../trader/strategies/strategy.ts';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from './errors.ts';

export const STRATEGIES = ['band', 'probability'] as const;

export interface AgentCliOptions {
  strategy: (typeof STRATEGIES)[number];
  account: string;
  server: string;
  key: string;
  keyId?: string;
  sub: string;
  reserveSub: string;
  market?: string;
  trigger: string;
  target: string;
  threshold: string;
  horizon: string;
  vol: string;
  cooldown: string;
  minAction: string;
  once?: boolean;
  json?: boolean;
}

export const AGENT_DEFAULTS = {
  sub: '0',
  reserveSub: 'reserve',
  trigger: '50%',
  target: '25%',
  threshold: '0.05',
  horizon: '1d',
  vol: '0.8',
  cooldown: '60s',
  minAction: '0',
} as const;

/** "50%" or "0.5" → ppm (> 0). */
export function parseRatioPpm(flag: string, text: string): bigint {
  const t = text.trim();
  const pct = t.endsWith('%');
  const r = parseDecimal(pct ? t.slice(0, -1) : t, pct ? 4 : 6);
  if (!r.ok || r.value <= 0n)
    throw new UsageError(`${flag} ${text}: expected a positive percentage ("50%") or fraction ("0.5")`);
  return r.value;
}

const DURATION_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "60s", "5m", "1d", "250ms" → ms. */
export function parseDuration(flag: string, text: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) throw new UsageError(`${flag} ${text}: expected a duration like 250ms, 60s, 5m, 4h or 1d`);
  return Math.round(Number(m[1]) * DURATION_MS[m[2]!]!);
}

/** The strategy the flags describe; an impossible one is a UsageError (nothing has been done). */
export function buildStrategy(o: AgentCliOptions, decimals: number): Strategy {
  const cooldownMs = parseDuration('--cooldown', o.cooldown);
  const min = parseDecimal(o.minAction, decimals);
  if (!min.ok || min.value < 0n)
    throw new UsageError(
      `--min-action ${o.minAction}: expected an amount ≥ 0 with at most ${decimals} decimals`,
    );
  try {
    if (o.strategy === 'band')
      return new BandRebalancer({
        account: 'perp',
        triggerPpm: parseRatioPpm('--trigger', o.trigger),
        targetPpm: parseRatioPpm('--target', o.target),
        cooldownMs,
        minAction: min.value,
      });
    const threshold = Number(o.threshold);
    const vol = Number(o.vol);
    if (!Number.isFinite(threshold) || !Number.isFinite(vol))
      throw new UsageError('--threshold and --vol are numbers (e.g. 0.05 and 0.8)');
    return new ProbabilityGuard({
      threshold,
      horizonYears: parseDuration('--horizon', o.horizon) / (365 * DURATION_MS.d!),
      sigmaPerYear: vol,
      cooldownMs,
      minAction: min.value,
    });
  } catch (e) {
    if (e instanceof StrategyError) throw new UsageError(`${e.message} (${e.code})`);
    throw e;
  }
}

/** The key to sign with: a file holding {id, secret}, or the service's keys file (an array). */
export function readKey(file: string, account: string, keyId?: string): { id: string; secret: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`--key ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  type K = { id?: unknown; secret?: unknown; accounts?: unknown; scopes?: unknown };
  const list = (Array.isArray(parsed) ? parsed : [parsed]) as K[];
  const usable = list.filter(
    (k): k is { id: string; secret: string } & K =>
      typeof k === 'object' && k !== null && typeof k.id === 'string' && typeof k.secret === 'string',
  );
  if (usable.length === 0) throw new UsageError(`--key ${file}: no {"id", "secret"} key in it`);
  if (keyId !== undefined) {
    const k = usable.find((x) => x.id === keyId);
    if (!k)
      throw new UsageError(`--key ${file}: no key ${keyId} (has ${usable.map((x) => x.id).join(', ')})`);
    return { id: k.id, secret: k.secret };
  }
  if (usable.length === 1) return { id: usable[0]!.id, secret: usable[0]!.secret };
  const mine = usable.filter((k) => Array.isArray(k.accounts) && k.accounts.includes(account));
  if (mine.length === 1) return { id: mine[0]!.id, secret: mine[0]!.secret };
  throw new UsageError(
    `--key ${file} holds several keys (${usable.map((x) => x.id).join(', ')}): choose one with --key-id`,
  );
}

/** A service failure as the loop sees it: transient (retry the same request) or not. */
function portError(e: unknown, url: string): PortError {
  if (e instanceof PortError) return e;
  if (e instanceof PlimsollApiError)
    return new PortError(
      e.code,
      e.message.replace(/^\d+ [A-Z_]+: /, ''),
      e.status >= 500 || e.status === 429 || e.code === 'SHUTTING_DOWN',
    );
  const cause = (e as { cause?: { code?: string } })?.cause?.code;
  return new PortError(
    'UNREACHABLE',
    `cannot reach the service at ${url}${cause ? ` (${cause})` : ''}: ${(e as Error)?.message ?? String(e)}`,
    true,
  );
}

interface Fixed {
  readonly settlementAsset: string;
  readonly decimals: number;
  readonly markets: readonly WireMarket[];
}

/** The agent's port over the signed HTTP client. */
export class HttpAgentPort implements AgentPort {
  constructor(
    private readonly client: PlimsollClient,
    private readonly url: string,
    private readonly o: { account: string; sub: string; reserveSub: string | undefined },
    private readonly fixed: Fixed,
  ) {}

  private async call<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      throw portError(e, this.url);
    }
  }

  private subaccount(sub: string): Promise<WireSubaccount> {
    return this.call(() => this.client.subaccount(this.o.account, sub) as unknown as Promise<WireSubaccount>);
  }

  async head(): Promise<number> {
    return (await this.call(() => this.client.request<{ seq: number }>('GET', '/v1/prices'))).seq;
  }

  async snapshot(): Promise<AccountSnapshot> {
    const p = await this.call(() =>
      this.client.request<{ seq: number; timeMs: number }>('GET', '/v1/prices'),
    );
    const sub = await this.subaccount(this.o.sub);
    const reserve = this.o.reserveSub === undefined ? undefined : await this.subaccount(this.o.reserveSub);
    return { timeMs: p.timeMs, seq: p.seq, ...this.fixed, sub, reserve };
  }

  transfer(r: Parameters<AgentPort['transfer']>[0]): Promise<ActionReply> {
    return this.call(
      () => this.client.transfer({ account: this.o.account, ...r }) as unknown as Promise<ActionReply>,
    );
  }

  placeOrder(r: Parameters<AgentPort['placeOrder']>[0]): Promise<ActionReply> {
    const { sub, ...rest } = r;
    return this.call(
      () =>
        this.client.request('POST', '/v1/orders', {
          ...rest,
          account: this.o.account,
          sub,
          reduceOnly: true,
        }) as Promise<ActionReply>,
    );
  }

  async postDecision(d: DecisionRecord): Promise<void> {
    await this.call(() =>
      this.client.request('POST', `/v1/accounts/${encodeURIComponent(this.o.account)}/agent-decisions`, d),
    );
  }
}

export interface RunningAgent {
  readonly loop: AgentLoop;
  readonly started: DecisionRecord;
  /** The stream's last seen seq (undefined with --once). */
  cursor(): number | undefined;
  stop(reason?: string): Promise<void>;
}

export interface AgentIo {
  /** One log line (a decision, or a note). */
  readonly write: (line: string) => void;
  /** Test hook: wraps the HTTP port (e.g. to lose a reply). */
  readonly wrapPort?: (p: AgentPort) => AgentPort;
  readonly retryDelayMs?: number;
}

/**
 * Checks everything, posts 'started', then follows the stream (or decides once with `once`).
 * Throws UsageError for anything the user must fix, PortError UNREACHABLE when the service does not
 * answer — in both cases before any action was taken.
 */
export async function startAgent(o: AgentCliOptions, io: AgentIo): Promise<RunningAgent> {
  if (!/^https?:\/\/[^/\s]+\/?$/.test(o.server))
    throw new UsageError(`--server ${o.server}: expected http://host:port`);
  buildStrategy(o, 18); // an impossible band is refused before any network
  const key = readKey(o.key, o.account, o.keyId);
  const client = new PlimsollClient({ url: o.server, keyId: key.id, secret: key.secret });
  const refused = (e: unknown): never => {
    const p = portError(e, o.server);
    if (p.code === 'UNREACHABLE') throw p;
    if (p.code === 'FORBIDDEN' || p.code === 'UNKNOWN_KEY' || p.code === 'UNAUTHENTICATED')
      throw new UsageError(`key ${key.id} may not act on account ${o.account}: ${p.message} (${p.code})`);
    if (p.code === 'UNKNOWN_SUBACCOUNT') throw new UsageError(`${p.message} on ${o.server} (${p.code})`);
    throw new UsageError(`${p.message} (${p.code})`);
  };
  let fixed: Fixed;
  let offsetMs: number;
  try {
    offsetMs = await withRetries(() => client.syncClock(), io.retryDelayMs);
    const assets = await client.request<{
      assets: { asset: string; decimals: number; settlement: boolean }[];
    }>('GET', '/v1/assets');
    const settle = assets.assets.find((a) => a.settlement);
    if (!settle) throw new UsageError(`${o.server}: no settlement asset`);
    const markets = await client.request<{ markets: WireMarket[] }>('GET', '/v1/markets');
    fixed = { settlementAsset: settle.asset, decimals: settle.decimals, markets: markets.markets };
    if (o.market !== undefined && !fixed.markets.some((m) => m.symbol === o.market))
      throw new UsageError(`--market ${o.market}: no such market on ${o.server}`);
    await client.subaccount(o.account, o.sub);
    if (o.reserveSub !== 'none')
      await client.subaccount(o.account, o.reserveSub).catch((e: unknown) => {
        if (e instanceof PlimsollApiError && e.code === 'UNKNOWN_SUBACCOUNT')
          throw new UsageError(
            `account ${o.account} has no subaccount ${o.reserveSub} to top up from: fund it with a transfer, or pass --reserve-sub none to only reduce`,
          );
        throw e;
      });
  } catch (e) {
    if (e instanceof UsageError) throw e;
    return refused(e);
  }
  const strategy = buildStrategy(o, fixed.decimals);
  const reserveSub = o.reserveSub === 'none' ? undefined : o.reserveSub;
  const http = new HttpAgentPort(client, o.server, { account: o.account, sub: o.sub, reserveSub }, fixed);
  const port = io.wrapPort ? io.wrapPort(http) : http;
  const print = (d: DecisionRecord) =>
    io.write(o.json === true ? JSON.stringify({ account: o.account, ...d }) : formatDecision(d, o.account));
  const loop = new AgentLoop(port, {
    account: o.account,
    sub: o.sub,
    ...(reserveSub === undefined ? {} : { reserveSub }),
    ...(o.market === undefined ? {} : { market: o.market }),
    strategy,
    ...(io.retryDelayMs === undefined ? {} : { retryDelayMs: io.retryDelayMs }),
    onDecision: print,
    onError: (e) =>
      io.write(
        o.json === true
          ? JSON.stringify({ error: e instanceof Error ? e.message : String(e) })
          : `error: ${e instanceof Error ? e.message : String(e)}`,
      ),
  });
  let started: DecisionRecord;
  try {
    started = await loop.start();
  } catch (e) {
    if (e instanceof StrategyError) throw new UsageError(`${e.message} (${e.code})`);
    return refused(e);
  }
  if (o.once === true) {
    await loop.decide(started.trigger.seq, 'once');
    return { loop, started, cursor: () => undefined, stop: async () => {} };
  }
  const stream = new ResumableEventStream({
    url: o.server,
    account: o.account,
    since: started.trigger.seq,
    sign: (pathQuery) => signedHeaders(key, 'GET', pathQuery, '', Date.now() + offsetMs),
    onEvent: (e) => {
      if (movesRisk(e.event, o.account)) loop.trigger(e.seq, e.event.type);
    },
    onDisconnect: (code, reason) => {
      if (code !== 1000)
        io.write(
          o.json === true
            ? JSON.stringify({ disconnected: code, reason })
            : `stream closed (${code} ${reason}); resuming`,
        );
    },
  });
  // the state at start may already be past the trigger
  loop.trigger(started.trigger.seq, 'start');
  return {
    loop,
    started,
    cursor: () => stream.cursor,
    async stop(reason?: string) {
      stream.stop();
      await loop.stop(reason);
    },
  };
}

async function withRetries<T>(f: () => Promise<T>, delayMs = 200, attempts = 4): Promise<T> {
  for (let k = 0; ; k++) {
    try {
      return await f();
    } catch (e) {
      if (e instanceof PlimsollApiError || k + 1 >= attempts) throw e;
      await new Promise((r) => setTimeout(r, delayMs * 2 ** k));
    }
  }
}

export function registerAgentCommand(program: Command, io: { setExitCode: (code: number) => void }): void {
  program
    .command('agent')
    .description(
      'Run a margin-management strategy live against a running `plimsoll serve`: top up from a reserve subaccount or reduce, on every event that moves the account (docs/trader.md).',
    )
    .addOption(new Option('--strategy <name>', 'the strategy').choices([...STRATEGIES]).makeOptionMandatory())
    .requiredOption('--account <id>', 'the account to manage (the key must be allowed to act on it)')
    .requiredOption('--server <url>', 'the service, e.g. http://127.0.0.1:8080')
    .requiredOption(
      '--key <file>',
      'API key JSON: {"id", "secret"}, or the service keys file (with --key-id)',
    )
    .option('--key-id <id>', 'which key of a keys file')
    .option('--sub <id>', 'the subaccount to manage', AGENT_DEFAULTS.sub)
    .option(
      '--reserve-sub <id>',
      "the account's subaccount top-ups come from ('none': only reduce)",
      AGENT_DEFAULTS.reserveSub,
    )
    .option('--market <symbol>', 'the position to manage (default: the only cross position)')
    .option(
      '--trigger <ratio>',
      'band: margin ratio (maintenance / equity) that triggers',
      AGENT_DEFAULTS.trigger,
    )
    .option('--target <ratio>', 'band: margin ratio to restore (below the trigger)', AGENT_DEFAULTS.target)
    .option(
      '--threshold <p>',
      'probability: act above this probability of liquidation within the horizon',
      AGENT_DEFAULTS.threshold,
    )
    .option('--horizon <duration>', 'probability: horizon (e.g. 4h, 1d)', AGENT_DEFAULTS.horizon)
    .option('--vol <sigma>', 'probability: annualised volatility of the mark', AGENT_DEFAULTS.vol)
    .option('--cooldown <duration>', 'least time between two actions (e.g. 60s)', AGENT_DEFAULTS.cooldown)
    .option(
      '--min-action <amount>',
      'smallest top-up worth sending (settlement asset)',
      AGENT_DEFAULTS.minAction,
    )
    .option('--once', 'decide once and exit (for cron jobs and checks)')
    .option('--json', 'one JSON line per decision')
    .action((o: AgentCliOptions) => {
      io.setExitCode(EXIT_OK);
      const write = (line: string) => process.stdout.write(`${line}\n`);
      startAgent(o, { write }).then(
        (agent) => {
          if (o.once === true) return;
          let stopping = false;
          const stop = () => {
            if (stopping) return;
            stopping = true;
            agent.stop('stopped by signal').then(
              () => process.exit(EXIT_OK),
              () => process.exit(EXIT_FAILURE),
            );
          };
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        },
        (e: unknown) => {
          process.stderr.write(`plimsoll: ${e instanceof Error ? e.message : String(e)}\n`);
          process.exitCode = e instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE;
        },
      );
    });
}
