/**
 * The package as a user gets it: `npm pack` on a copy of the repository (its `prepare`
 * script builds dist/ there, so a stale dist/ in the working tree cannot hide a broken
 * build), the tarball installed into an empty project, then plain Node (no tsx) imports
 * it by name and by each subpath export, runs the README's library program, drives an
 * engine on a SQLite journal through a restart, and runs the installed `plimsoll` bin;
 * a TypeScript consumer type-checks against the shipped .d.ts.
 *
 * Speed: dependencies come from npm's cache (--prefer-offline) and better-sqlite3's
 * native addon is reused from this repository's node_modules (same version, same Node)
 * instead of compiling SQLite again (~90 s). PLIMSOLL_PACK_COMPILE=1 compiles it instead.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../cli/run-cli.ts';

// Typically ~60 s (pack with build ~30 s, install ~15 s); the bound leaves room for a loaded machine.
const SETUP_TIMEOUT_MS = 240_000;
const version = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

/** Top-level paths of the repository that a copy for packing leaves out. */
const NOT_COPIED = new Set(['node_modules', 'dist', '.git', 'simulate-report', 'out', 'tmp']);

interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string }[];
}

let work: string;
let app: string;
let pack: PackResult;
const timings: Record<string, number> = {};

function timed<T>(label: string, f: () => T): T {
  const t0 = performance.now();
  try {
    return f();
  } finally {
    timings[label] = Math.round(performance.now() - t0);
  }
}

function run(cmd: string, args: readonly string[], cwd: string): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, NO_COLOR: '1' },
  });
  if (r.error) throw r.error;
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

function node(script: string, cwd = app): { status: number | null; out: string } {
  return run(process.execPath, [script], cwd);
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'plimsoll-pack-'));
  const source = join(work, 'source');
  cpSync(REPO, source, {
    recursive: true,
    filter: (from) => {
      const rel = relative(REPO, from);
      if (rel === '') return true;
      const top = rel.split(/[\\/]/)[0]!;
      return !NOT_COPIED.has(top) && !/\.sqlite(-\w+)?$/.test(rel);
    },
  });
  symlinkSync(join(REPO, 'node_modules'), join(source, 'node_modules'), 'dir');

  const packed = timed('pack (with build)', () =>
    execFileSync('npm', ['pack', '--json', '--pack-destination', work], {
      cwd: source,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  pack = (JSON.parse(packed.slice(packed.indexOf('['))) as PackResult[])[0]!;

  app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'plimsoll-consumer', private: true, type: 'module' }),
  );
  const compile = process.env.PLIMSOLL_PACK_COMPILE === '1';
  timed('install', () =>
    execFileSync(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        ...(compile ? [] : ['--ignore-scripts']),
        join(work, pack.filename),
      ],
      { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] },
    ),
  );
  if (!compile) {
    const addon = join('node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
    mkdirSync(join(app, addon, '..'), { recursive: true });
    cpSync(join(REPO, addon), join(app, addon));
  }
}, SETUP_TIMEOUT_MS);

