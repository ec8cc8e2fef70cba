/**
 * `plimsoll liq-price`: the liquidation and bankruptcy price of a position on a
 * venue preset, with the margin breakdown that explains the number and what-if
 * questions (src/core/calculator/liquidation-price.ts).
 *
 *   plimsoll liq-price --preset binance-usdm --wallet 1000 --position BTCUSDT:long:0.5@60000
 *                      [--position ETHUSDT:short:2@3000[:isolated[=MARGIN]][:lev=20]] [--mark ETHUSDT=3100]
 *                      [--market BTCUSDT] [--collateral BTC=0.1 --asset-price BTC=60000]
 *                      [--add-collateral 100] [--reduce BTCUSDT:0.1] [--move-others -5%] [--json]
 *   plimsoll liq-price --file examples/liq-price-binance-cross.json [--json]
 *   plimsoll liq-price --preset aave-v3 --collateral WETH=10 --asset-price WETH=3000 --debt 20000
 *
 * Exit codes as the rest of the CLI: 0 ok, 2 a usage error (message on stderr).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseLiquidationPriceInput } from '../core/calculator/input.ts';
import {
  CalculatorError,
  type CalculatorPosition,
  type LiquidationPriceInput,
  type LiquidationPriceResult,
  liquidationPriceFor,
  type WhatIf,
} from '../core/calculator/liquidation-price.ts';
import { formatDecimal, parseDecimalUnsafe } from '../core/num/index.ts';
import { PRESET_IDS } from '../core/presets/index.ts';
import { UsageError } from './errors.ts';
import { fmtDecimal } from './format.ts';

export interface LiqPriceOptions {
  preset?: string;
  file?: string;
  wallet?: string;
  position?: string[];
  mark?: string[];
  market?: string;
  collateral?: string[];
  assetPrice?: string[];
  debt?: string;
  asset?: string;
  addCollateral?: string;
  reduce?: string;
  moveOthers?: string;
  json?: boolean;
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/**
 * `MARKET:SIDE:SIZE@ENTRY[:isolated[=MARGIN]][:lev=N]`, e.g. `BTCUSDT:long:0.5@60000:isolated=3000:lev=20`.
 */
export function parsePositionSpec(spec: string): CalculatorPosition {
  const parts = spec.split(':');
  const [market, side, sizeAt, ...flags] = parts;
  const m = /^([^@]+)@(.+)$/.exec(sizeAt ?? '');
  if (!market || (side !== 'long' && side !== 'short') || !m) {
    throw new UsageError(
      `--position ${spec}: expected MARKET:long|short:SIZE@ENTRY[:isolated[=MARGIN]][:lev=N]`,
    );
  }
  let mode: 'cross' | 'isolated' = 'cross';
  let isolatedMargin: string | undefined;
  let leverage: string | undefined;
  for (const f of flags) {
    if (f === 'isolated' || f === 'cross') mode = f;
    else if (f.startsWith('isolated=')) {
      mode = 'isolated';
      isolatedMargin = f.slice('isolated='.length);
    } else if (f.startsWith('lev=')) leverage = f.slice('lev='.length);
    else
      throw new UsageError(
        `--position ${spec}: unknown flag ${JSON.stringify(f)} (isolated, isolated=MARGIN, lev=N)`,
      );
  }
  return {
    market,
    side,
    size: m[1]!,
    entryPrice: m[2]!,
    mode,
    ...(isolatedMargin === undefined ? {} : { isolatedMargin }),
    ...(leverage === undefined ? {} : { leverage }),
  };
}

function pairs(list: string[] | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list ?? []) {
    const i = item.indexOf('=');
    if (i <= 0 || i === item.length - 1) throw new UsageError(`${flag} ${item}: expected NAME=VALUE`);
    out[item.slice(0, i)] = item.slice(i + 1);
  }
  return out;
}

/** "-5%" → "-0.05"; "-0.05" stays. Exact (string arithmetic on the decimal point). */
export function parseMove(text: string): string {
  const t = text.trim();
  if (!t.endsWith('%')) return t;
  const body = t.slice(0, -1);
  if (!/^[-+]?\d+(\.\d+)?$/.test(body)) throw new UsageError(`--move-others ${text}: not a percentage`);
  const neg = body.startsWith('-');
  const digits = body.replace(/^[-+]/, '');
  const [int, frac = ''] = digits.split('.') as [string, string?];
  const padded = int.padStart(3, '0');
  const moved = `${padded.slice(0, -2)}.${padded.slice(-2)}${frac}`.replace(/^0+(?=\d)/, '');
  return (neg ? '-' : '') + moved;
}

