/**
 * European option prices and Greeks: Black-76 on a forward, Black-Scholes-Merton on a spot.
 *
 * Numbers are float64 here, on purpose. Option valuation feeds risk screening
 * (portfolio-margin scenarios, Greeks-based requirements, marks) where 15 good digits
 * are ample; every decision that moves money is confirmed in exact bigint arithmetic
 * elsewhere (DESIGN §3: "risk screening may be float64"). Keep these results out of
 * balances: convert at the boundary with the conservative rounding of the caller.
 *
 * Black-76 (forward F, strike K, time T in years, vol σ, discount rate r):
 *
 *     s  = σ√T,   d1 = ln(F/K)/s + s/2,   d2 = d1 − s,   DF = e^{−rT}
 *     call = DF·(F·N(d1) − K·N(d2)),   put = DF·(K·N(−d2) − F·N(−d1))
 *
 * The price itself is computed with the normalised Black function b(x, σ√T), x = ln(F/K)
 * (normalised-black.ts): out-of-the-money values keep full *relative* accuracy (no
 * difference of two nearly equal terms) and in-the-money = intrinsic + out-of-the-money,
 * so put-call parity C − P = DF·(F − K) holds to rounding.
 *
 * Black-Scholes-Merton (spot S, rate r, continuous yield q) is Black-76 with
 * F = S·e^{(r−q)T}; its Greeks are taken with S (not F) held fixed.
 *
 * Greeks, units (all per option on one unit of the underlying, in the premium's currency):
 *   delta  ∂V/∂F (Black-76, the forward delta, = DF·N(d1) for a call) or ∂V/∂S (BSM,
 *          = e^{−qT}·N(d1)); BSM also reports `forwardDelta` = ∂V/∂F.
 *   gamma  ∂²V/∂F² or ∂²V/∂S².
 *   vega   ∂V/∂σ per 1.00 of vol (σ from 0.50 to 1.50); `perVolPoint` divides by 100.
 *   theta  −∂V/∂T per year, calendar decay with F (Black-76) or S (BSM) held; `perDay`
 *          divides by 365.
 *   rho    ∂V/∂r per 1.00 of rate, with F (Black-76: −T·V) or S (BSM) held;
 *          `perRatePoint` divides by 100.
 *
 * Degenerate inputs (never NaN):
 *   T ≤ 0     expired: price = undiscounted intrinsic max(±(F−K), 0); delta is the step
 *             1/0 (call) or −1/0 (put), 0 exactly at the money; every other Greek is 0.
 *   σ√T = 0   (or K = 0) price = DF·intrinsic; delta = DF·step; gamma 0; vega 0 except
 *             exactly at the money, where it is the one-sided limit DF·F·√T/√(2π);
 *             theta and rho those of the discounted intrinsic.
 *   large σ   stays finite: the call tends to DF·F and the put to DF·K (no-arbitrage bounds).
 *
 * Coin-margined (inverse) options, as Deribit and OKX quote them: the premium is in the
 * base coin, price_base = price_quote / F with the forward of the expiry and r = 0 (OKX's
 * BTC-USD marks match this to ~4e−7 BTC with F from put-call parity; see
 * black76.okx.test.ts). `black76PriceInBase` and `toBaseUnits` do that division.
 */
import { InvariantError } from '../num/index.ts';
import { normalCdf, normalPdf, ONE_OVER_SQRT_TWO_PI } from './normal.ts';
import { black, logMoneyness } from './normalised-black.ts';

export type OptionKind = 'call' | 'put';

/** Milliseconds in the pricing year: ACT/365 fixed (what Deribit and OKX use). */
export const MS_PER_YEAR = 365 * 86_400_000;
/** Days per year used by `thetaPerDay`. */
export const DAYS_PER_YEAR = 365;

/**
 * Year fraction between two instants, ACT/365 fixed; negative once expired.
 * @param nowMs valuation time, ms since epoch
 * @param expiryMs expiry time, ms since epoch
 * @example yearFraction(0, 31_536_000_000) // 1
 */
export function yearFraction(nowMs: number, expiryMs: number): number {
  return (expiryMs - nowMs) / MS_PER_YEAR;
}

