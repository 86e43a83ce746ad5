// The import rules of README "Code rules" and docs/adding-a-capability.md, checked by
// `npm run lint:deps` (part of `npm test`). Each rule is data: a `from` and a `to` pattern over
// repository paths. test/unit/platform/dependency-rules.test.ts proves that every rule still fails
// on an import that breaks it, so none can quietly match nothing.
//
// A capability is a folder directly under lambdas/ (approval, audit, ledger, ...). lambdas/domain/
// (pure rules) and lambdas/shared/ (HTTP, store, events, config) are layers, not capabilities: any
// capability may import them. A capability's face is lambdas/<cap>/index.ts.

/** A capability's own folder; $1 in a `to` pattern is the capability the import starts from. */
const CAPABILITY = '^lambdas/(?!domain/|shared/)([^/]+)/';
const LAYERS = '^lambdas/(domain|shared)/';
const FACE = '^lambdas/[^/]+/index\\.ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-no-aws',
      comment: 'The domain (lambdas/domain) is pure TypeScript: no AWS SDK.',
      severity: 'error',
      from: { path: '^lambdas/domain/' },
      to: { path: '(^|/)node_modules/@aws-sdk/' },
    },
    {
      name: 'domain-no-fs',
      comment: 'The domain reads no files: adapters that do (lambdas/audit/fs-source.ts) live outside it.',
      severity: 'error',
      from: { path: '^lambdas/domain/' },
      to: { dependencyTypes: ['core'], path: '^(node:)?fs(/promises)?$' },
    },
    {
      name: 'domain-only-domain',
      comment: 'The domain imports only the domain (and npm packages): never a handler, a store, shared code, lib/.',
      severity: 'error',
      from: { path: '^lambdas/domain/' },
      to: { path: '^(lambdas|lib|local|bench|test|scripts|bin|tools)/', pathNot: '^lambdas/domain/' },
    },
    {
      name: 'shared-no-capability',
      comment: 'lambdas/shared imports no capability: only itself and the domain.',
      severity: 'error',
      from: { path: '^lambdas/shared/' },
      to: { path: '^lambdas/', pathNot: LAYERS },
    },
    {
      name: 'capability-face-only',
      comment: 'A capability imports another only through its face, lambdas/<other>/index.ts: never its store, service, views.',
      severity: 'error',
      from: { path: CAPABILITY },
      to: { path: '^lambdas/[^/]+/', pathNot: ['^lambdas/$1/', LAYERS, FACE] },
    },
    {
      name: 'catalog-route-specs-only',
      comment: 'lambdas/api-catalog.ts collects the route specs (api.ts) of every capability, and nothing else of them.',
      severity: 'error',
      from: { path: '^lambdas/api-catalog\\.ts$' },
      to: { path: '^lambdas/[^/]+/', pathNot: [LAYERS, FACE, '/[a-z-]*api\\.ts$'] },
    },
    {
      name: 'runtime-not-infra',
      comment: 'The Lambdas never import the CDK app (lib/); lib/ may import route specs and the domain.',
      severity: 'error',
      from: { path: '^lambdas/' },
      to: { path: '^lib/' },
    },
    {
      name: 'product-not-local-or-bench',
      comment: 'The product (lib/, lambdas/) never imports the local runtime (local/) or benchmarks (bench/).',
      severity: 'error',
      from: { path: '^(lib|lambdas)/' },
      to: { path: '^(local|bench)/' },
    },
    {
      name: 'no-circular',
      comment: 'No import cycles, type-only imports included, inside a capability too.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Not node_modules: an excluded module drops the imports of it too (then no rule could see @aws-sdk).
    exclude: { path: '(^|/)(cdk\\.out|\\.kairr|\\.slurm)/' },
    // Type-only imports count: a type from lib/ in a Lambda is the coupling the rules forbid.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'] },
    cache: false,
  },
};
