// The package's own tests (npm test -w @kairr/cdk-local, or the root's `local` project): the
// services one by one, and a small example CDK app synthesized and run through startCdkLocal.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

module.exports = {
  displayName: 'local',
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false, tsconfig: `${__dirname}/tsconfig.json` }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 180000,
};
