/**
 * The oracle of one market as pure functions: (config, state, inputs, now) →
 * (new state, outputs, rejections). No clock, no randomness, no I/O: time arrives
 * as `nowMs`, and the same calls always produce the same state (INV-ORC-4).
 *
 * A step
 * 1. validates each input (observation.ts, then out-of-order and implausible-print checks
 *    here); a bad input is rejected with a typed code, counted, and never applied;
 * 2. evaluates the market at nowMs: index (index-price.ts), premium EMA and mark candidate
 *    (mark.ts), circuit breaker (breaker.ts) → guarded mark, TWAP (twap.ts), safe mode
 *    (safe-mode.ts);
 * 3. reports the outcome (OracleOutputs), including transitions the engine records as
 *    events: index reliable/unreliable, breaker tripped/released, safe mode entered/exited.
 *
 * Several inputs stamped at the same moment should go in one step, so the market is
 * evaluated once with all of them (a half-applied batch could look like a missing source).
 *
 * @example
 * let st = initialOracleState(cfg);
 * const r = step(cfg, st, { nowMs: 1_000, inputs: [
 *   { source: 'binance', price: '60000.5', timestampMs: 1_000 },
 *   { source: 'gemini', price: '60001', timestampMs: 990 },
 * ] });
 * st = r.state; // r.outputs.index.pricePx8, r.outputs.mark.pricePx8, r.outputs.transitions
 */

import { type BreakerTransition, movesMoreThan, stepBreaker } from './breaker.ts';
import type { OracleConfig } from './config.ts';
import { type CredibleRange, confirmationOf, credibleRange, stepConfirmation } from './confirmation.ts';
import { type OracleRejection, type OracleRejectionCode, oracleRejection } from './errors.ts';
import { computeIndex, isHealthy, type SourceVerdict } from './index-price.ts';
import { markCandidatePx8, premiumSample9, updatePremiumEma } from './mark.ts';
import { type OracleInput, parseOracleInput } from './observation.ts';
import { type SafeModeTransition, stepSafeMode } from './safe-mode.ts';
import type { OracleState, SafeModeReason, SourceState } from './state.ts';
import { advanceTwap, setTwapMark, twapAt } from './twap.ts';

export type IndexTransition =
  | { readonly type: 'index_reliable'; readonly timeMs: number; readonly pricePx8: bigint }
  | {
      readonly type: 'index_unreliable';
      readonly timeMs: number;
      readonly usedSources: number;
      readonly minSources: number;
    };

/** Everything that changed status in a step; the engine records each as an event. */
export type OracleTransition = IndexTransition | BreakerTransition | SafeModeTransition;

export interface OracleOutputs {
  readonly market: string;
  readonly timeMs: number;
  /** Inputs of this step that were accepted (rejected ones are in `rejections`). */
  readonly accepted: number;
  readonly index: {
    /** Weighted median of the used sources (px8); null when unreliable. */
    readonly pricePx8: bigint | null;
    readonly reliable: boolean;
    readonly usedSources: number;
    readonly minSources: number;
  };
  /** Every source's verdict, in config order. */
  readonly sources: readonly SourceVerdict[];
  /** The dropped ones among them, with their reason. */
  readonly dropped: readonly SourceVerdict[];
  readonly mark: {
    /** The guarded mark (px8) for margin and liquidation; null before the first reliable index. */
    readonly pricePx8: bigint | null;
    /** What the estimator proposed (px8); null without an index. */
    readonly candidatePx8: bigint | null;
    /** EMA of the premium (9 decimals); null for the `index` estimator or before a sample. */
    readonly premium9: bigint | null;
    /** True when the mark was not moved to the candidate (breaker or no index). */
    readonly held: boolean;
  };
  /** TWAP of the guarded mark over twap.windowMs (px8). */
  readonly twapPx8: bigint | null;
  readonly breaker: { readonly tripped: boolean; readonly anchorPx8: bigint | null };
  readonly safeMode: { readonly active: boolean; readonly reasons: readonly SafeModeReason[] };
  /**
   * The credible range (confirmation.ts): marks of the confirmation window and dissenting
   * sources; liquidations are judged at its end most favourable to each position. Null when
   * confirmation is off or before the first mark.
   */
  readonly confirmation: CredibleRange | null;
  readonly transitions: readonly OracleTransition[];
}

