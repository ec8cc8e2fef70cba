/**
 * `npm run bench:peer`: the drift-v2 preset's exact maintenance figures against the Drift SDK's
 * own `User` class, on the same 10,000 Drift accounts, in one run.
 *
 * 1. Installs @drift-labs/sdk 2.145.0 (test/vectors/drift/peer/package-lock.json) into a folder
 *    under os.tmpdir() named after the lock's hash, once (`npm ci`, ~45 s); never a dependency
 *    of this package.
 * 2. Generates the population with the peer (`peer.mjs --users N --seed 42 --dump-all`): inputs
 *    and the SDK's maintenance requirement and total collateral of every user (cached beside
 *    the SDK).
 * 3. Builds every user in an engine with the drift-v2 preset by commands
 *    (presets/drift-v2-accounts.ts) and checks, for all N users, that the engine's figures
 *    (`evaluate`, the naive exact path) and the columnar exact path (account/drift-columnar.ts)
 *    both equal the SDK's, to the unit. Any difference fails the bench.
 * 4. Times, alternating, `--rounds` rounds (default 3): (a) our columnar exact path — inside the
 *    timed region: reading each market's and asset's price from the engine state, then for every
 *    account its maintenance requirement (worst case over resting orders, size premium, order
 *    charges) and total collateral (weighted PnL, spot at size-discounted weights); median of 7
 *    passes; the columns are built from the state before, outside the region (their build time
 *    is printed); (b) the SDK's User class in a child process (the peer's own timing:
 *    `getMaintenanceMarginRequirement()` + `getTotalCollateral('Maintenance')` for every user,
 *    User objects constructed before; median of 3 passes after a warm-up). Both sides: the same
 *    N accounts, the base scenario's prices, one thread. Reports the median over rounds of each
 *    side and the ratio.
 *
 * Flags: `--users N` (default 10000), `--rounds R` (default 3), `--json FILE`.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  buildDriftColumns,
  driftColumnResult,
  driftColumnResults,
  evaluateDriftColumns,
} from '../src/core/account/drift-columnar.ts';
import { subaccountKey } from '../src/core/model/state.ts';
import { type DriftUserData, driftUserRef } from '../src/core/presets/drift-v2-accounts.ts';
import { buildDriftEngine, type DriftFixture, engineMaintenance } from '../test/support/drift-peer.ts';
import { allFigures, figure } from './figures.ts';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '3' },
    json: { type: 'string' },
  },
  strict: true,
});
const N = Number(values.users);
const ROUNDS = Math.max(3, Number(values.rounds));
const SEED = 42;
const PEER_DIR = new URL('../test/vectors/drift/peer/', import.meta.url).pathname;
const log = (s: string) => console.log(s);

/** The SDK installed once under os.tmpdir(), keyed by the lock file's hash. */
function ensureSdk(): string {
  const lock = readFileSync(join(PEER_DIR, 'package-lock.json'));
  const dir = join(
    tmpdir(),
    `plimsoll-drift-peer-${createHash('sha256').update(lock).digest('hex').slice(0, 16)}`,
  );
  mkdirSync(dir, { recursive: true });
  for (const f of ['package.json', 'package-lock.json', 'peer.mjs'])
    copyFileSync(join(PEER_DIR, f), join(dir, f));
  if (!existsSync(join(dir, 'node_modules/@drift-labs/sdk/package.json'))) {
    log(`installing @drift-labs/sdk into ${dir} (npm ci, about 45 s) …`);
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'inherit' });
  }
  // The peer times four SDK paths; the bench needs one (the User class), so a copy of the peer
  // skips the others when PLIMSOLL_PEER_ONLY names one: one line added at the top of its timer.
  const src = readFileSync(join(dir, 'peer.mjs'), 'utf8');
  const anchor = 'function timeIt(name, fn) {';
  if (!src.includes(anchor))
    throw new Error('peer.mjs: timer not found, cannot select the User-class timing');
  writeFileSync(
    join(dir, 'peer-bench.mjs'),
    src.replace(
      anchor,
      `${anchor}\n\t\tif (process.env.PLIMSOLL_PEER_ONLY && name !== process.env.PLIMSOLL_PEER_ONLY) return;`,
    ),
  );
  return dir;
}

const USER_CLASS = 'user_class_maint_mmr_plus_tc';

/** One run of the peer: the SDK User class timing (users/s); with `dump`, also writes the population. */
function runPeer(dir: string, dump?: string): number {
  const args = [
    'peer-bench.mjs',
    '--users',
    String(N),
    '--seed',
    String(SEED),
    '--reps',
    '3',
    '--out',
    join(dir, 'out'),
  ];
  if (dump) args.push('--dump-all', dump);
  const out = execFileSync(process.execPath, args, {
    cwd: dir,
    env: { ...process.env, PLIMSOLL_PEER_ONLY: USER_CLASS },
    maxBuffer: 64 << 20,
    encoding: 'utf8',
  });
  const m = out.match(new RegExp(`${USER_CLASS}\\s+median ([0-9.]+) ms / (\\d+) users`));
  if (!m) throw new Error(`peer output without the ${USER_CLASS} timing:\n${out.slice(0, 2000)}`);
  return (Number(m[2]) / Number(m[1])) * 1000;
}

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

