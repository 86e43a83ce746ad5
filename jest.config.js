// Six jest projects, all run by `npm test` (the "test" script in package.json):
//   unit   - domain logic and handlers in-process, against DynamoDB Local where they store data
//   infra  - CDK assertions and cdk-nag on the synthesized template
//   e2e    - HTTP against a running KAIRR (the local runtime by default, or KAIRR_API_URL)
//   local  - the local runtime package's own tests (local/jest.config.js; @kairr/cdk-local)
//   cli    - the kairr command line's own tests (cli/test): parsing, output, credentials, login flows in-process
//   slurm  - connector suite against the real local Slurm clusters (scripts/slurm/start.sh); run
//            on its own and in band (`npm test` does): some of its tests stop and restart slurmrestd
// Type checking is `npm run typecheck` (part of `npm test`); ts-jest only transpiles (tsconfig has isolatedModules).
// The machine runs Node 20 (Lambda runs 24); the SDK's notice about its future Node 22 floor is known.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const tsJest = ['ts-jest', { diagnostics: false }];
const base = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': tsJest },
  moduleFileExtensions: ['ts', 'js', 'json'],
};
module.exports = {
  // Two cores: run two test files at a time.
  maxWorkers: 2,
  // An upper bound so a hung test fails instead of blocking CI; never a performance assertion.
  testTimeout: 180000,
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'], globalSetup: '<rootDir>/test/support/dynamo-global-setup.ts', globalTeardown: '<rootDir>/test/support/dynamo-global-teardown.ts' },
    { ...base, displayName: 'infra', testMatch: ['<rootDir>/test/infra/**/*.test.ts'] },
    { ...base, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'], globalSetup: '<rootDir>/test/e2e/support/global-setup.ts', globalTeardown: '<rootDir>/test/e2e/support/global-teardown.ts' },
    { ...base, displayName: 'cli', testMatch: ['<rootDir>/cli/test/**/*.test.ts'] },
    // ---- local runtime package ----
    '<rootDir>/local/jest.config.js',
    // ---- end local runtime package ----
    { ...base, displayName: 'slurm', testMatch: ['<rootDir>/test/slurm/**/*.test.ts'], globalSetup: '<rootDir>/test/slurm/support/global-setup.ts' },
  ],
};
