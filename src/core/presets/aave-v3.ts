/**
 * Aave v3: a lending market. An account supplies collateral and borrows; it is
 * liquidatable when its health factor falls below 1:
 *
 *     HF = Σ (collateral_i × price_i × LT_i) / Σ (debt_j × price_j)
 *
 * (LT_i the liquidation threshold of collateral i). In Plimsoll's terms HF < 1 is
 * exactly "equity < MM" for a cross scope whose collateral is weighted at LT
 * (maintenance weight = LT, initial weight = LTV, so free collateral is Aave's
 * borrowing power) and whose debt is a negative settlement-asset balance (valued
 * at 100%) with no positions: MM = 0, equity = Σ c·LT − debt. The calculator
 * finds the collateral price at which that flips with the engine's own
 * valuation (collateral/valuation.ts) — the liquidation price of a collateral.
 *
 * A liquidation (LiquidationLogic.executeLiquidationCall) repays up to a close
 * factor of the debt — 50% (DEFAULT_LIQUIDATION_CLOSE_FACTOR), or 100% when
 * HF ≤ 0.95 (CLOSE_FACTOR_HF_THRESHOLD) or when the user's total collateral or
 * debt is below $2,000 (MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD, v3.3+) — and hands
 * the liquidator collateral worth the repaid debt × the liquidation bonus, of
 * which the protocol keeps a share of the bonus (liquidationProtocolFee).
 * Amounts round as Aave's PercentageMath does (half up, basis points).
 *
 * The engine executes this with the liquidation policy `lending` (the preset sets it) and the
 * assets' `liquidationBonus` / `liquidationProtocolFee`: `borrow` opens the debt, Engine.liquidatable()
 * lists the scope once HF < 1, and a `liquidate` step moves exactly what `liquidationCall` computes
 * (engine/liquidation/lending.ts).
 */
import { evaluate, isLiquidatable, type ScopeView } from '../account/figures.ts';
import { healthFactor } from '../collateral/health-factor.ts';
import { collateralValueQuote } from '../collateral/valuation.ts';
import { Engine } from '../engine/engine.ts';
import type { EngineConfigInput } from '../model/engine-config.ts';
import type { InterestConfigInput } from '../model/interest-config.ts';
import { emptySubaccount, type ReadonlyEngineState } from '../model/state.ts';
import { divRound, formatDecimal, PPM, PRICE_DECIMALS, parseDecimal, pow10 } from '../num/index.ts';
import { add, div, mul, rat, ratScaled, sub, toScaled } from './rational.ts';
import type { VenuePreset } from './types.ts';

/** HF at 18 decimals (wad). */
export const WAD = 10n ** 18n;
/** Close factor 50% (DEFAULT_LIQUIDATION_CLOSE_FACTOR, bps). */
export const DEFAULT_LIQUIDATION_CLOSE_FACTOR = 5_000n;
/** 100% (MAX_LIQUIDATION_CLOSE_FACTOR, bps). */
export const MAX_LIQUIDATION_CLOSE_FACTOR = 10_000n;
/** HF ≤ 0.95 → close factor 100% (CLOSE_FACTOR_HF_THRESHOLD, wad). */
export const CLOSE_FACTOR_HF_THRESHOLD = 950_000_000_000_000_000n;
/** $2,000 in the base currency (8 decimals): below it (collateral or debt) the close factor is 100% (v3.3+). */
export const MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD = 2_000n * 10n ** 8n;

/**
 * The share of the debt a liquidator may repay in one call (v3.3+ rules), in bps;
 * null when the account is not liquidatable (HF ≥ 1).
 *
 * @param healthFactorWad HF at 18 decimals
 * @param totalCollateralBase the user's total collateral in the base currency (USD, 8 decimals)
 * @param totalDebtBase the user's total debt in the base currency (USD, 8 decimals)
 * @example maxCloseFactorBps(960_000_000_000_000_000n, 9_600n * 10n ** 8n, 9_000n * 10n ** 8n) // 5000n
 */