export interface Black76Input {
  kind: OptionKind;
  /** Forward price F of the underlying for the option's expiry, quote currency (USD), > 0. */
  forward: number;
  /** Strike K, quote currency, ≥ 0. */
  strike: number;
  /** Time to expiry T in years (ACT/365: `yearFraction`); ≤ 0 means expired. */
  timeYears: number;
  /** Black volatility σ as a fraction per √year (0.65 = 65%), ≥ 0. */
  vol: number;
  /** Continuously compounded discount rate r per year (0.05 = 5%) for the premium; default 0. */
  rate?: number;
}

export interface BsmInput {
  kind: OptionKind;
  /** Spot price S of the underlying, quote currency, > 0. */
  spot: number;
  /** Strike K, quote currency, ≥ 0. */
  strike: number;
  /** Time to expiry T in years; ≤ 0 means expired. */
  timeYears: number;
  /** Volatility σ as a fraction per √year, ≥ 0. */
  vol: number;
  /** Continuously compounded risk-free rate r per year; default 0. */
  rate?: number;
  /** Continuously compounded dividend (or borrow, or foreign-rate) yield q per year; default 0. */
  dividendYield?: number;
}

export interface Black76Greeks {
  /** Discounted premium, quote currency. */
  price: number;
  /** ∂V/∂F. */
  delta: number;
  /** ∂²V/∂F². */
  gamma: number;
  /** ∂V/∂σ per 1.00 of vol. */
  vega: number;
  /** −∂V/∂T per year (calendar decay), F and r held. */
  theta: number;
  /** ∂V/∂r per 1.00 of rate, F held (= −T·V). */
  rho: number;
}

export interface BsmGreeks {
  /** Discounted premium, quote currency. */
  price: number;
  /** ∂V/∂S (spot delta). */
  delta: number;
  /** ∂V/∂F with F = S·e^{(r−q)T} (forward delta). */
  forwardDelta: number;
  /** ∂²V/∂S². */
  gamma: number;
  /** ∂V/∂σ per 1.00 of vol. */
  vega: number;
  /** −∂V/∂T per year (calendar decay), S, r and q held. */
  theta: number;
  /** ∂V/∂r per 1.00 of rate, S and q held. */
  rho: number;
  /** ∂V/∂q per 1.00 of yield, S and r held. */
  dividendRho: number;
}

function check(cond: boolean, what: string, value: unknown): void {
  if (!cond) throw new InvariantError(`pricing: ${what} (got ${String(value)})`);
}

function checkCommon(strike: number, timeYears: number, vol: number, rate: number): void {
  check(Number.isFinite(strike) && strike >= 0, 'strike must be finite and ≥ 0', strike);
  check(
    !Number.isNaN(timeYears) && timeYears < Number.POSITIVE_INFINITY,
    'timeYears must be finite',
    timeYears,
  );
  check(Number.isFinite(vol) && vol >= 0, 'vol must be finite and ≥ 0', vol);
  check(Number.isFinite(rate), 'rate must be finite', rate);
}

/**
 * The shared pieces of every formula. `n1` = φ(d1); `c1`, `c2` = N(d1), N(d2) for a call and
 * −N(−d1), −N(−d2) for a put, so that V = DF·(F·c1 − K·c2) and ∂V/∂F = DF·c1 for both.
 */
interface Core {
  expired: boolean;
  df: number;
  /** Undiscounted price. */
  undiscounted: number;
  sqrtT: number;
  n1: number;
  c1: number;
  c2: number;
  /** Vega ∂V/∂σ (discounted), computed here because σ√T = 0 at the money is a special case. */
  vega: number;
}

function core(kind: OptionKind, F: number, K: number, T: number, vol: number, rate: number): Core {
  const call = kind === 'call';
  const stepSign = call ? (F > K ? 1 : 0) : F < K ? -1 : 0;
  if (T <= 0) {
    const intrinsic = Math.max(call ? F - K : K - F, 0);
    return {
      expired: true,
      df: 1,
      undiscounted: intrinsic,
      sqrtT: 0,
      n1: 0,
      c1: stepSign,
      c2: stepSign,
      vega: 0,
    };
  }
  const df = Math.exp(-rate * T);
  const sqrtT = Math.sqrt(T);
  const s = vol * sqrtT;
  if (s === 0 || K === 0) {
    const intrinsic = Math.max(call ? F - K : K - F, 0);
    const vega = K > 0 && F === K ? df * F * sqrtT * ONE_OVER_SQRT_TWO_PI : 0;
    return { expired: false, df, undiscounted: intrinsic, sqrtT, n1: 0, c1: stepSign, c2: stepSign, vega };
  }
  const d1 = logMoneyness(F, K) / s + s / 2;
  const d2 = d1 - s;
  const n1 = normalPdf(d1);
  const c1 = call ? normalCdf(d1) : -normalCdf(-d1);
  const c2 = call ? normalCdf(d2) : -normalCdf(-d2);
  const undiscounted = black(F, K, vol, T, call ? 1 : -1);
  return { expired: false, df, undiscounted, sqrtT, n1, c1, c2, vega: df * F * n1 * sqrtT };
}

