/** Jest runs TypeScript as CommonJS through ts-jest; Node's require(esm) loads the ESM-only Nest 12
 *  packages (needs NODE_OPTIONS=--experimental-vm-modules, set by `npm test`). */
const aliases = [
  'config',
  'errors',
  'persistence',
  'code-store',
  'runtime',
  'hot-reload',
  'cluster',
  'telemetry',
  'health',
  'integrations',
  'errors',
  'jobs',
];
module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  testMatch: [
    '<rootDir>/libs/**/*.spec.ts',
    '<rootDir>/apps/**/*.spec.ts',
    '<rootDir>/apps/**/*.e2e-spec.ts',
    '<rootDir>/apps/**/*.medium-spec.ts',
  ],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    ...Object.fromEntries(aliases.map((a) => [`^@seed/${a}$`, `<rootDir>/libs/${a}/src/index.ts`])),
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testTimeout: 60000,
  // `--coverage` (the release:baseline gate) measures every source file, tested or not.
  collectCoverageFrom: [
    '<rootDir>/libs/**/src/**/*.ts',
    '<rootDir>/apps/seed-agent/src/**/*.ts',
    '!**/*.spec.ts',
    '!**/*.e2e-spec.ts',
  ],
};
