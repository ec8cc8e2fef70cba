/**
 * The portfolio scenario file (examples/portfolio-*.json): a margin configuration (a preset id,
 * optionally with overrides, or a full configuration), one market snapshot and the accounts to
 * margin. This is the input a `plimsoll portfolio FILE [--matrix]` command reads; the library
 * reads it with `parsePortfolioFile`.
 *
 * { "preset": "crypto-pm", "overrides": { "correlations": [...] }, "snapshot": {...}, "accounts": [...] }
 * { "config": { "name": "...", "core": {...}, ... }, "snapshot": {...}, "accounts": [...] }
 */
import { z } from 'zod';
import {
  type MarketSnapshot,
  MarketSnapshotSchema,
  type PortfolioAccount,
  PortfolioAccountSchema,
} from './model.ts';
import {
  type PortfolioMarginConfig,
  PortfolioMarginConfigSchema,
  type PortfolioPresetId,
  portfolioPreset,
} from './scenarios.ts';

export const PortfolioFileSchema = z
  .object({
    description: z.string().max(2000).optional(),
    preset: z.enum(['crypto-pm', 'paradex-pm', 'span-16']).optional(),
    /** Shallow overrides of the preset's top-level fields (e.g. correlations, priceRange). */
    overrides: z.record(z.string(), z.unknown()).optional(),
    config: z.unknown().optional(),
    snapshot: MarketSnapshotSchema,
    accounts: z
      .array(PortfolioAccountSchema.extend({ id: z.string().min(1).max(128) }))
      .min(1)
      .max(10_000),
  })
  .refine(
    (f) => (f.preset === undefined) !== (f.config === undefined),
    'give exactly one of preset and config',
  );

export interface PortfolioFile {
  description?: string;
  config: PortfolioMarginConfig;
  snapshot: MarketSnapshot;
  accounts: (PortfolioAccount & { id: string })[];
}

/** Validate a portfolio file and resolve its configuration; issues are "path: message". */
export function parsePortfolioFile(
  input: unknown,
): { ok: true; value: PortfolioFile } | { ok: false; issues: string[] } {
  const issues = (e: z.ZodError, prefix = '') =>
    e.issues.map((i) => `${prefix}${i.path.join('.') || '(root)'}: ${i.message}`);
  const r = PortfolioFileSchema.safeParse(input);
  if (!r.success) return { ok: false, issues: issues(r.error) };
  const f = r.data;
  const raw = f.preset
    ? { ...portfolioPreset(f.preset as PortfolioPresetId), ...(f.overrides ?? {}) }
    : f.config;
  const c = PortfolioMarginConfigSchema.safeParse(raw);
  if (!c.success) return { ok: false, issues: issues(c.error, f.preset ? 'overrides.' : 'config.') };
  const value: PortfolioFile = { config: c.data, snapshot: f.snapshot, accounts: f.accounts };
  if (f.description !== undefined) value.description = f.description;
  return { ok: true, value };
}