/**
 * Black-76 premium (discounted by e^{−rT}), quote currency.
 * @example black76Price({ kind: 'call', forward: 19, strike: 19, timeYears: 0.75, vol: 0.28, rate: 0.1 }) // ≈ 1.7011 (Haug)
 */
export function black76Price(o: Black76Input): number {
  const rate = o.rate ?? 0;
  check(Number.isFinite(o.forward) && o.forward > 0, 'forward must be finite and > 0', o.forward);
  checkCommon(o.strike, o.timeYears, o.vol, rate);
  const c = core(o.kind, o.forward, o.strike, o.timeYears, o.vol, rate);
  return c.df * c.undiscounted;
}

/**
 * Black-76 premium and Greeks (∂ w.r.t. F, σ, calendar time, r).
 * @example black76Greeks({ kind: 'call', forward: 49, strike: 50, timeYears: 0.3846, vol: 0.2, rate: 0.05 }).delta // 0.45107 (py_vollib)
 */
export function black76Greeks(o: Black76Input): Black76Greeks {
  const rate = o.rate ?? 0;
  const F = o.forward;
  check(Number.isFinite(F) && F > 0, 'forward must be finite and > 0', F);
  checkCommon(o.strike, o.timeYears, o.vol, rate);
  const c = core(o.kind, F, o.strike, o.timeYears, o.vol, rate);
  const price = c.df * c.undiscounted;
  if (c.expired) return { price, delta: c.c1, gamma: 0, vega: 0, theta: 0, rho: 0 };
  const s = o.vol * c.sqrtT;
  const gamma = c.n1 === 0 ? 0 : (c.df * c.n1) / (F * s);
  // −∂V/∂T with V = DF·B(F, σ√T): −DF·F·φ(d1)·σ/(2√T) + r·V.
  const theta = c.n1 === 0 ? rate * price : (-c.df * F * c.n1 * o.vol) / (2 * c.sqrtT) + rate * price;
  return { price, delta: c.df * c.c1, gamma, vega: c.vega, theta, rho: -o.timeYears * price };
}

/** The forward of a spot under BSM: F = S·e^{(r−q)T}. */
export function bsmForward(spot: number, rate: number, dividendYield: number, timeYears: number): number {
  return timeYears > 0 ? spot * Math.exp((rate - dividendYield) * timeYears) : spot;
}

function bsmChecked(o: BsmInput): { rate: number; q: number; F: number } {
  const rate = o.rate ?? 0;
  const q = o.dividendYield ?? 0;
  check(Number.isFinite(o.spot) && o.spot > 0, 'spot must be finite and > 0', o.spot);
  check(Number.isFinite(q), 'dividendYield must be finite', q);
  checkCommon(o.strike, o.timeYears, o.vol, rate);
  return { rate, q, F: bsmForward(o.spot, rate, q, o.timeYears) };
}

/**
 * Black-Scholes-Merton premium on a spot with rate r and yield q (= Black-76 on F = S·e^{(r−q)T}).
 * @example bsmPrice({ kind: 'put', spot: 100, strike: 95, timeYears: 0.5, vol: 0.2, rate: 0.1, dividendYield: 0.05 }) // ≈ 2.4648 (Haug p. 4)
 */
export function bsmPrice(o: BsmInput): number {
  const { rate, F } = bsmChecked(o);
  const c = core(o.kind, F, o.strike, o.timeYears, o.vol, rate);
  return c.df * c.undiscounted;
}

/**
 * Black-Scholes-Merton premium and Greeks with the spot held (delta = ∂V/∂S, theta at fixed S).
 * @example bsmGreeks({ kind: 'call', spot: 105, strike: 100, timeYears: 0.5, vol: 0.36, rate: 0.1, dividendYield: 0.1 }).delta // ≈ 0.5946 (Haug)
 */
