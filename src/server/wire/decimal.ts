/**
 * The one decimal codec of the wire: amounts, prices and sizes travel as decimal strings ("1.5"),
 * never as JSON numbers (a double cannot carry 0.1 or a 20-digit balance exactly). A JSON number
 * where a decimal is expected is refused with a message that says so. The engine parses the text
 * at each field's scale; out here we only check the form, so no value is ever a float.
 */
import { z } from 'zod';

const DECIMAL_PATTERN = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;
const MAX_DECIMAL_CHARS = 64;

function decimalError(issue: { input?: unknown; code?: string }): string {
  if (typeof issue.input === 'number')
    return 'must be a decimal string (e.g. "1.5"), not a JSON number: numbers lose precision';
  if (issue.code === 'invalid_type') return 'must be a decimal string (e.g. "1.5")';
  return 'must be a decimal string like "123.45" (no exponent, no leading +, at most 64 characters)';
}

/** A signed decimal string. */
export const decimal = z
  .string({ error: decimalError })
  .max(MAX_DECIMAL_CHARS, { error: decimalError })
  .regex(DECIMAL_PATTERN, { error: decimalError })
  .meta({ description: 'decimal string, e.g. "1.5"', examples: ['1.5'] });

/** A decimal string > 0 (sizes, prices, amounts moved). */
export const positiveDecimal = decimal
  .refine((t) => !t.startsWith('-') && /[1-9]/.test(t), { error: 'must be greater than 0' })
  .meta({ description: 'positive decimal string, e.g. "100"', examples: ['100'] });

/** Formats an engine integer at `decimals` places as a wire decimal (re-exported for responses). */
export { formatDecimal } from '../../core/num/index.ts';