afterAll(() => {
  console.log(
    `package: ${pack?.filename} ${((pack?.size ?? 0) / 1e6).toFixed(2)} MB packed, ` +
      `${((pack?.unpackedSize ?? 0) / 1e6).toFixed(2)} MB unpacked, ${pack?.files.length} files; ` +
      `timings (ms) ${JSON.stringify(timings)}`,
  );
  if (work !== undefined && process.env.KEEP_PACK === undefined)
    rmSync(work, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('ships the compiled code, its types, the bin, the data the CLI reads and the license', () => {
    const paths = new Set(pack.files.map((f) => f.path));
    for (const p of [
      'package.json',
      'README.md',
      'LICENSE',
      'bin/plimsoll.js',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/cli/main.js',
      'data/BTCUSD_PERP-1m-2025-10-10.csv',
      'examples/library.js',
      'examples/risk-scenario.json',
    ])
      expect(paths, p).toContain(p);
    for (const sub of ['engine', 'presets', 'portfolio', 'oracle', 'risk', 'store']) {
      expect(paths).toContain(`dist/api/${sub}.js`);
      expect(paths).toContain(`dist/api/${sub}.d.ts`);
    }
  });

  it('ships no TypeScript sources, tests or test kits', () => {
    const leaked = pack.files
      .map((f) => f.path)
      .filter(
        (p) =>
          p.startsWith('src/') ||
          p.startsWith('test/') ||
          /\.test\.|testkit|\.ts$/.test(p.replace(/\.d\.ts$/, '')),
      );
    expect(leaked).toEqual([]);
  });
});

describe('the installed package from plain Node', () => {
  it('imports by name: an engine on a SQLite journal reopens to the same state', () => {
    writeFileSync(
      join(app, 'consumer.mjs'),
      `
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, SqliteJournal, presets, subaccountReport, parseDecimal, EngineRejectedError } from 'plimsoll';

const file = join(mkdtempSync(join(tmpdir(), 'plimsoll-consumer-')), 'j.sqlite');
const journal = SqliteJournal.open(file);
const engine = Engine.create(presets.getPreset('bybit-usdt').config(), { journal });
const market = engine.state.markets.keys().next().value;
const asset = engine.state.settlement.id;
engine.executeOrThrow({ type: 'prices', timeMs: 1, marks: { [market]: '2000' } });
engine.executeOrThrow({ type: 'deposit', to: { account: 'a' }, asset, amount: '500' });
engine.executeOrThrow({ type: 'deposit', to: { account: 'b' }, asset, amount: '500' });
engine.executeOrThrow({ type: 'fill', market, buyer: { account: 'a' }, seller: { account: 'b' }, size: '1', price: '2000' });
const before = engine.stateHash();
let rejected = null;
try { engine.executeOrThrow({ type: 'withdraw', from: { account: 'a' }, asset, amount: '1000000' }); }
catch (e) { rejected = e instanceof EngineRejectedError ? e.rejection.code : String(e); }
const seq = engine.state.seq;
const hash = engine.stateHash();
const report = subaccountReport(engine.state, engine.state.subaccounts.get('a/0'));
journal.close();
const again = SqliteJournal.open(file);
const reopened = Engine.open(again);
console.log(JSON.stringify({
  market, asset, seq, hash, before, reopenedHash: reopened.stateHash(), rejected,
  size: report.cross.positions[0]?.size, events: again.lastSeq(),
  parsed: String(parseDecimal('1.25', 8).ok && parseDecimal('1.25', 8).value),
}));
again.close();
`,
    );
    const r = node('consumer.mjs');
    expect(r.status, r.out).toBe(0);
    const got = JSON.parse(r.out.trim().split('\n').at(-1)!) as Record<string, unknown>;
    console.log(`consumer.mjs printed: ${r.out.trim()}`);
    expect(got.reopenedHash).toBe(got.hash);
    expect(got.hash).toMatch(/^[0-9a-f]{16}$/);
    expect(got.events).toBe(got.seq);
    expect(got.events).toBeGreaterThanOrEqual(4);
    expect(got.rejected).toBe('INSUFFICIENT_BALANCE'); // a typed rejection that changed nothing:
    expect(got.before).toBe(got.hash);
    expect(got.size).toBe('1');
    expect(got.parsed).toBe('125000000');
  });

  it('runs the README library program (examples/library.js) to the figures Binance publishes', () => {
    cpSync(join(REPO, 'examples', 'library.js'), join(app, 'library.js'));
    const r = node('library.js');
    expect(r.status, r.out).toBe(0);
    console.log(`examples/library.js printed:\n${r.out.trim()}`);
    // Binance's isolated/cross formula for one long on the first bracket (MMR 0.4%, cum 0):
    // LP = (WB − size·EP) / (size·MMR − size) = (997 − 6000) / (0.0004 − 0.1) = 50230.9236947791…
    // WB = 1000 − the 0.05% taker fee on 6000 = 997; the engine reports the 1e-8 tick at or below it.
    expect(r.out).toContain('liquidation price 50230.92369479');
    expect(r.out).toContain('equity 997 · IM 48 · MM 24');
    expect(r.out).toContain('withdraw 990: INSUFFICIENT_MARGIN');
    expect(r.out).toMatch(/reopened identical [0-9a-f]{16}/);
  });

  it("runs the README's library snippet as printed", () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## The library'));
    const snippet = /```js\n([\s\S]*?)```/.exec(section)?.[1];
    expect(snippet).toContain("from 'plimsoll'");
    writeFileSync(join(app, 'readme.mjs'), snippet!);
    const r = node('readme.mjs');
    expect(r.status, r.out).toBe(0);
    expect(r.out.trim().split('\n')).toEqual(['INSUFFICIENT_MARGIN', '997 24 50230.92369479', 'true']);
  });

  it('serves every subpath export and nothing outside them', () => {
    writeFileSync(
      join(app, 'subpaths.mjs'),
      `
const names = {
  'plimsoll/engine': ['Engine', 'subaccountReport', 'liquidationPrice', 'stateHash', 'ledgerSums'],
  'plimsoll/presets': ['getPreset', 'PRESETS', 'PRESET_IDS'],
  'plimsoll/portfolio': ['buildRiskMatrix', 'PortfolioFileSchema'],
  'plimsoll/oracle': ['OracleConfigSchema', 'computeIndex', 'observe'],
  'plimsoll/risk': ['RiskBook', 'liquidationProbability', 'rankAccounts'],
  'plimsoll/store': ['SqliteJournal', 'InMemoryJournal', 'JournalSequenceError'],
};
const out = {};
for (const [spec, wanted] of Object.entries(names)) {
  const m = await import(spec);
  out[spec] = wanted.filter((n) => m[n] === undefined);
}
const { Engine } = await import('plimsoll');
const { Engine: Engine2 } = await import('plimsoll/engine');
out.sameEngine = Engine === Engine2;
out.presets = (await import('plimsoll/presets')).PRESET_IDS;
try { await import('plimsoll/dist/core/engine/engine.js'); out.deep = 'importable'; }
catch (e) { out.deep = e.code; }
console.log(JSON.stringify(out));
`,
    );
    const r = node('subpaths.mjs');
    expect(r.status, r.out).toBe(0);
    const got = JSON.parse(r.out.trim()) as Record<string, unknown>;
    for (const spec of ['engine', 'presets', 'portfolio', 'oracle', 'risk', 'store'])
      expect(got[`plimsoll/${spec}`], spec).toEqual([]);
    expect(got.sameEngine).toBe(true);
    expect(got.presets).toEqual(
      expect.arrayContaining(['binance-usdm', 'bybit-usdt', 'dydx-v4', 'drift-v2', 'hyperliquid']),
    );
    expect(got.deep).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });

  it('installs the plimsoll bin, which runs the compiled CLI and finds its data', () => {
    const bin = join(app, 'node_modules', '.bin', 'plimsoll');
    const v = run(bin, ['--version'], app);
    expect(v.status, v.out).toBe(0);
    expect(v.out.trim()).toBe(version);
    const demo = timed('demo', () => run(bin, ['demo', '--accounts', '40'], app));
    expect(demo.status, demo.out).toBe(0);
    expect(demo.out).toMatch(/Conservation\s+✓/);
    expect(demo.out).toMatch(/Replay\s+✓/);
    const risk = run(
      bin,
      ['risk', join(app, 'node_modules', 'plimsoll', 'examples', 'risk-scenario.json'), '--account', 'bob'],
      app,
    );
    expect(risk.status, risk.out).toBe(0);
    expect(risk.out).toContain('"liquidationPrice": "2769.23076929"');
  });

  it('type-checks a TypeScript consumer against the shipped .d.ts', () => {
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: [],
        },
        files: ['consumer.ts'],
      }),
    );
    writeFileSync(
      join(app, 'consumer.ts'),
      `
import { Engine, InMemoryJournal, presets, type SubaccountReport, subaccountReport } from 'plimsoll';
import { getPreset, type PresetId } from 'plimsoll/presets';
import { RiskBook } from 'plimsoll/risk';
import { SqliteJournal } from 'plimsoll/store';

const id: PresetId = 'binance-usdm';
const engine = Engine.create(getPreset(id)!.config(), { journal: new InMemoryJournal() });
const hash: string = engine.stateHash();
const s = engine.state.subaccounts.get('a/0');
const report: SubaccountReport | undefined = s && subaccountReport(engine.state, s);
const ids: readonly string[] = presets.PRESET_IDS;
// @ts-expect-error the types are real, not any: a hash is not a number
const wrong: number = engine.stateHash();
// @ts-expect-error an unknown preset id is not a PresetId
const bad: PresetId = 'no-such-venue';
export { hash, report, ids, wrong, bad, RiskBook, SqliteJournal };
`,
    );
    const tsc = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = timed('tsc consumer', () => run(process.execPath, [tsc, '-p', 'tsconfig.json'], app));
    expect(r.out).toBe('');
    expect(r.status).toBe(0);
    expect(basename(pack.filename)).toBe(`plimsoll-${version}.tgz`);
  });
});