const dir = ensureSdk();
const dumpFile = join(dir, `population-${N}-seed${SEED}.jsonl`);
const sdkRates: number[] = [];
if (!existsSync(dumpFile)) {
  log(`generating ${N} users with the peer (seed ${SEED}) …`);
  runPeer(dir, dumpFile);
}
const fixture = JSON.parse(
  readFileSync(new URL('../test/vectors/drift/peer_fixture.json', import.meta.url), 'utf8'),
) as DriftFixture;
const scenario = fixture.scenarios.base!;
type DumpUser = DriftUserData & {
  outputs: { base: { maintenanceMarginRequirement: string; maintenanceTotalCollateral: string } };
};
const users = readFileSync(dumpFile, 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as DumpUser);
if (users.length !== N) throw new Error(`population has ${users.length} users, expected ${N}`);

let t = performance.now();
const { engine, approximations } = buildDriftEngine(scenario, users);
log(`built ${N} Drift users in the engine by commands in ${((performance.now() - t) / 1000).toFixed(1)} s`);
const keys = users.map((u) => subaccountKey(driftUserRef(u)));
t = performance.now();
const cols = buildDriftColumns(engine.state, keys);
const buildMs = performance.now() - t;
const out = driftColumnResults(cols);
const slow = evaluateDriftColumns(engine.state, cols, out);
log(
  `columns built in ${buildMs.toFixed(0)} ms (${cols.posMarket.length} positions); ${slow} of ${N} accounts on the bigint path`,
);

// Agreement, to the unit, on every user: the naive exact path and the columnar one.
let naiveOk = 0;
let columnarOk = 0;
const diffs: string[] = [];
users.forEach((u, i) => {
  const want = {
    mr: BigInt(u.outputs.base.maintenanceMarginRequirement),
    tc: BigInt(u.outputs.base.maintenanceTotalCollateral),
  };
  const naive = engineMaintenance(engine, u);
  const col = driftColumnResult(out, i);
  if (naive.mr === want.mr && naive.tc === want.tc) naiveOk++;
  else if (diffs.length < 10)
    diffs.push(`user ${u.id}: engine MR ${naive.mr} TC ${naive.tc}, Drift MR ${want.mr} TC ${want.tc}`);
  if (col.mr === want.mr && col.tc === want.tc) columnarOk++;
});
log(
  `agreement with the Drift SDK: evaluate ${naiveOk}/${N}, columnar ${columnarOk}/${N} (MR and TC to the unit)`,
);
if (approximations.length > 0)
  log(
    `  ${approximations.length} users hold a closed position's positive PnL (realized at the maintenance weight)`,
  );
for (const d of diffs) log(`  ${d}`);
if (naiveOk !== N || columnarOk !== N) {
  process.exitCode = 1;
  throw new Error('the engine disagrees with the Drift SDK');
}

// Timing: alternating rounds.
const oursRates: number[] = [];
const naiveRates: number[] = [];
let sink = 0;
for (let r = 0; r < ROUNDS; r++) {
  const passes: number[] = [];
  evaluateDriftColumns(engine.state, cols, out); // warm-up
  for (let k = 0; k < 7; k++) {
    const a = process.hrtime.bigint();
    evaluateDriftColumns(engine.state, cols, out);
    passes.push(Number(process.hrtime.bigint() - a));
    sink += out.mr[k % N]!;
  }
  oursRates.push((N / median(passes)) * 1e9);
  // The naive exact path (evaluate per account, bigint, all figures), one pass, for context.
  const a = process.hrtime.bigint();
  for (const u of users) sink += Number(engineMaintenance(engine, u).mr & 1n);
  naiveRates.push((N / Number(process.hrtime.bigint() - a)) * 1e9);
  sdkRates.push(runPeer(dir));
  log(
    `round ${r + 1}: exact columnar ${Math.round(oursRates[r]!).toLocaleString()} users/s · exact evaluate ${Math.round(naiveRates[r]!).toLocaleString()} users/s · Drift SDK User class ${Math.round(sdkRates[r]!).toLocaleString()} users/s`,
  );
}
if (sink === Number.POSITIVE_INFINITY) log('');
const ours = median(oursRates);
const sdk = median(sdkRates);
const naive = median(naiveRates);
log(
  `median of ${ROUNDS} rounds: exact ${Math.round(ours).toLocaleString()} users/s vs Drift SDK ${Math.round(sdk).toLocaleString()} users/s → ${(ours / sdk).toFixed(1)}×`,
);
figure(
  'exact_users_per_s',
  ours,
  'users/s',
  `drift-v2 exact columnar path: read each market's and asset's price from the engine state, then maintenance requirement and total collateral of all ${N} peer accounts (seed ${SEED}), median of 7 passes per round, median of ${ROUNDS} rounds; columns built from the state beforehand (${buildMs.toFixed(0)} ms, not timed)`,
);
figure(
  'drift_user_per_s',
  sdk,
  'users/s',
  `Drift SDK 2.145.0 User class in a child process (peer.mjs): getMaintenanceMarginRequirement() + getTotalCollateral('Maintenance') for the same ${N} accounts, User objects built beforehand, median of 3 passes per round, median of ${ROUNDS} rounds`,
);
figure('exact_vs_drift', ours / sdk, 'x', 'exact_users_per_s / drift_user_per_s, same run');
figure(
  'exact_evaluate_users_per_s',
  naive,
  'users/s',
  `the engine's evaluate() per account (the naive exact bigint path; it computes every figure: maintenance, and initial with and without resting orders) for the same ${N} accounts, one pass per round, median of ${ROUNDS} rounds`,
);
if (values.json) {
  // The same shape as `npm run bench -- --json FILE`, so both files are read the same way.
  const doc = {
    mode: 'peer',
    node: process.version,
    cpus: cpus().length,
    loadavg: loadavg(),
    figures: allFigures(),
  };
  writeFileSync(values.json, `${JSON.stringify(doc, null, 2)}\n`);
}
