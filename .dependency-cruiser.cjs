/**
 * Dependency rules for Plimsoll, checked by `npm run depcheck` (part of `npm run check` and CI).
 *
 * Dependencies point one way: core ← riskbook, analytics ← store ← sim, server ← cli.
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
  { name: 'cli', path: '^src/cli/' },
];
/** Layers on the same level (neither may import the other). */
const peers = [['riskbook', 'analytics'], ['sim', 'server']];
const rank = (name) => {
  const level = { core: 0, riskbook: 1, analytics: 1, store: 2, sim: 3, server: 3, cli: 4 };
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
    {
      name: 'core-below-the-engine',
      comment:
        'Inside core, the engine sits on the math: account figures, liquidation math, margin, collateral, pricing, portfolio, oracle and the model (config and state shapes) do not import the engine, the presets or the calculator built on it.',
      severity: 'error',
      from: {
        path: '^src/core/(num|model|pricing|margin|collateral|oracle|portfolio|account|liquidation)/',
        pathNot: '[.]test[.]ts$',
      },
      to: { path: '^src/core/(engine|presets|calculator)/' },
    },
    {
      name: 'core-figures-below-liquidation',
      comment: 'Account figures are read by liquidation, never the other way round.',
      severity: 'error',
      from: { path: '^src/core/(num|model|pricing|margin|collateral|oracle|portfolio|account)/' },
      to: { path: '^src/core/liquidation/' },
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
