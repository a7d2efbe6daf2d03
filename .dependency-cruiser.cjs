/* global module -- a CommonJS file: dependency-cruiser reads its configuration with require() */
/**
 * Imports run one way (issue 14, part 5). test/infra/imports.test.ts runs these rules over
 * shared/, functions/, bench/ and migrations/ and fails on any violation.
 *
 * The layers, lowest first:
 *   shared/domain      types and pure rules of F1 forecasting: imports nothing of the project
 *   shared/repository  the database, in domain types: no lifecycle, features, ingest, models,
 *                      training, pits, api, http, app, cli, scheduler, dashboard
 *   shared/evaluation  the one scorer: models, training and the lifecycle use it; it reads
 *                      domain types only
 *   shared/lifecycle   predict / freeze / sync / evaluate: no ingest, models, training or
 *                      edge code (api, http, app, cli, scheduler)
 *   functions/         the deployed entry points: nothing in shared/ or bench/ imports them
 */

/** Higher layers the repository may not import. */
const ABOVE_REPOSITORY = [
  'lifecycle', 'features', 'ingest', 'models', 'training', 'pits', 'api', 'http', 'app',
  'cli', 'scheduler', 'dashboard', 'evaluation',
];

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle means two modules are one module in two files: cut it by moving the shared part down.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'domain-imports-nothing',
      severity: 'error',
      comment: 'shared/domain holds the domain types and pure rules; it may import only itself, node built-ins and zod.',
      from: { path: '^shared/domain/' },
      to: {
        pathNot: ['^shared/domain/', '^node_modules/zod/'],
        dependencyTypesNot: ['core'],
      },
    },
    {
      name: 'repository-below-the-features',
      severity: 'error',
      comment: 'The repository stores domain types; the code that uses it sits above it, not beside it.',
      from: { path: '^shared/repository/' },
      to: { path: `^shared/(${ABOVE_REPOSITORY.join('|')})/` },
    },
    {
      name: 'evaluation-is-the-scorer',
      severity: 'error',
      comment:
        'shared/evaluation is the one scorer (metrics, bootstrap, score-race) that models, training, the backtest and the live evaluation call: it reads domain types only, never the models or training it scores (the backtest, which trains, lives in shared/training).',
      from: { path: '^shared/evaluation/' },
      to: { path: '^shared/', pathNot: '^shared/(evaluation|domain)/' },
    },
    {
      name: 'lifecycle-not-ingest',
      severity: 'error',
      comment:
        'The forecast lifecycle (predict, freeze, sync, evaluate) runs on stored data through ports; ingestion (the Jolpica results source among it) and the edges (api, http, app, cli, scheduler) plug into it, not the other way round.',
      from: { path: '^shared/lifecycle/' },
      to: { path: '^shared/(ingest|api|http|app|cli|scheduler|models|training|pits)/' },
    },
    {
      name: 'nothing-imports-functions',
      severity: 'error',
      comment: 'functions/ is the composition edge: shared/, bench/ and migrations/ may not import it.',
      from: { path: '^(shared|bench|migrations)/' },
      to: { path: '^functions/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.json'],
    },
  },
};