export function maxCloseFactorBps(
  healthFactorWad: bigint,
  totalCollateralBase: bigint,
  totalDebtBase: bigint,
): bigint | null {
  if (healthFactorWad >= WAD) return null;
  const small =
    totalCollateralBase < MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD ||
    totalDebtBase < MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD;
  if (healthFactorWad <= CLOSE_FACTOR_HF_THRESHOLD || small) return MAX_LIQUIDATION_CLOSE_FACTOR;
  return DEFAULT_LIQUIDATION_CLOSE_FACTOR;
}

/** Aave reserve parameters of a collateral asset (bps). */
export interface AaveReserve {
  readonly id: string;
  readonly decimals: number;
  readonly ltvBps: number;
  readonly liquidationThresholdBps: number;
  readonly liquidationBonusBps: number;
  readonly liquidationProtocolFeeBps: number;
  /** Borrowable too (a debt in this asset, `borrow … asset`): counted at its price, weight 1. */
  readonly borrowable?: boolean;
}

/**
 * An Aave v3 efficiency-mode category (bps): a user in it (`set_emode`) gets the category's LTV,
 * liquidation threshold and bonus on `collateral`, and may borrow only `borrowable` assets.
 */
export interface AaveEModeCategory {
  readonly id: number;
  readonly label?: string;
  readonly ltvBps: number;
  readonly liquidationThresholdBps: number;
  readonly liquidationBonusBps: number;
  readonly collateral: readonly string[];
  readonly borrowable: readonly string[];
}

/**
 * Example reserve parameters in the shape of Aave v3's Ethereum market (set and
 * changed by Aave governance: load your market's from the PoolDataProvider).
 */
export const AAVE_V3_EXAMPLE_RESERVES: readonly AaveReserve[] = [
  {
    id: 'WETH',
    decimals: 18,
    ltvBps: 8050,
    liquidationThresholdBps: 8300,
    liquidationBonusBps: 10500,
    liquidationProtocolFeeBps: 1000,
  },
  {
    id: 'WBTC',
    decimals: 8,
    ltvBps: 7300,
    liquidationThresholdBps: 7800,
    liquidationBonusBps: 10500,
    liquidationProtocolFeeBps: 1000,
  },
];

const bpsToRatio = (bps: number) => formatDecimal(BigInt(bps) * 100n, 6);

/**
 * A reserve's interest rate strategy in Aave's own terms (DefaultReserveInterestRateStrategyV2's
 * InterestRateData, in bps as `setReserveInterestRateData` takes them) and its reserve factor.
 */
export interface AaveRateStrategy {
  readonly optimalUsageRatioBps: number;
  readonly baseVariableBorrowRateBps: number;
  readonly variableRateSlope1Bps: number;
  readonly variableRateSlope2Bps: number;
  readonly reserveFactorBps: number;
}

/**
 * The engine's interest configuration for an Aave strategy (collateral/interest.ts): the same
 * two-slope curve in U / U*, the supply rate R·U·(1 − reserve factor), the reserve factor's share
 * to the protocol. Differences: the engine's borrow index grows linearly over each accrual
 * (Aave compounds it per second) and it accrues on `accrue_interest`, not on every action.
 */
export function aaveInterest(s: AaveRateStrategy): InterestConfigInput {
  return {
    optimalUtilization: bpsToRatio(s.optimalUsageRatioBps),
    baseRate: bpsToRatio(s.baseVariableBorrowRateBps),
    slope1: bpsToRatio(s.variableRateSlope1Bps),
    slope2: bpsToRatio(s.variableRateSlope2Bps),
    protocolShare: bpsToRatio(s.reserveFactorBps),
  };
}

/**
 * Engine configuration of a lending market: debt in `debtAsset`, collateral weighted at LTV
 * (initial) and LT (maintenance); with `debtAsset.interest`, the debt asset's balances bear
 * interest at that strategy's rates (`accrue_interest`).
 */