export function bsmGreeks(o: BsmInput): BsmGreeks {
  const { rate, q, F } = bsmChecked(o);
  const S = o.spot;
  const K = o.strike;
  const T = o.timeYears;
  const c = core(o.kind, F, K, T, o.vol, rate);
  const price = c.df * c.undiscounted;
  if (c.expired) {
    return { price, delta: c.c1, forwardDelta: c.c1, gamma: 0, vega: 0, theta: 0, rho: 0, dividendRho: 0 };
  }
  const dq = Math.exp(-q * T); // e^{−qT}; DF·F = S·e^{−qT}
  const s = o.vol * c.sqrtT;
  const gamma = c.n1 === 0 ? 0 : (dq * c.n1) / (S * s);
  // θ = −S·e^{−qT}·φ(d1)·σ/(2√T) − r·K·DF·c2 + q·S·e^{−qT}·c1
  const decay = c.n1 === 0 ? 0 : (-S * dq * c.n1 * o.vol) / (2 * c.sqrtT);
  const theta = decay - rate * K * c.df * c.c2 + q * S * dq * c.c1;
  return {
    price,
    delta: dq * c.c1,
    forwardDelta: c.df * c.c1,
    gamma,
    vega: c.vega,
    theta,
    rho: T * K * c.df * c.c2,
    dividendRho: -T * S * dq * c.c1,
  };
}

/** Vega per vol point (σ from 0.50 to 0.51), from vega per 1.00. */
export const vegaPerVolPoint = (vega: number): number => vega / 100;
/** Theta per calendar day (/365), from theta per year. */
export const thetaPerDay = (theta: number): number => theta / DAYS_PER_YEAR;
/** Rho per rate point (1%), from rho per 1.00. */
export const rhoPerRatePoint = (rho: number): number => rho / 100;

/**
 * A quote-currency amount in base units, as coin-margined venues quote premiums:
 * price_base = price_quote / underlying (the forward F for Black-76, the spot S for BSM).
 * @example toBaseUnits(4_300, 121_500) // ≈ 0.0354 BTC
 */
export function toBaseUnits(priceQuote: number, underlyingQuote: number): number {
  check(
    Number.isFinite(underlyingQuote) && underlyingQuote > 0,
    'underlying must be finite and > 0',
    underlyingQuote,
  );
  return priceQuote / underlyingQuote;
}

/** Inverse of `toBaseUnits`: price_quote = price_base × underlying. */
export function fromBaseUnits(priceBase: number, underlyingQuote: number): number {
  check(
    Number.isFinite(underlyingQuote) && underlyingQuote > 0,
    'underlying must be finite and > 0',
    underlyingQuote,
  );
  return priceBase * underlyingQuote;
}

/**
 * Black-76 premium in base units (BTC per option on 1 BTC): black76Price / F.
 * @example black76PriceInBase({ kind: 'call', forward: 122_150, strike: 80_000, timeYears: 0.0584, vol: 0.688 }) // ≈ 0.3453
 */
export function black76PriceInBase(o: Black76Input): number {
  return toBaseUnits(black76Price(o), o.forward);
}

/** BSM premium in base units: bsmPrice / S. */
export function bsmPriceInBase(o: BsmInput): number {
  return toBaseUnits(bsmPrice(o), o.spot);
}

/**
 * Black-76 Greeks of a coin-margined option in base units, V_b = V/F ("price-adjusted",
 * as OKX reports them). With V the quote-currency value and ' = ∂/∂F:
 *
 *     delta_b = F·V_b'  = V' − V/F                 coin exposure: BS delta less the premium held in coin
 *     gamma_b = F²·V_b'' = F·V'' − 2·delta_b       change of delta_b per relative move of F
 *     vega_b  = (∂V/∂σ)/F,  theta_b = (−∂V/∂T)/F   F held
 */
export interface InverseGreeks {
  /** Premium in base units. */
  price: number;
  /** Coin delta: ∂V/∂F − V/F. */
  delta: number;
  /** F²·∂²(V/F)/∂F² = F·∂²V/∂F² − 2·delta. */
  gamma: number;
  /** Vega in base units per 1.00 of vol. */
  vega: number;
  /** Theta in base units per year. */
  theta: number;
}

/** Black-76 Greeks in base units for coin-margined options (see `InverseGreeks`). */
export function black76InverseGreeks(o: Black76Input): InverseGreeks {
  const g = black76Greeks(o);
  const F = o.forward;
  const price = g.price / F;
  const delta = g.delta - price;
  return { price, delta, gamma: F * g.gamma - 2 * delta, vega: g.vega / F, theta: g.theta / F };
}