export interface OracleStepResult {
  readonly state: OracleState;
  /** Null when the whole step was refused (bad or backwards nowMs); the state then only counts it. */
  readonly outputs: OracleOutputs | null;
  readonly rejections: readonly OracleRejection[];
}

export interface OracleStepInput {
  /** The step's time (ms since the epoch): the engine's command time. Never decreases. */
  readonly nowMs: number;
  /** Raw inputs (OracleInputRaw as JSON); validated here. */
  readonly inputs?: readonly unknown[];
}

/** Validates and applies a batch of inputs at nowMs, then evaluates the market. */
export function step(config: OracleConfig, state: OracleState, input: OracleStepInput): OracleStepResult {
  const { nowMs } = input;
  if (typeof nowMs !== 'number' || !Number.isSafeInteger(nowMs) || nowMs < 0) {
    const r = oracleRejection('ORACLE_BAD_TIMESTAMP', 'nowMs must be a non-negative integer (ms)', null);
    return { state: countRejections(state, [r], new Map()), outputs: null, rejections: [r] };
  }
  if (state.timeMs !== null && nowMs < state.timeMs) {
    const r = oracleRejection(
      'ORACLE_TIME_BACKWARDS',
      `now ${nowMs} is before the last step ${state.timeMs}`,
      null,
      {
        nowMs,
        lastMs: state.timeMs,
      },
    );
    return { state: countRejections(state, [r], new Map()), outputs: null, rejections: [r] };
  }

  // 1. Inputs.
  const sources = new Map(state.sources);
  let { lastTrade, book } = state;
  const rejections: OracleRejection[] = [];
  const perSource = new Map<string, number>();
  let accepted = 0;
  const raws = input.inputs ?? [];
  for (let i = 0; i < raws.length; i++) {
    const raw = raws[i];
    const parsed = parseOracleInput(config, raw, nowMs, i);
    const rejection = parsed.ok
      ? statefulCheck(config, state, sources, lastTrade, book, parsed.value, i)
      : parsed.rejection;
    if (rejection !== null) {
      rejections.push(rejection);
      const src = parsed.ok && parsed.value.kind === 'price' ? parsed.value.source : knownSource(config, raw);
      if (src !== null) perSource.set(src, (perSource.get(src) ?? 0) + 1);
      continue;
    }
    const obs = (parsed as { ok: true; value: OracleInput }).value;
    accepted++;
    if (obs.kind === 'price') {
      const prev = sources.get(obs.source) as SourceState;
      sources.set(obs.source, {
        ...prev,
        last: {
          pricePx8: obs.pricePx8,
          timeMs: obs.timeMs,
          confidencePx8: obs.confidencePx8,
          volumeQty9: obs.volumeQty9,
        },
        accepted: prev.accepted + 1,
      });
    } else if (obs.kind === 'trade') {
      lastTrade = { pricePx8: obs.pricePx8, timeMs: obs.timeMs };
    } else {
      book = { impactBidPx8: obs.impactBidPx8, impactAskPx8: obs.impactAskPx8, timeMs: obs.timeMs };
    }
  }

  // 2. Evaluation.
  const minHealthyMs = config.recovery.minHealthyMs;
  const idx = computeIndex(config, sources, nowMs);
  for (const v of idx.verdicts) {
    const s = sources.get(v.source) as SourceState;
    const healthySinceMs = isHealthy(v) ? (s.healthySinceMs ?? nowMs) : null;
    if (healthySinceMs !== s.healthySinceMs) sources.set(v.source, { ...s, healthySinceMs });
  }
  const transitions: OracleTransition[] = [];
  if (idx.reliable && !state.index.reliable) {
    transitions.push({ type: 'index_reliable', timeMs: nowMs, pricePx8: idx.pricePx8 as bigint });
  } else if (!idx.reliable && state.index.reliable) {
    transitions.push({
      type: 'index_unreliable',
      timeMs: nowMs,
      usedSources: idx.usedCount,
      minSources: config.minSources,
    });
  }
  const index = {
    pricePx8: idx.pricePx8,
    reliable: idx.reliable,
    reliableSinceMs: idx.reliable ? (state.index.reliable ? state.index.reliableSinceMs : nowMs) : null,
    screenPx8: idx.reliable && 2n * idx.usedWeightPpm > idx.totalWeightPpm ? idx.pricePx8 : null,
  };

  let premium = state.premium;
  if (config.mark.kind !== 'index' && idx.pricePx8 !== null) {
    const sample = premiumSample9({ book, lastTrade }, idx.pricePx8, nowMs, config.mark.maxInputAgeMs);
    premium = updatePremiumEma(premium, sample, nowMs, config.mark.emaIntervalMs, config.mark.emaDecay18);
  }
  const candidatePx8 = markCandidatePx8(config.mark, { book, lastTrade }, idx.pricePx8, premium.ema9, nowMs);
  const br = stepBreaker(config.breaker, state.breaker, state.markPx8, candidatePx8, nowMs, minHealthyMs);
  transitions.push(...br.transitions);

  const twap = setTwapMark(advanceTwap(config.twap, state.twap, nowMs), br.markPx8, nowMs);
  const sm = stepSafeMode(
    state.safeMode,
    {
      hasMark: br.markPx8 !== null,
      indexReliable: index.reliable,
      indexReliableSinceMs: index.reliableSinceMs,
      breakerTripped: br.state.tripped,
    },
    nowMs,
    minHealthyMs,
  );
  transitions.push(...sm.transitions);

  const conf = confirmationOf(config);
  const confirmation = conf
    ? stepConfirmation(conf, state.confirmation, state.markPx8, br.markPx8, idx.verdicts, nowMs)
    : state.confirmation;
  const range = conf ? credibleRange(conf, confirmation, br.markPx8, idx.verdicts, nowMs) : null;

  const next = countRejections(
    {
      ...state,
      timeMs: nowMs,
      sources,
      lastTrade,
      book,
      index,
      premium,
      markPx8: br.markPx8,
      breaker: br.state,
      twap,
      safeMode: sm.state,
      confirmation,
    },
    rejections,
    perSource,
  );
  return {
    state: next,
    rejections,
    outputs: {
      market: config.market,
      timeMs: nowMs,
      accepted,
      index: {
        pricePx8: idx.pricePx8,
        reliable: idx.reliable,
        usedSources: idx.usedCount,
        minSources: config.minSources,
      },
      sources: idx.verdicts,
      dropped: idx.verdicts.filter((v) => !v.used),
      mark: {
        pricePx8: br.markPx8,
        candidatePx8,
        premium9: config.mark.kind === 'index' ? null : premium.ema9,
        held: br.markPx8 !== candidatePx8,
      },
      twapPx8: twapAt(config.twap, twap, nowMs),
      breaker: { tripped: br.state.tripped, anchorPx8: br.state.anchorPx8 },
      safeMode: { active: sm.state.active, reasons: sm.state.reasons },
      confirmation: range,
      transitions,
    },
  };
}

