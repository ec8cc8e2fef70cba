/**
 * Dependency rules for Plimsoll, checked by `npm run depcheck` (part of `npm run check` and CI).
 *
 * Dependencies point one way: core ← riskbook, analytics ← store ← sim, server, trader ← cli.
 * `src/core` is the exact engine and imports nothing outside itself; no module in `src` may
 * import itself back through a chain of others (no circles), tests included. Type-only
 * imports count: a circle through types still ties the modules together. Inside core the
 * engine (and the presets and calculator that build one) sits on the math, never under it.
 */
/** A layer may not import any layer listed after it. */
const layers = [
  { name: 'core', path: '^src/core/' },
  { name: 'riskbook', path: '^src/riskbook/' },
  { name: 'analytics', path: '^src/analytics/' },
  { name: 'store', path: '^src/store/' },
  { name: 'sim', path: '^src/sim/' },
  { name: 'server', path: '^src/server/' },
  { name: 'trader', path: '^src/trader/' },
  { name: 'cluster', path: '^src/cluster/' },
  { name: 'cli', path: '^src/cli/' },
];
/** Layers on the same level (neither may import the other). */
const peers = [
  ['riskbook', 'analytics'],
  ['sim', 'server'],
  ['sim', 'trader'],
  ['server', 'trader'],
  // the cluster spreads the engine over partitions: it may reuse the server's parts, never sim or trader
  ['cluster', 'sim'],
  ['cluster', 'trader'],
];
const rank = (name) => {
  const level = { core: 0, riskbook: 1, analytics: 1, store: 2, sim: 3, server: 3, trader: 3, cluster: 3.5, cli: 4 };
  return level[name];
};

const upward = layers.flatMap((from) => {
  const above = layers.filter((to) => rank(to.name) > rank(from.name));
  const sameLevel = peers
    .filter((pair) => pair.includes(from.name))
    .map((pair) => pair.find((n) => n !== from.name))
    .map((n) => layers.find((l) => l.name === n));
  const forbidden = [...above, ...sameLevel];
  if (forbidden.length === 0) return [];
  return [
    {
      name: `${from.name}-imports-upward`,
      comment: `${from.name} may not import ${forbidden.map((l) => l.name).join(', ')} (dependencies point one way: core ← riskbook, analytics ← store ← sim, server ← cli)`,
      severity: 'error',
      from: { path: from.path },
      to: { path: forbidden.map((l) => l.path) },
    },
  ];
});

/**
 * Inside core, folders on a level may import only lower levels: numbers, then pricing, then the
 * portfolio and oracle math, the model (configuration and state shapes), margin, collateral, the
 * account figures, the liquidation math (decisions, plans and the exact scan), the engine (with its
 * liquidation steps), then the keeper loop that drives an engine, and on top the
 * presets and the calculator that build engines (and the test references). Tests are exempt
 * (a figures test may build an engine), but not from the circle rule.
 */
const coreLevels = [
  ['num'],
  ['pricing'],
  ['portfolio', 'oracle'],
  ['model'],
  ['margin'],
  ['collateral'],
  ['account'],
  ['liquidation'],
  ['engine'],
  ['presets', 'keeper'],
  ['calculator', 'reference'],
];
const coreInside = coreLevels.flatMap((level, i) => {
  const higher = coreLevels.slice(i + 1).flat();
  const peers = level.length > 1 ? level : [];
  return level.map((folder) => {
    const forbidden = [...higher, ...peers.filter((p) => p !== folder)];
    return {
      name: `core-${folder}-imports-upward`,
      comment: `core/${folder} may not import core/${forbidden.join(', core/')} (inside core, dependencies point down: ${coreLevels.map((l) => l.join('/')).join(' ← ')})`,
      severity: 'error',
      from: { path: `^src/core/${folder}/`, pathNot: '[.](test|testkit)[.]ts$' },
      to: { path: forbidden.map((f) => `^src/core/${f}/`) },
    };
  });
}).filter((r) => r.to.path.length > 0);

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import circle ties modules together: move the shared part to a lower module.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'core-is-self-contained',
      comment: 'src/core imports nothing outside itself (node built-ins and packages aside).',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: '^src/', pathNot: '^src/core/' },
    },
    {
      name: 'only-tests-read-test-data',
      comment: 'Production code does not import from test/ (published vectors and test helpers are for tests).',
      severity: 'error',
      from: { path: '^src/', pathNot: '[.](test|testkit)[.]ts$' },
      to: { path: '^test/' },
    },
    ...coreInside,
    {
      name: 'dashboard-talks-to-the-api-only',
      comment:
        'src/dashboard is the browser console: it reads the engine only through the HTTP API and the event stream, never by importing the engine or the server.',
      severity: 'error',
      from: { path: '^src/dashboard/' },
      to: { path: '^src/', pathNot: '^src/dashboard/' },
    },
    {
      name: 'nothing-imports-the-dashboard',
      comment: 'The console is built by vite into dist/dashboard and served as files; no module imports it.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/dashboard/' },
      to: { path: '^src/dashboard/' },
    },
    {
      name: 'reference-is-for-tests',
      comment:
        'src/core/reference holds venue formulas re-implemented as test references: only tests (and other references) import them.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['[.](test|testkit)[.]ts$', '^src/core/reference/'] },
      to: { path: '^src/core/reference/' },
    },
    ...upward,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/.*/testdata/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