/** Builds the calculator input from the flags (or the --file JSON, which flags may extend with what-ifs). */
export function liqPriceInputFromOptions(o: LiqPriceOptions): LiquidationPriceInput {
  let base: LiquidationPriceInput;
  if (o.file !== undefined) {
    let text: string;
    try {
      text = readFileSync(o.file, 'utf8');
    } catch (e) {
      throw new UsageError(
        `cannot read ${o.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw new UsageError(`${o.file}: not valid JSON: ${(e as Error).message}`);
    }
    const r = parseLiquidationPriceInput(raw);
    if (!r.ok) throw new UsageError(`${o.file}: invalid input:\n${r.issues}`);
    base = r.value;
  } else {
    if (o.preset === undefined)
      throw new UsageError(`--preset is required (one of ${PRESET_IDS.join(', ')}) unless --file is given`);
    base = { preset: o.preset };
  }
  const positions = (o.position ?? []).map(parsePositionSpec);
  const whatIf: { -readonly [K in keyof WhatIf]: WhatIf[K] } = { ...(base.whatIf ?? {}) };
  if (o.addCollateral !== undefined) whatIf.addCollateral = o.addCollateral;
  if (o.reduce !== undefined) {
    const [market, size] = o.reduce.split(':');
    if (!market || !size) throw new UsageError(`--reduce ${o.reduce}: expected MARKET:SIZE`);
    whatIf.reduce = { market, size };
  }
  if (o.moveOthers !== undefined) whatIf.moveOtherMarkets = parseMove(o.moveOthers);
  return {
    ...base,
    ...(o.preset !== undefined ? { preset: o.preset } : {}),
    ...(o.wallet !== undefined ? { walletBalance: o.wallet } : {}),
    ...(positions.length > 0 ? { positions: [...(base.positions ?? []), ...positions] } : {}),
    ...(o.mark ? { marks: { ...(base.marks ?? {}), ...pairs(o.mark, '--mark') } } : {}),
    ...(o.collateral
      ? { collateral: { ...(base.collateral ?? {}), ...pairs(o.collateral, '--collateral') } }
      : {}),
    ...(o.assetPrice
      ? { assetPrices: { ...(base.assetPrices ?? {}), ...pairs(o.assetPrice, '--asset-price') } }
      : {}),
    ...(o.market !== undefined ? { market: o.market } : {}),
    ...(o.debt !== undefined ? { debt: o.debt } : {}),
    ...(o.asset !== undefined ? { asset: o.asset } : {}),
    ...(Object.keys(whatIf).length > 0 ? { whatIf } : {}),
  };
}

const price = (p: string | null) => {
  if (p === null) return '—';
  const abs = p.replace('-', '');
  return fmtDecimal(p, abs.startsWith('0.') || abs.length < 4 ? 6 : 2);
};
/** A fraction as a percentage with 2 decimals, exactly ("0.025" → "2.50%"). */
const pct = (fraction: string | null) =>
  fraction === null ? '' : `${fmtDecimal(formatDecimal(parseDecimalUnsafe(fraction, 12) * 100n, 12), 2)}%`;

/** The human-readable report (the --json form prints the result object itself). */
export function formatLiqPrice(r: LiquidationPriceResult): string {
  const lines: string[] = [];
  const b = r.breakdown;
  // Quote amounts to the cent; an inverse market's coin amounts to 1e-8 with the coin's name.
  const coin = r.inverse?.settlementAsset;
  const money = (v: string) => (coin === undefined ? fmtDecimal(v, 2) : `${fmtDecimal(v, 8)} ${coin}`);
  if (r.lending) {
    const l = r.lending;
    lines.push(`${r.preset} · collateral ${l.asset} at ${price(l.price)} · debt ${money(l.debt)}`);
    lines.push(
      `  health factor        ${l.healthFactor === null ? '∞ (no debt)' : fmtDecimal(l.healthFactor, 4)}`,
    );
    lines.push(
      `  liquidation price    ${price(r.liquidationPrice)}  ${pct(r.distance)} from ${price(l.price)}`,
    );
    lines.push(`  bankruptcy price     ${price(r.bankruptcyPrice)}`);
    lines.push(`  formula              ${price(l.formulaLiquidationPrice)}`);
    lines.push(
      `  collateral ${money(l.collateralValue)} · at LT ${money(l.weightedCollateral)} · equity ${money(l.equity)}`,
    );
    if (l.closeFactorBps !== null)
      lines.push(`  liquidatable: close factor ${Number(l.closeFactorBps) / 100}%`);
  } else {
    const pos = b.positions.find((p) => p.market === r.market);
    const contracts = r.inverse ? ` contracts × ${fmtDecimal(r.inverse.contractValue, 0)} USD` : '';
    lines.push(
      `${r.preset} · ${r.market} ${r.side}${pos ? ` ${pos.size}${contracts} @ ${price(pos.entryPrice)}` : ' (closed)'} · ${r.mode} · mark ${price(r.markPrice)}`,
    );
    if (b.liquidatable)
      lines.push('  ALREADY LIQUIDATABLE: equity is below the maintenance margin at the current mark');
    lines.push(
      `  liquidation price    ${price(r.liquidationPrice)}  ${r.distance === null ? '' : `(${pct(r.distance)} from mark)`}`,
    );
    lines.push(`  bankruptcy price     ${price(r.bankruptcyPrice)}`);
    if (r.venueFormula) {
      lines.push(
        `  venue formula        ${price(r.venueFormula.liquidationPrice)}  (bracket ${r.venueFormula.bracket}; engine − formula ${r.venueFormula.differenceFromEngine ?? '—'})`,
      );
    }
    lines.push('');
    lines.push(`  ${b.scope} scope`);
    lines.push(
      `    ${b.scope === 'isolated' ? 'isolated margin ' : 'wallet balance  '}   ${money(b.walletBalance)}`,
    );
    lines.push(`    collateral value   ${money(b.collateralValue)}`);
    lines.push(`    unrealized PnL     ${money(b.unrealizedPnl)}`);
    lines.push(`    equity             ${money(b.equity)}`);
    lines.push(`    maintenance margin ${money(b.maintenanceMargin)}`);
    lines.push(`    initial margin     ${money(b.initialMargin)}`);
    lines.push(`    health (eq − MM)   ${money(b.health)}`);
    for (const p of b.positions) {
      const m = p.maintenance;
      const bracket =
        m.bracket === undefined ? '' : `, bracket ${m.bracket} (cum ${money(m.maintenanceAmount!)})`;
      lines.push(
        `    ${p.market} ${p.side} ${p.size} @ ${price(p.entryPrice)} · mark ${price(p.markPrice)} · notional ${money(p.notional)} · uPnL ${money(p.unrealizedPnl)} · MM ${money(p.maintenanceMargin)} (${pct(m.maintenanceRate)}${bracket})`,
      );
    }
    if (r.atLiquidation) {
      lines.push(
        `  at the liquidation price: equity ${money(r.atLiquidation.equity)} vs MM ${money(r.atLiquidation.maintenanceMargin)} (rate ${pct(r.atLiquidation.maintenance.maintenanceRate)})`,
      );
    }
  }
  if (r.whatIf) {
    const w = r.whatIf;
    const what = [
      w.applied.addCollateral === undefined ? undefined : `add collateral ${w.applied.addCollateral}`,
      w.applied.reduce === undefined
        ? undefined
        : `reduce ${w.applied.reduce.market} by ${w.applied.reduce.size}`,
      w.applied.moveOtherMarkets === undefined
        ? undefined
        : `other markets ${pct(w.applied.moveOtherMarkets)}`,
    ].filter((x) => x !== undefined);
    lines.push('');
    lines.push(
      `  what-if (${what.join(', ')}): liquidation price ${price(w.baseline.liquidationPrice)} → ${price(r.liquidationPrice)}${w.liquidationPriceChange === null ? '' : ` (${w.liquidationPriceChange.startsWith('-') ? '' : '+'}${price(w.liquidationPriceChange)})`}`,
    );
  }
  lines.push('');
  lines.push(...r.formula.split('\n').map((l) => `  ${l}`));
  return `${lines.join('\n')}\n`;
}

/** Runs the command: computes and prints (JSON or text). */
export function liqPriceCommand(o: LiqPriceOptions, out: (text: string) => void): void {
  const input = liqPriceInputFromOptions(o);
  let r: LiquidationPriceResult;
  try {
    r = liquidationPriceFor(input);
  } catch (e) {
    if (e instanceof CalculatorError) throw new UsageError(e.message);
    throw e;
  }
  if (o.json === true) {
    const { lending, ...rest } = r;
    const json = lending ? { ...rest, lending: { ...lending, state: undefined } } : rest;
    out(`${JSON.stringify(json, null, 2)}\n`);
  } else out(formatLiqPrice(r));
}

/** Adds `liq-price` to the program. */
export function registerLiqPriceCommand(program: Command): Command {
  return program
    .command('liq-price')
    .description(
      'Liquidation and bankruptcy price of a position on a venue preset, with the margin breakdown and what-if questions (docs/presets.md).',
    )
    .option('--preset <id>', `venue preset: ${PRESET_IDS.join(', ')}`)
    .option('--file <file>', 'calculator input as JSON (examples/liq-price-*.json); flags add to it')
    .option('--wallet <amount>', 'cross wallet balance in the settlement asset')
    .option(
      '--position <spec>',
      'MARKET:long|short:SIZE@ENTRY[:isolated[=MARGIN]][:lev=N] (repeatable)',
      collect,
    )
    .option('--mark <market=price>', 'mark price of a market (repeatable; default: entry price)', collect)
    .option('--market <id>', 'the position whose price is asked (default: the first)')
    .option('--collateral <asset=amount>', 'other collateral (repeatable; needs --asset-price)', collect)
    .option('--asset-price <asset=price>', 'price of a collateral asset (repeatable)', collect)
    .option('--debt <amount>', 'lending presets: debt in the settlement asset')
    .option('--asset <id>', 'lending presets: the collateral asset whose liquidation price is asked')
    .option(
      '--add-collateral <amount>',
      'what-if: add collateral (cross: wallet; isolated: the position margin)',
    )
    .option('--reduce <market:size>', 'what-if: reduce a position at its mark (taker fee charged)')
    .option('--move-others <pct>', 'what-if: move every other market by this much ("-5%" or "-0.05")')
    .option('--json', 'print the full result as JSON (exact decimal strings)', false)
    .action((o: LiqPriceOptions) => {
      liqPriceCommand(o, (t) => process.stdout.write(t));
    });
}