/**
 * One input, evaluated at `nowMs` (default: the input's own timestamp, or the last step's
 * time if that is later; without an explicit nowMs a future timestamp cannot be detected,
 * so the engine should pass its command time).
 */
export function observe(
  config: OracleConfig,
  state: OracleState,
  input: unknown,
  nowMs?: number,
): OracleStepResult {
  let now = nowMs;
  if (now === undefined) {
    const ts = (input as { timestampMs?: unknown } | null)?.timestampMs;
    const t = typeof ts === 'number' && Number.isSafeInteger(ts) && ts >= 0 ? ts : 0;
    now = Math.max(t, state.timeMs ?? 0);
  }
  return step(config, state, { nowMs: now, inputs: [input] });
}

/** Re-evaluates the market at nowMs without new inputs (sources age, safe mode may end). */
export function tick(config: OracleConfig, state: OracleState, nowMs: number): OracleStepResult {
  return step(config, state, { nowMs });
}

/** What the oracle says about its market at a given time, without changing its state. */
export interface OracleAssessment {
  /** Safe mode now, or at nowMs once sources have aged (a mark nobody refreshed is stale). */
  readonly safeMode: boolean;
  readonly reasons: readonly SafeModeReason[];
  /** The credible range at nowMs (null when confirmation is off or there is no mark). */
  readonly confirmation: CredibleRange | null;
}

