import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import type { ForecastEvaluation } from '../sim/forecast/walk-forward.ts';
import { formatEvaluation, registerForecastCommand } from './forecast-command.ts';

const ev: ForecastEvaluation = {
  testBars: 2,
  firstTestSec: Date.UTC(2021, 0, 1) / 1000,
  lastTestSec: Date.UTC(2021, 0, 1, 1) / 1000,
  refits: 1,
  spikeThreshold: 1e-4,
  forecasts: [],
  models: [
    {
      model: 'learned-rf',
      meanQlike: 0.5,
      spike: { spikes: 4, alarms: 2, hits: 1, precision: 0.5, recall: 0.25 },
      vs: [{ baseline: 'har', mean: 0.1, lo: 0.05, hi: 0.15, distinguishable: true }],
    },
    {
      model: 'har',
      meanQlike: 0.4,
      spike: { spikes: 4, alarms: 0, hits: 0, precision: Number.NaN, recall: 0 },
    },
  ],
};

describe('plimsoll forecast', () => {
  it('text: one row per model, the verdict in words, undefined precision as a dash', () => {
    const text = formatEvaluation('h', 'desc', ev, 1.25);
    expect(text).toContain('2 test hours 2021-01-01 00:00 → 2021-01-01 01:00 UTC, 1 refits');
    expect(text).toMatch(/learned-rf\s+0\.500\s+4\s+2\s+1\s+0\.500\s+0\.250/);
    expect(text).toMatch(/har\s+0\.400\s+4\s+0\s+0\s+—\s+0\.000/);
    expect(text).toContain('learned-rf − har: ΔQLIKE 0.100 [0.050, 0.150] (learned worse)');
  });

  it('an unknown --history is a usage error naming the known ones', () => {
    const program = new Command().exitOverride().configureOutput({ writeErr: () => {} });
    registerForecastCommand(program, { out: () => {} });
    expect(() => program.parse(['forecast', '--history', 'nope'], { from: 'user' })).toThrow(
      /binance-futures-1h/,
    );
  });
});
