/** Runs the real CLI in a child process, as a user would. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `node --import tsx src/cli/main.ts ...args` from the repository root. */
export function cli(args: readonly string[], opts: { viaBin?: boolean } = {}): CliRun {
  const entry = opts.viaBin === true ? ['bin/plimsoll.js'] : ['--import', 'tsx', 'src/cli/main.ts'];
  const r = spawnSync(process.execPath, [...entry, ...args], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, NO_COLOR: '1' },
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