/**
 * The market as it would be evaluated at nowMs (the later of nowMs and the last step), read
 * only: a held mark whose sources have all gone quiet shows as safe mode here before any
 * oracle step says so. Safe mode is reported if the last step or the re-evaluation says so.
 */
export function assessAt(config: OracleConfig, state: OracleState, nowMs: number): OracleAssessment {
  const at = Math.max(nowMs, state.timeMs ?? 0);
  const r = tick(config, state, at);
  const reasons = new Set<SafeModeReason>(state.safeMode.active ? state.safeMode.reasons : []);
  for (const x of r.outputs?.safeMode.reasons ?? []) reasons.add(x);
  return {
    safeMode: state.safeMode.active || r.outputs === null || r.outputs.safeMode.active,
    reasons: [...reasons],
    confirmation: r.outputs?.confirmation ?? null,
  };
}

/** The TWAP of the guarded mark at nowMs (px8), e.g. for funding; null before any mark. */
export function oracleTwapPx8(config: OracleConfig, state: OracleState, nowMs: number): bigint | null {
  return twapAt(config.twap, state.twap, nowMs);
}

/** Total rejected inputs by code (all codes, declaration order). */
export function rejectionCounts(state: OracleState): ReadonlyMap<OracleRejectionCode, number> {
  return state.rejections;
}

function statefulCheck(
  config: OracleConfig,
  state: OracleState,
  sources: ReadonlyMap<string, SourceState>,
  lastTrade: OracleState['lastTrade'],
  book: OracleState['book'],
  obs: OracleInput,
  i: number,
): OracleRejection | null {
  let prevMs: number | null;
  let what: string;
  let price: bigint;
  if (obs.kind === 'price') {
    prevMs = sources.get(obs.source)?.last?.timeMs ?? null;
    what = `source ${obs.source}`;
    price = obs.pricePx8;
  } else if (obs.kind === 'trade') {
    prevMs = lastTrade?.timeMs ?? null;
    what = 'trades';
    price = obs.pricePx8;
  } else {
    prevMs = book?.timeMs ?? null;
    what = 'book';
    price = (obs.impactBidPx8 + obs.impactAskPx8) / 2n;
  }
  const src: Record<string, string> = obs.kind === 'price' ? { source: obs.source } : {};
  // Equal timestamps are accepted (several trades in one ms); the later input wins.
  if (prevMs !== null && obs.timeMs < prevMs) {
    return oracleRejection('ORACLE_OUT_OF_ORDER', `${what}: timestamp ${obs.timeMs} before ${prevMs}`, i, {
      ...src,
      timestampMs: obs.timeMs,
      lastMs: prevMs,
    });
  }
  const screen = state.index.screenPx8;
  const band = config.maxPrintDeviation;
  if (screen !== null && band !== null && movesMoreThan(price, screen, band)) {
    return oracleRejection(
      'ORACLE_IMPLAUSIBLE_PRICE',
      `${what}: price is more than ${band} ppm from the index`,
      i,
      { ...src, pricePx8: price.toString(), indexPx8: screen.toString(), maxPpm: band.toString() },
    );
  }
  return null;
}

function knownSource(config: OracleConfig, raw: unknown): string | null {
  const s = (raw as { source?: unknown } | null)?.source;
  return typeof s === 'string' && config.sources.some((c) => c.id === s) ? s : null;
}

function countRejections(
  state: OracleState,
  rejections: readonly OracleRejection[],
  perSource: ReadonlyMap<string, number>,
): OracleState {
  if (rejections.length === 0) return state;
  const counts = new Map(state.rejections);
  for (const r of rejections) counts.set(r.code, (counts.get(r.code) ?? 0) + 1);
  let sources = state.sources;
  if (perSource.size > 0) {
    const m = new Map(state.sources);
    for (const [id, n] of perSource) {
      const s = m.get(id);
      if (s !== undefined) m.set(id, { ...s, rejected: s.rejected + n });
    }
    sources = m;
  }
  return { ...state, sources, rejections: counts };
}
