/**
 * `plimsoll demo`: replays a bundled real crash against a seeded population and
 * prints what happened (or the metrics as JSON with --json). Progress goes to
 * stderr, only when stderr is a terminal.
 */
import { existsSync, statSync } from 'node:fs';
import { formatDecimal, parseDecimalUnsafe } from '../core/num/index.ts';
import { CRASH_WINDOWS } from '../sim/data/crashes.ts';
import { hasOracleFeed } from '../sim/oracle-feed.ts';
import { type ReplayResult, runCrashReplay } from '../sim/replay.ts';
import { UsageError } from './errors.ts';
import { fmtChange, fmtDecimal, fmtInt, fmtPercent, fmtRate, fmtSeconds } from './format.ts';

export interface DemoOptions {
  readonly crash: string;
  readonly accounts: number;
  readonly seed: number;
  readonly journal?: string;
  readonly json: boolean;
  /** 'oracle' | 'klines' (see ReplayOptions.prices); default: oracle where the day has a multi-source feed. */
  readonly prices?: 'oracle' | 'klines';
}

export const DEFAULT_CRASH = '2025-10-10';
export const DEFAULT_ACCOUNTS = 3000;
export const DEFAULT_SEED = 42;
export const MAX_ACCOUNTS = 100_000;

export interface Io {
  readonly out: (text: string) => void;
  readonly err: NodeJS.WriteStream;
}

/** Runs the demo; returns the process exit code (0, or 1 when a check fails). */
export function runDemo(opts: DemoOptions, io: Io): number {
  if (!CRASH_WINDOWS.some((w) => w.id === opts.crash)) {
    throw new UsageError(
      `unknown crash ${JSON.stringify(opts.crash)}; choose one of ${CRASH_WINDOWS.map((w) => w.id).join(', ')}`,
    );
  }
  if (opts.journal !== undefined && existsSync(opts.journal) && statSync(opts.journal).size > 0) {
    throw new UsageError(
      `journal ${opts.journal} already exists; give a new file name (the demo writes a fresh journal)`,
    );
  }
  if (opts.prices === 'oracle' && !hasOracleFeed(opts.crash)) {
    throw new UsageError(
      `--prices oracle needs several price sources; ${opts.crash} has one series (use --prices klines)`,
    );
  }
  const tty = io.err.isTTY === true;
  const progress = tty
    ? (p: { bar: number; bars: number; liquidations: number }) => {
        if (p.bar % 20 !== 0 && p.bar !== p.bars) return;
        io.err.write(
          `\r  replaying ${opts.crash}: minute ${fmtInt(p.bar)}/${fmtInt(p.bars)} · ${fmtInt(p.liquidations)} liquidation steps `,
        );
      }
    : undefined;
  const result = runCrashReplay({
    crash: opts.crash,
    accounts: opts.accounts,
    seed: opts.seed,
    ...(opts.journal === undefined ? {} : { journalPath: opts.journal }),
    ...(opts.prices === undefined ? {} : { prices: opts.prices }),
    ...(progress === undefined ? {} : { onProgress: progress }),
  });
  if (tty) io.err.write('\r\x1b[2K');
  if (opts.json) io.out(`${JSON.stringify({ ...result.metrics, run: result.run }, null, 2)}\n`);
  else io.out(renderSummary(result));
  return result.metrics.conservation.ok && result.metrics.replay.identical ? 0 : 1;
}

