// NestJS 12 is ESM-only and the tests run as CommonJS, so @swc/jest also transforms
// node_modules/@nestjs into CommonJS (transformIgnorePatterns below).
const swc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
  },
  module: { type: 'commonjs' },
};

module.exports = {
  // Node's environment, flagging a failed test so an e2e cluster prints its services' last log lines.
  testEnvironment: '<rootDir>/test/support/failure-flag-environment.ts',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.spec.ts'],
  transform: { '^.+\\.(t|j)s$': ['@swc/jest', swc] },
  transformIgnorePatterns: ['/node_modules/(?!@nestjs/)'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  // Integration suites share one machine: they start real servers, so they run one file at a time.
  maxWorkers: 1,
  testTimeout: 60000,
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
};
