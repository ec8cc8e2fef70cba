/**
 * A venue export: one venue's positions and balance in the shapes of ccxt's unified
 * structures (`fetchPositions` → position structures, `fetchBalance` → the balance structure,
 * optionally `fetchMarkets` → market structures), and its translation into the calculator's
 * input on the venue's preset.
 *
 *   { "venue": "binance", "positions": [ { "symbol": "BTC/USDT:USDT", "side": "long",
 *       "contracts": "0.5", "contractSize": "1", "entryPrice": "60000", "markPrice": "59000",
 *       "marginMode": "cross" } ],
 *     "balance": { "total": { "USDT": "2000" } },
 *     "markets": [ { "symbol": "BTC/USDT:USDT", "base": "BTC", "settle": "USDT", "contractSize": "1" } ] }
 *
 * Field names are ccxt's unified ones (position: symbol, side, contracts, contractSize, entryPrice,
 * markPrice, marginMode, collateral; balance: total / free per currency, or { USDT: { total } };
 * market: symbol, base, settle, contractSize). Other fields ccxt emits (info, notional,
 * liquidationPrice, …) are accepted and ignored: the clearing view recomputes every figure on the
 * venue's preset. Numbers: ccxt holds floats, so a JSON number is accepted and read through its
 * shortest round-trip decimal (what ccxt itself prints); decimal strings are read exactly.
 *
 * Reading rules (documented in docs/trader.md):
 *   - size = contracts × contractSize (contractSize from the position, else the market, else 1);
 *   - the preset market is the one whose base asset is the symbol's base ("BTC/USDT:USDT" → BTC);
 *     the symbol's settle currency must be the preset's settlement asset;
 *   - isolated positions: `collateral` is the position's isolated margin;
 *   - the cross wallet balance = balance total of the settlement asset − the isolated margins.
 * Anything that does not map (an unknown venue, a market the preset does not list, a settle
 * currency the venue's preset does not settle in) is a `ClearingInputError`: nothing is
 * half-applied, the whole clearing view is refused.
 */
import { z } from 'zod';
import type { CalculatorPosition } from '../core/calculator/liquidation-price.ts';
import { formatDecimal, parseDecimal, QTY_DECIMALS } from '../core/num/index.ts';
import { getPreset, type VenuePreset } from '../core/presets/index.ts';

/** Stable codes of clearing-input problems. */
export type ClearingInputCode =
  | 'INVALID_EXPORT'
  | 'UNKNOWN_VENUE'
  | 'LENDING_VENUE'
  | 'UNKNOWN_MARKET'
  | 'SETTLEMENT_MISMATCH'
  | 'BAD_AMOUNT'
  | 'DUPLICATE_VENUE';