export function aaveConfig(
  reserves: readonly AaveReserve[] = AAVE_V3_EXAMPLE_RESERVES,
  debtAsset: { id: string; decimals: number; interest?: AaveRateStrategy } = { id: 'USDC', decimals: 6 },
  eModes: readonly AaveEModeCategory[] = [],
): EngineConfigInput {
  return {
    ...(eModes.length > 0
      ? {
          eModeCategories: eModes.map((e) => ({
            id: e.id,
            ...(e.label ? { label: e.label } : {}),
            ltv: bpsToRatio(e.ltvBps),
            liquidationThreshold: bpsToRatio(e.liquidationThresholdBps),
            liquidationBonus: bpsToRatio(e.liquidationBonusBps - 10_000),
            collateralAssets: [...e.collateral],
            borrowableAssets: [...e.borrowable],
          })),
        }
      : {}),
    settlementAsset: debtAsset.id,
    assets: [
      {
        id: debtAsset.id,
        decimals: debtAsset.decimals,
        ...(debtAsset.interest ? { interest: aaveInterest(debtAsset.interest) } : {}),
      },
      ...reserves.map((r) => ({
        id: r.id,
        decimals: r.decimals,
        initialWeight: bpsToRatio(r.ltvBps),
        maintenanceWeight: bpsToRatio(r.liquidationThresholdBps),
        liquidationBonus: bpsToRatio(r.liquidationBonusBps - 10_000),
        liquidationProtocolFee: bpsToRatio(r.liquidationProtocolFeeBps),
        ...(r.borrowable ? { liabilityWeight: { initial: '1', maintenance: '1' } } : {}),
      })),
    ],
    markets: [],
    // v3.3 close factor: 50%, 100% at HF ≤ 0.95 or below $2,000 of collateral or debt (engine/liquidation/lending.ts).
    liquidation: {
      lending: {
        closeFactor: bpsToRatio(Number(DEFAULT_LIQUIDATION_CLOSE_FACTOR)),
        fullCloseBelowHealthFactor: '0.95',
        fullCloseBelowValue: '2000',
        // v3.3 MIN_LEFTOVER_BASE: a partial step leaves ≥ $1,000 of debt and of the collateral.
        minLeftoverValue: '1000',
      },
    },
  };
}

export interface LendingInput {
  readonly config: EngineConfigInput;
  /** Collateral amounts per asset (whole units, decimal strings). */
  readonly collateral: Readonly<Record<string, string>>;
  /** Prices of the collateral assets in the debt asset. */
  readonly prices: Readonly<Record<string, string>>;
  /** Debt in the settlement (debt) asset. */
  readonly debt: string;
  /** The collateral asset whose price is asked; default the first. */
  readonly asset?: string;
  /** What-if: units of `asset` added (negative: withdrawn). */
  readonly addCollateral?: string;
}

export interface LendingResult {
  readonly asset: string;
  readonly price: string;
  /** Highest price of `asset` at which the engine says liquidatable (HF < 1), everything else fixed. */
  readonly liquidationPrice: string | null;
  /** Highest price at which collateral at full value no longer covers the debt. */
  readonly bankruptcyPrice: string | null;
  readonly distance: string | null;
  /** HF at 18 decimals (aave-utilities' convention), from the collateral values and thresholds. */
  readonly healthFactor: string | null;
  /** Collateral at full value / at LT, debt, equity = Σ c·LT − debt (debt-asset units). */
  readonly collateralValue: string;
  readonly weightedCollateral: string;
  readonly debt: string;
  readonly equity: string;
  readonly liquidatable: boolean;
  /** Close factor (bps) a liquidator may use now (null: not liquidatable), with $ = debt-asset units. */
  readonly closeFactorBps: string | null;
  /** P = (debt − Σ_{others} c·P·LT) / (amount × LT), exact, and engine − formula. */
  readonly formulaLiquidationPrice: string | null;
  readonly differenceFromEngine: string | null;
  readonly formula: string;
  readonly state: ReadonlyEngineState;
}

