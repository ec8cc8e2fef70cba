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
