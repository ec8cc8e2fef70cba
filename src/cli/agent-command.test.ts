/**
 * The agent command's flag parsing: ratios and durations, the strategies they build (an
 * impossible band and bad probability settings are usage errors), and which key a key file gives.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BandRebalancer } from '../trader/strategies/band-rebalancer.ts';
import { ProbabilityGuard } from '../trader/strategies/probability-guard.ts';
import {
  AGENT_DEFAULTS,
  type AgentCliOptions,
  buildStrategy,
  parseDuration,
  parseRatioPpm,
  readKey,
} from './agent-command.ts';
import { UsageError } from './errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'plimsoll-agent-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const opts = (over: Partial<AgentCliOptions> = {}): AgentCliOptions => ({
  ...AGENT_DEFAULTS,
  strategy: 'band',
  account: 'alice',
  server: 'http://127.0.0.1:8080',
  key: 'k.json',
  ...over,
});

describe('agent flags', () => {
  it('ratios_and_durations', () => {
    expect(parseRatioPpm('--trigger', '50%')).toBe(500_000n);
    expect(parseRatioPpm('--trigger', '0.35')).toBe(350_000n);
    expect(parseRatioPpm('--trigger', '12.5%')).toBe(125_000n);
    expect(() => parseRatioPpm('--trigger', '0')).toThrow(UsageError);
    expect(() => parseRatioPpm('--trigger', 'half')).toThrow(/--trigger half/);
    expect(parseDuration('--cooldown', '60s')).toBe(60_000);
    expect(parseDuration('--horizon', '1d')).toBe(86_400_000);
    expect(parseDuration('--cooldown', '250ms')).toBe(250);
    expect(() => parseDuration('--cooldown', '60')).toThrow(/--cooldown 60/);
  });

  it('builds_the_strategies_and_refuses_impossible_ones', () => {
    const band = buildStrategy(opts({ trigger: '50%', target: '20%', minAction: '10' }), 8);
    expect(band).toBeInstanceOf(BandRebalancer);
    expect((band as BandRebalancer).config).toMatchObject({
      triggerPpm: 500_000n,
      targetPpm: 200_000n,
      cooldownMs: 60_000,
      minAction: 1_000_000_000n, // 10 at 8 decimals
    });
    expect(buildStrategy(opts({ strategy: 'probability' }), 8)).toBeInstanceOf(ProbabilityGuard);
    expect(() => buildStrategy(opts({ trigger: '20%', target: '30%' }), 8)).toThrow(/TARGET_NOT_SAFER/);
    expect(() => buildStrategy(opts({ trigger: '120%' }), 8)).toThrow(/BAD_PARAMETER/);
    expect(() => buildStrategy(opts({ strategy: 'probability', threshold: '1.5' }), 8)).toThrow(UsageError);
    expect(() => buildStrategy(opts({ minAction: '-1' }), 8)).toThrow(/--min-action/);
  });

  it('reads_the_key_from_a_key_or_a_keys_file', () => {
    const one = join(dir, 'one.json');
    writeFileSync(one, JSON.stringify({ id: 'alice', secret: 's'.repeat(40) }));
    expect(readKey(one, 'alice').id).toBe('alice');
    const many = join(dir, 'many.json');
    writeFileSync(
      many,
      JSON.stringify([
        { id: 'operator', secret: 'o'.repeat(40), scopes: ['operator'] },
        { id: 'alice', secret: 'a'.repeat(40), scopes: ['trader'], accounts: ['alice'] },
        { id: 'bob', secret: 'b'.repeat(40), scopes: ['trader'], accounts: ['bob'] },
      ]),
    );
    expect(readKey(many, 'bob').id).toBe('bob'); // the one trader key of the account
    expect(readKey(many, 'carol', 'operator').id).toBe('operator');
    expect(() => readKey(many, 'carol')).toThrow(/choose one with --key-id/);
    expect(() => readKey(many, 'alice', 'eve')).toThrow(/no key eve/);
    expect(() => readKey(join(dir, 'missing.json'), 'alice')).toThrow(/ENOENT/);
  });
});
