/**
 * The seeded mixed run (test/support/mixed-run.ts: fills, orders, checks, ETH collateral, an
 * isolated position, a crash and its liquidations) through the fill path's fast encoders: every
 * journal text is what the generic writer `toJson` makes of the event, replaying the journal
 * gives the engine's state, and the run does reach the branches it is meant to (margin refusals,
 * liquidations). To compare two versions of the engine, run `mixedRun` from both trees: the
 * outcomes, `journalHash` and `stateHash` must be identical.
 */
import { describe, expect, it } from 'vitest';
import { decodeEvent, stateHash } from '../../src/core/engine/codec.ts';
import { Engine } from '../../src/core/engine/engine.ts';

import { toJson } from '../../src/core/num/json.ts';
import { mixedRun } from '../support/mixed-run.ts';

describe('fill path on a seeded mixed run', () => {
  for (const seed of [1, 2]) {
    it(`seed ${seed}: journal texts are toJson's, replay matches, liquidations happen`, () => {
      const r = mixedRun(seed, 1500);
      expect(r.outcomes.some((o) => o === 'no INSUFFICIENT_MARGIN')).toBe(true);
      expect(r.liquidations).toBeGreaterThan(0);
      const events = r.journalTexts.map((j) => decodeEvent(j));
      expect(events.some((e) => e.type === 'traded' && e.reason !== 'fill')).toBe(true);
      for (let i = 0; i < events.length; i++) expect(r.journalTexts[i]).toBe(toJson(events[i]));
      expect(stateHash(Engine.replay(events))).toBe(r.stateHash);
    });
  }
});