/** A venue export that cannot be cleared; `code` is stable, `message` says what to fix. */
export class ClearingInputError extends Error {
  override name = 'ClearingInputError';
  constructor(
    readonly code: ClearingInputCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * ccxt exchange ids (and the venues ccxt does not list) → Plimsoll preset. ccxt's `binance` and
 * `binanceusdm` both export USDⓈ-M positions; `dydx` is dYdX v4 in current ccxt.
 */
export const VENUE_PRESETS: Readonly<Record<string, string>> = {
  binance: 'binance-usdm',
  binanceusdm: 'binance-usdm',
  bybit: 'bybit-usdt',
  hyperliquid: 'hyperliquid',
  dydx: 'dydx-v4',
  dydxv4: 'dydx-v4',
  drift: 'drift-v2',
  mango: 'mango-v4',
};

const num = z.union([z.string(), z.number().refine(Number.isFinite, 'must be finite')]);

export const CcxtPositionSchema = z.looseObject({
  symbol: z.string(),
  side: z.enum(['long', 'short']).nullish(),
  contracts: num,
  contractSize: num.nullish(),
  entryPrice: num,
  markPrice: num,
  marginMode: z.enum(['cross', 'isolated']).nullish(),
  collateral: num.nullish(),
  leverage: num.nullish(),
});

const balanceEntry = z.looseObject({ free: num.nullish(), used: num.nullish(), total: num.nullish() });
export const CcxtBalanceSchema = z.looseObject({
  total: z.record(z.string(), num.nullish()).optional(),
  free: z.record(z.string(), num.nullish()).optional(),
});

export const CcxtMarketSchema = z.looseObject({
  symbol: z.string(),
  base: z.string(),
  settle: z.string().nullish(),
  contractSize: num.nullish(),
});

export const VenueExportSchema = z.strictObject({
  /** ccxt exchange id (`binance`, `bybit`, `hyperliquid`, `dydx`, …) or a name mapped by `preset`. */
  venue: z.string().min(1),
  /** Optional preset id overriding the venue's default mapping. */
  preset: z.string().optional(),
  description: z.string().optional(),
  positions: z.array(CcxtPositionSchema),
  balance: CcxtBalanceSchema,
  markets: z.array(CcxtMarketSchema).optional(),
});
export type VenueExport = z.input<typeof VenueExportSchema>;

/** One venue's book on its preset, ready for the calculator. */
export interface VenueBook {
  readonly venue: string;
  readonly preset: VenuePreset;
  readonly settlementAsset: string;
  /** Cross wallet balance, settlement asset, decimal string. */
  readonly walletBalance: string;
  readonly positions: readonly CalculatorPosition[];
  /** Mark per preset market, decimal strings. */
  readonly marks: Readonly<Record<string, string>>;
  /** Base asset per preset market of a position. */
  readonly baseOf: Readonly<Record<string, string>>;
  /** Balances the preset does not take as collateral (reported, not counted). */
  readonly ignoredAssets: readonly string[];
}

function decimalText(v: string | number, where: string): string {
  const text = typeof v === 'number' ? numberText(v) : v;
  if (!parseDecimal(text, 18).ok)
    throw new ClearingInputError('BAD_AMOUNT', `${where}: ${JSON.stringify(v)} is not a decimal`);
  return text;
}

/** A float's shortest round-trip decimal, without exponent ("1e-7" → "0.0000001"). */
function numberText(n: number): string {
  const s = String(n);
  if (!/e/i.test(s)) return s;
  const [mant, expText] = s.toLowerCase().split('e') as [string, string];
  const exp = Number(expText);
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  const point = (mant.replace('-', '').indexOf('.') + 1 || mant.replace('-', '').length + 1) - 1 + exp;
  const body =
    point <= 0
      ? `0.${'0'.repeat(-point)}${digits}`
      : point >= digits.length
        ? digits + '0'.repeat(point - digits.length)
        : `${digits.slice(0, point)}.${digits.slice(point)}`;
  return (neg ? '-' : '') + body.replace(/^0+(?=\d)/, '');
}

/** a × b of two decimal strings, exact. */
function mulText(a: string, b: string): string {
  const scale = 18;
  const x = parseDecimal(a, scale);
  const y = parseDecimal(b, scale);
  if (!x.ok || !y.ok) throw new ClearingInputError('BAD_AMOUNT', `cannot multiply ${a} × ${b}`);
  return formatDecimal(x.value * y.value, 2 * scale);
}

function subText(a: string, b: string): string {
  const x = parseDecimal(a, 18);
  const y = parseDecimal(b, 18);
  if (!x.ok || !y.ok) throw new ClearingInputError('BAD_AMOUNT', `cannot subtract ${a} − ${b}`);
  return formatDecimal(x.value - y.value, 18);
}

/** The preset a venue export clears on (the `preset` field, else the venue's mapping). */
export function presetForVenue(venue: string, explicit?: string): VenuePreset {
  const id = explicit ?? VENUE_PRESETS[venue.toLowerCase()];
  if (id === undefined)
    throw new ClearingInputError(
      'UNKNOWN_VENUE',
      `venue ${JSON.stringify(venue)}: no preset (known venues: ${Object.keys(VENUE_PRESETS).join(', ')}; or give "preset")`,
    );
  const preset = getPreset(id);
  if (!preset)
    throw new ClearingInputError('UNKNOWN_VENUE', `venue ${venue}: unknown preset ${JSON.stringify(id)}`);
  if (preset.kind !== 'perpetuals')
    throw new ClearingInputError(
      'LENDING_VENUE',
      `venue ${venue}: preset ${id} is a lending market; the clearing view clears perpetual venues (use the band rebalancer for lending)`,
    );
  return preset;
}

/** Validates one export and maps it onto its preset (module header). */
export function readVenueExport(raw: unknown, where = 'export'): VenueBook {
  const parsed = VenueExportSchema.safeParse(raw);
  if (!parsed.success)
    throw new ClearingInputError('INVALID_EXPORT', `${where}: ${z.prettifyError(parsed.error)}`);
  const e = parsed.data;
  const preset = presetForVenue(e.venue, e.preset);
  const config = preset.config();
  const settle = config.settlementAsset;
  const marketByBase = new Map<string, string>();
  for (const m of config.markets ?? [])
    if (m.kind === 'perpetual' || m.kind === undefined) marketByBase.set(m.base, m.id);
  const ccxtMarkets = new Map((e.markets ?? []).map((m) => [m.symbol, m]));

  const positions: CalculatorPosition[] = [];
  const marks: Record<string, string> = {};
  const baseOf: Record<string, string> = {};
  let isolatedTotal = '0';
  e.positions.forEach((p, i) => {
    const at = `${where}: positions[${i}] (${p.symbol})`;
    const cm = ccxtMarkets.get(p.symbol);
    const sym = /^([^/]+)\/([^:]+)(?::(.+))?$/.exec(p.symbol);
    const base = cm?.base ?? sym?.[1];
    const settleOf = cm?.settle ?? sym?.[3] ?? sym?.[2];
    if (base === undefined)
      throw new ClearingInputError('UNKNOWN_MARKET', `${at}: not a unified symbol BASE/QUOTE:SETTLE`);
    if (settleOf !== undefined && settleOf !== settle)
      throw new ClearingInputError(
        'SETTLEMENT_MISMATCH',
        `${at}: settles in ${settleOf}, but preset ${preset.id} settles in ${settle}`,
      );
    const market = marketByBase.get(base);
    if (market === undefined)
      throw new ClearingInputError(
        'UNKNOWN_MARKET',
        `${at}: preset ${preset.id} has no ${base} perpetual (markets: ${[...marketByBase.values()].join(', ')})`,
      );
    if (market in marks)
      throw new ClearingInputError('UNKNOWN_MARKET', `${at}: a second position in ${market}`);
    const contracts = decimalText(p.contracts, `${at}.contracts`);
    const cs = decimalText(p.contractSize ?? cm?.contractSize ?? '1', `${at}.contractSize`);
    let size = mulText(contracts.replace(/^-/, ''), cs);
    const side = p.side ?? (contracts.startsWith('-') ? 'short' : 'long');
    const q = parseDecimal(size, QTY_DECIMALS);
    if (!q.ok)
      throw new ClearingInputError(
        'BAD_AMOUNT',
        `${at}: size ${size} has more than ${QTY_DECIMALS} decimals`,
      );
    size = formatDecimal(q.value, QTY_DECIMALS);
    const mode = p.marginMode ?? 'cross';
    const pos: CalculatorPosition = {
      market,
      side,
      size,
      entryPrice: decimalText(p.entryPrice, `${at}.entryPrice`),
      mode,
      ...(mode === 'isolated' && p.collateral != null
        ? { isolatedMargin: decimalText(p.collateral, `${at}.collateral`) }
        : {}),
      ...(p.leverage != null ? { leverage: decimalText(p.leverage, `${at}.leverage`) } : {}),
    };
    if (mode === 'isolated' && pos.isolatedMargin === undefined)
      throw new ClearingInputError(
        'BAD_AMOUNT',
        `${at}: an isolated position needs its margin in "collateral"`,
      );
    if (pos.isolatedMargin !== undefined) isolatedTotal = addText(isolatedTotal, pos.isolatedMargin);
    positions.push(pos);
    marks[market] = decimalText(p.markPrice, `${at}.markPrice`);
    baseOf[market] = base;
  });

  const totalOf = (asset: string): string | undefined => {
    const flat = e.balance.total?.[asset];
    if (flat != null) return decimalText(flat, `${where}: balance.total.${asset}`);
    const nested = (e.balance as Record<string, unknown>)[asset];
    const r = balanceEntry.safeParse(nested);
    if (nested !== undefined && r.success && r.data.total != null)
      return decimalText(r.data.total, `${where}: balance.${asset}.total`);
    return undefined;
  };
  const total = totalOf(settle) ?? '0';
  const wallet = subText(total, isolatedTotal);
  if (wallet.startsWith('-'))
    throw new ClearingInputError(
      'BAD_AMOUNT',
      `${where}: balance total ${total} ${settle} is less than the isolated margins ${isolatedTotal}`,
    );
  const ignored = new Set<string>();
  const currencies = new Set([
    ...Object.keys(e.balance.total ?? {}),
    ...Object.keys(e.balance).filter(
      (k) => !['info', 'free', 'used', 'total', 'timestamp', 'datetime'].includes(k),
    ),
  ]);
  for (const c of currencies) if (c !== settle && (totalOf(c) ?? '0') !== '0') ignored.add(c);
  return {
    venue: e.venue,
    preset,
    settlementAsset: settle,
    walletBalance: wallet,
    positions,
    marks,
    baseOf,
    ignoredAssets: [...ignored].sort(),
  };
}

function addText(a: string, b: string): string {
  const scale = 18;
  const x = parseDecimal(a, scale);
  const y = parseDecimal(b, scale);
  if (!x.ok || !y.ok) throw new ClearingInputError('BAD_AMOUNT', `cannot add ${a} + ${b}`);
  return formatDecimal(x.value + y.value, scale);
}
