/**
 * Canonical JSON for OracleState (snapshots, state hashes, journals).
 *
 * Bigints are written as {"$n":"123"}, like the engine's codec, so no price ever
 * passes through a JS number; Maps become entry lists in their (config / declaration)
 * order, which is part of the state. decode(encode(s)) deep-equals s (INV-ORC-4).
 */
import { InvariantError } from '../num/index.ts';
import { fromJson, toJson } from '../num/json.ts';
import { type OracleRejectionCode, OracleRejectionCodes } from './errors.ts';
import type { OracleState, SourceState } from './state.ts';

/** JSON with bigints as {"$n": "..."} (the engine's codec, num/json.ts). */
export const oracleToJson = toJson;
/** Inverse of oracleToJson. */
export const oracleFromJson = fromJson;

/** The state as plain data (Maps → entry arrays). */
export function oracleStateToPlain(s: OracleState): unknown {
  return { ...s, sources: [...s.sources], rejections: [...s.rejections] };
}

export function encodeOracleState(s: OracleState): string {
  return oracleToJson(oracleStateToPlain(s));
}

export function decodeOracleState(json: string): OracleState {
  // biome-ignore lint/suspicious/noExplicitAny: checked field by field below
  const p = oracleFromJson<any>(json);
  if (p === null || typeof p !== 'object' || !Array.isArray(p.sources) || !Array.isArray(p.rejections)) {
    throw new InvariantError('not an oracle state');
  }
  const rejections = new Map<OracleRejectionCode, number>(OracleRejectionCodes.map((c) => [c, 0]));
  for (const [code, n] of p.rejections as [string, number][]) {
    if (!rejections.has(code as OracleRejectionCode))
      throw new InvariantError(`unknown rejection code ${code}`);
    rejections.set(code as OracleRejectionCode, n);
  }
  return {
    ...p,
    sources: new Map<string, SourceState>(p.sources),
    // States written before move confirmation existed have no window yet.
    confirmation: p.confirmation ?? { buckets: [], dissent: [] },
    rejections,
  } as OracleState;
}
