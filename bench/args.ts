/** Command-line flags of `npm run bench`: `--json FILE`, `--quick`, `--only a,b`. */
import { parseArgs } from 'node:util';

export interface BenchArgs {
  json?: string;
  quick: boolean;
  only?: string[];
}

export function parseBenchArgs(argv: string[]): BenchArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: 'string' },
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
    },
    strict: true,
  });
  return {
    json: values.json,
    quick: values.quick ?? false,
    only: values.only?.split(',').map((b) => b.trim()),
  };
}
