/**
 * CLI error kinds. A UsageError is the user's to fix (bad arguments, unreadable
 * or invalid input files): the CLI prints its message and exits with code 2.
 * Anything else is a bug or an environment failure: exit code 1.
 */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Exit codes of the plimsoll CLI. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/**
 * Print a command's failure the one way every command does — a usage error as its message,
 * anything else as an internal error with its stack — and return the exit code.
 */
export function reportFailure(e: unknown, err: { write(text: string): unknown } = process.stderr): number {
  if (e instanceof UsageError) {
    err.write(`plimsoll: ${e.message}\n`);
    return EXIT_USAGE;
  }
  err.write(`plimsoll: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  return EXIT_FAILURE;
}
