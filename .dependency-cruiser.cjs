/**
 * The layering of the repository (docs/architecture.md, "Layout"), checked in CI:
 * `npm run check:structure`. Paths are the resolved source paths of the workspaces.
 */
const pkg = (name) => `^packages/${name}/`;
const flows = '^packages/(calls|orders|leads)/';

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'A cycle between modules makes both impossible to change alone.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'apps-never-import-apps',
      severity: 'error',
      comment: 'An app is a composition root; what two apps share belongs in a package.',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/([^/]+)/', pathNot: '^apps/$1/' },
    },
    {
      name: 'packages-never-import-apps',
      severity: 'error',
      from: { path: '^packages/' },
      to: { path: '^apps/' },
    },
    {
      name: 'api-clients-never-import-config',
      severity: 'error',
      comment:
        'A client defines its own options; the roles map the configuration onto them (packages/roles/src/options.ts).',
      from: { path: '^packages/(calltouch|mcn|http|limiter|recordings)/src/' },
      to: { path: [pkg('config'), pkg('roles'), pkg('queue'), pkg('calltouch-delivery'), flows] },
    },
    {
      name: 'queue-knows-no-flow',
      severity: 'error',
      comment: 'Generic queue mechanics: a flow plugs in through FlowDefinition.',
      from: { path: '^packages/queue/src/' },
      to: {
        path: [
          flows,
          pkg('config'),
          pkg('roles'),
          pkg('calltouch'),
          pkg('calltouch-delivery'),
          pkg('mcn'),
        ],
      },
    },
    {
      name: 'flows-stay-apart',
      severity: 'error',
      comment: 'A flow never reaches into another flow, the configuration or the roles.',
      from: { path: '^packages/(calls|orders|leads)/src/' },
      to: {
        path: [flows, pkg('config'), pkg('roles'), pkg('board')],
        pathNot: '^packages/$1/',
      },
    },
    {
      name: 'runtime-knows-no-role',
      severity: 'error',
      from: { path: '^packages/runtime/src/' },
      to: { path: [flows, pkg('roles'), pkg('calltouch'), pkg('mcn'), pkg('queue')] },
    },
    {
      name: 'only-tests-use-testing',
      severity: 'error',
      comment: '@touchline/testing is for tests and benchmarks, never for what ships.',
      from: { path: '^(packages|apps/cli)/[^/]+/src/', pathNot: '^packages/testing/' },
      to: { path: pkg('testing') },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['node_modules', '\\.turbo', 'dist'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.depcruise.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
