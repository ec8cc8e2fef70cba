/** Option parsers shared by the CLI commands (commander argParsers). */
import { InvalidArgumentError } from 'commander';

/** A whole number in [lo, hi]; anything else is a usage error naming the option. */
export function intInRange(name: string, lo: number, hi: number) {
  return (text: string): number => {
    if (!/^[0-9]+$/.test(text)) throw new InvalidArgumentError(`${name} must be a whole number`);
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < lo || n > hi)
      throw new InvalidArgumentError(`${name} must be in [${lo}, ${hi}]`);
    return n;
  };
}