function parse(text: string, decimals: number, where: string): bigint {
  const r = parseDecimal(text, decimals);
  if (!r.ok) throw new RangeError(`${where}: ${JSON.stringify(text)}: ${r.issue.reason}`);
  return r.value;
}

const MAX_PX8 = 10n ** 20n;

/** Highest px8 of `asset` for which `bad` holds (bad for low prices); null if none in (0, MAX]. */
function assetTriggerPrice(
  state: ReadonlyEngineState,
  asset: string,
  bad: (s: ReadonlyEngineState) => boolean,
) {
  const at = (px: bigint) => bad({ ...state, assetPricesPx8: new Map(state.assetPricesPx8).set(asset, px) });
  if (!at(1n)) return null;
  if (at(MAX_PX8)) return MAX_PX8;
  let lo = 1n;
  let hi = MAX_PX8;
  while (hi - lo > 1n) {
    const mid = (lo + hi) / 2n;
    if (at(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * Liquidation price of a collateral asset of a lending account, through the
 * engine's own valuation and trigger (module header).
 */
export function lendingLiquidationPrice(input: LendingInput): LendingResult {
  const engine = Engine.create(input.config);
  const settlement = engine.state.settlement;
  const assets = Object.keys(input.collateral);
  const asset = input.asset ?? assets[0];
  if (asset === undefined) throw new RangeError('collateral: at least one collateral asset is required');
  for (const a of [...assets, asset]) {
    const cfg = engine.state.assets.get(a);
    if (!cfg || a === settlement.id)
      throw new RangeError(`collateral.${a}: not a collateral asset of this preset`);
    if (!(a in input.prices)) throw new RangeError(`prices.${a}: missing`);
  }
  engine.executeOrThrow({ type: 'prices', timeMs: 0, assets: input.prices });
  const state = engine.state;
  const qd = settlement.decimals;
  const debt = parse(input.debt, qd, 'debt');
  if (debt < 0n) throw new RangeError('debt: must not be negative');
  const balances = new Map<string, bigint>([[settlement.id, -debt]]);
  for (const a of new Set([...assets, asset])) {
    const dec = state.assets.get(a)!.decimals;
    let amount = a in input.collateral ? parse(input.collateral[a]!, dec, `collateral.${a}`) : 0n;
    if (a === asset && input.addCollateral !== undefined)
      amount += parse(input.addCollateral, dec, 'addCollateral');
    if (amount < 0n) throw new RangeError(`collateral.${a}: must not be negative`);
    balances.set(a, amount);
  }
  const view: ScopeView = {
    sub: emptySubaccount({ account: 'borrower', sub: '0' }),
    scope: { kind: 'cross' },
    positions: [],
    balances,
    settlementDelta: 0n,
  };
  const f = evaluate(state, view);
  const lp = assetTriggerPrice(state, asset, (s) => isLiquidatable(evaluate(s, view)));
  const bp = assetTriggerPrice(state, asset, (s) => evaluate(s, view).netValueQuote < 0n);
  const px = state.assetPricesPx8.get(asset)!;

  // HF from raw values and thresholds (health-factor.ts), and the exact closed form.
  const collaterals = [...balances]
    .filter(([a]) => a !== settlement.id)
    .map(([a, b]) => {
      const cfg = state.assets.get(a)!;
      return {
        id: a,
        balance: b,
        valueQuote: collateralValueQuote({
          balance: b,
          assetDecimals: cfg.decimals,
          pricePx8: state.assetPricesPx8.get(a)!,
          weightPpm: PPM,
          sizeHaircutFactorPpm: 0n,
          quoteDecimals: qd,
        }),
        liquidationThresholdPpm: cfg.maintenanceWeight,
        decimals: cfg.decimals,
      };
    });
  const hf = debt === 0n ? null : healthFactor(collaterals, debt);
  const target = collaterals.find((c) => c.id === asset)!;
  let others = rat(0n);
  for (const c of collaterals) {
    if (c.id === asset) continue;
    others = add(others, mul(ratScaled(c.valueQuote, qd), rat(c.liquidationThresholdPpm, PPM)));
  }
  const denom = mul(ratScaled(target.balance, target.decimals), rat(target.liquidationThresholdPpm, PPM));
  const formulaPrice = denom.n === 0n ? null : div(sub(ratScaled(debt, qd), others), denom);
  const formulaPx8 =
    formulaPrice === null || formulaPrice.n <= 0n ? null : toScaled(formulaPrice, PRICE_DECIMALS, 'halfEven');
  const rawTotal = collaterals.reduce((s, c) => s + c.valueQuote, 0n);
  // The base currency of the close-factor thresholds is USD at 8 decimals; the debt asset is taken at $1.
  const toBase = (v: bigint) => (qd <= 8 ? v * pow10(8 - qd) : v / pow10(qd - 8));
  const closeFactor = hf === null ? null : maxCloseFactorBps(hf, toBase(rawTotal), toBase(debt));
  const q = (v: bigint) => formatDecimal(v, qd);
  const p8 = (v: bigint) => formatDecimal(v, PRICE_DECIMALS);
  return {
    asset,
    price: p8(px),
    liquidationPrice: lp === null ? null : p8(lp),
    bankruptcyPrice: bp === null ? null : p8(bp),
    distance: lp === null ? null : formatDecimal(divRound((lp - px) * PPM, px, 'halfEven'), 6),
    healthFactor: hf === null ? null : formatDecimal(hf, 18),
    collateralValue: q(rawTotal),
    weightedCollateral: q(f.collateralMaintenanceQuote + debt),
    debt: q(debt),
    equity: q(f.equityQuote),
    liquidatable: isLiquidatable(f),
    closeFactorBps: closeFactor === null ? null : closeFactor.toString(),
    formulaLiquidationPrice: formulaPx8 === null ? null : p8(formulaPx8),
    differenceFromEngine: formulaPx8 === null || lp === null ? null : p8(lp - formulaPx8),
    formula:
      `P_liq(${asset}) = (debt − Σ_{other collateral} value·LT) / (amount·LT) = ` +
      `(${q(debt)} − ${formatDecimal(toScaled(others, qd, 'floor'), qd)}) / ` +
      `(${formatDecimal(target.balance, target.decimals)}·${formatDecimal(target.liquidationThresholdPpm, 6)})` +
      (formulaPx8 === null ? '' : ` = ${p8(formulaPx8)}`),
    state,
  };
}

export const aaveV3: VenuePreset = {
  id: 'aave-v3',
  name: 'Aave v3 (lending)',
  kind: 'lending',
  summary:
    'Health factor from liquidation thresholds; liquidatable at HF < 1; close factor 50% (100% at HF ≤ 0.95 or below $2,000); liquidation bonus with a protocol fee share.',
  formula: 'HF = Σ collateral_i·price_i·LT_i / total debt; liquidatable when HF < 1',
  sources: [
    {
      title: 'Aave docs: Liquidations / health factor',
      url: 'https://aave.com/docs/developers/liquidations',
    },
    {
      title: 'aave-dao/aave-v3-origin LiquidationLogic.sol and docs/3.3/Aave-v3.3-features.md',
      url: 'https://github.com/aave-dao/aave-v3-origin',
    },
    {
      title: 'aave/aave-utilities packages/math-utils (pool-math.test.ts, generate-raw-user-summary.test.ts)',
      url: 'https://github.com/aave/aave-utilities',
    },
  ],
  config: () => aaveConfig(),
  engineGaps: [
    {
      rule: 'v3.3 leftover rule: a liquidation that would leave less than $1,000 of debt or collateral must close the whole position.',
      implementedBy: '—',
      engineNeeds: 'a minimum-leftover check in the lending liquidation step',
    },
  ],
};