/** The terminal summary of a replay. */
export function renderSummary({ metrics: m, run }: ReplayResult): string {
  const usd = (s: string) => `${fmtDecimal(s)} USDC`;
  const p = m.population;
  const l = m.liquidations;
  const ins = m.insuranceFund;
  const lines: string[] = [];
  const row = (label: string, text: string) => lines.push(`${label.padEnd(17)}${text}`);
  const check = (ok: boolean) => (ok ? '✓' : '✗');

  lines.push(`Plimsoll demo · ${m.crash.id} crash replay · seed ${p.seed}`);
  lines.push(m.crash.description);
  lines.push('');
  // "2025-10-10 00:00 UTC" → "2025-10-10 23:59 UTC" reads as "2025-10-10 00:00 → 23:59 UTC" on one day.
  const sameDay = m.crash.from.slice(0, 10) === m.crash.to.slice(0, 10);
  const span = sameDay
    ? `${m.crash.from.slice(0, 16)} → ${m.crash.to.slice(11)}`
    : `${m.crash.from} → ${m.crash.to}`;
  row(
    'Window',
    `${span} · ${fmtInt(m.crash.bars)} one-minute bars · ${fmtInt(m.crash.pricePoints)} ${m.crash.prices === 'oracle' ? 'oracle ticks' : 'price points'}`,
  );
  row(
    'Price',
    `open ${fmtDecimal(m.price.open)} · low ${fmtDecimal(m.price.low)} at ${m.price.lowAt} (${fmtChange(m.price.open, m.price.low)}) · close ${fmtDecimal(m.price.close)}`,
  );
  const o = m.oracle;
  if (o) {
    const hm = (s: string) => s.slice(11, 19);
    row(
      'Oracle',
      `guarded mark from ${fmtInt(o.inputs)} observations (Binance COIN-M 1m, USDⓈ-M 5m, Gemini trades, book depth) · mark low ${fmtDecimal(o.markLow)} at ${hm(o.markLowAt)}`,
    );
    const periods = o.safeMode.periods.map((p) => `${hm(p.from)} → ${p.to === null ? 'end' : hm(p.to)}`);
    row(
      '',
      `safe mode ${periods.length === 0 ? 'never' : periods.join(', ')} · breaker trips ${fmtInt(o.breaker.trips)} · liquidations held at ${fmtInt(o.held.ticks)} ticks (up to ${fmtInt(o.held.maxScopes)} scopes)`,
    );
  }
  row(
    'Traders',
    `${fmtInt(p.traders)}: ${fmtInt(p.longs)} long / ${fmtInt(p.shorts)} short · ${fmtInt(p.isolated)} isolated · ${fmtInt(p.btcCollateral)} on BTC collateral · ${fmtInt(p.whales)} whales`,
  );
  row(
    'Open interest',
    `${fmtDecimal(p.longSize, 3)} BTC long / ${fmtDecimal(p.shortSize, 3)} BTC short · gross ${usd(p.grossNotional)}`,
  );
  row(
    'Liquidity',
    `${p.marketMakers} market makers (${fmtDecimal(p.marketMakerDeposit, 0)} USDC each) · backstop vault ${fmtDecimal(p.backstopDeposit, 0)} USDC`,
  );
  lines.push('');
  const table = (a: string, b: string, c: string) =>
    lines.push(`${a.padEnd(17)}${b.padStart(8)}${c.padStart(28)}`);
  table('Liquidations', 'steps', 'closed notional');
  const total = { steps: 0, notional: 0n };
  for (const mode of ['partial', 'full', 'bankrupt', 'backstop'] as const) {
    const t = l[mode];
    if (mode === 'backstop' && t.steps === 0) continue;
    total.steps += t.steps;
    total.notional += parseDecimalUnsafe(t.notional, 18);
    table(`  ${mode}`, fmtInt(t.steps), usd(t.notional));
  }
  table('  total', fmtInt(total.steps), usd(formatDecimal(total.notional, 18)));
  row(
    '  traders hit',
    `${fmtInt(l.tradersLiquidated)} of ${fmtInt(p.traders)} (${fmtPercent(l.tradersLiquidated, p.traders)}) · liquidator rewards ${usd(l.liquidatorRewards)}`,
  );
  const rejected = Object.entries(l.rejected);
  if (rejected.length > 0) row('  rejected', rejected.map(([k, v]) => `${k} ×${fmtInt(v)}`).join(' · '));
  lines.push('');
  row(
    'Insurance fund',
    `start ${fmtDecimal(ins.start)} · min ${fmtDecimal(ins.min)} · max ${fmtDecimal(ins.max)} · end ${usd(ins.end)}`,
  );
  const seized = Object.entries(ins.seized).map(([a, v]) => `${fmtDecimal(v, 8)} ${a}`);
  row(
    '',
    `in: fees ${usd(l.insuranceFees)} · out: bankruptcies ${usd(ins.covered)}${seized.length > 0 ? ` · seized ${seized.join(', ')}` : ''}`,
  );
  row(
    'ADL',
    `${fmtInt(m.adl.fills)} fills · ${fmtDecimal(m.adl.size, 3)} BTC · notional ${usd(m.adl.notional)}`,
  );
  row('Socialized loss', usd(m.socializedLoss));
  row('Fees', `trading ${usd(m.fees.trading)} · fee pool at end ${usd(m.fees.feePoolEnd)}`);
  const rates = [...new Set(m.funding.rates)].map((r) => fmtRate(r, 4));
  row(
    'Funding',
    m.funding.ticks === 0
      ? 'no 8-hour boundary in the window'
      : `${m.funding.ticks} tick${m.funding.ticks === 1 ? '' : 's'} at ${rates.join(', ')} per 8 h (premium index ${m.funding.premiumIndex}: the series has no index price)`,
  );
  const b = m.backstopVault;
  row('Backstop vault', `position ${fmtDecimal(b.position, 3)} BTC · PnL ${usd(b.pnl)}`);
  lines.push('');
  const cons = Object.entries(m.conservation.assets)
    .map(([a, c]) => `${a} ${fmtDecimal(c.ledger, a === 'USDC' ? 2 : 8)}${c.ok ? ' =' : ' ≠'} net deposits`)
    .join(' · ');
  row('Conservation', `${check(m.conservation.ok)} INV-01: ${cons}`);
  row(
    'Replay',
    `${check(m.replay.identical)} INV-02: journal re-opened, stateHash ${m.replay.replayedHash} ${m.replay.identical ? '=' : '≠'} live ${m.replay.liveHash} (${fmtInt(m.replay.events)} events)`,
  );
  row('Journal', run.journalPath);
  row(
    'Wall time',
    `${fmtSeconds(run.wallTimeMs)} (setup ${fmtSeconds(run.setupMs)} · replay ${fmtSeconds(run.replayMs)} · checks ${fmtSeconds(run.checkMs)})`,
  );
  return `${lines.join('\n')}\n`;
}
