/** Jest runs TypeScript as CommonJS through ts-jest; Node's require(esm) loads the ESM-only Nest 12
 *  packages (needs NODE_OPTIONS=--experimental-vm-modules, set by the npm scripts).
 *
 *  Three depths, one project each (ARCHITECTURE.md, CONVENTIONS.md "Tests at three depths"):
 *  - unit   `*.spec.ts`: pure and in-process, no PostgreSQL, Redis or app boot (`npm run test:unit`)
 *  - medium `*.medium-spec.ts`: one service against real PostgreSQL or Redis, no HTTP, no app boot
 *  - e2e    `*.e2e-spec.ts`: the running app
 *  `npm test` runs all three. */
const aliases = [
  'config',
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
  'agent',
  'rollout',
  'capabilities',
];

const shared = {
  rootDir: '.',
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    ...Object.fromEntries(aliases.map((a) => [`^@seed/${a}$`, `<rootDir>/libs/${a}/src/index.ts`])),
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testTimeout: 60000,
};

const depth = (name, suffix) => ({
  ...shared,
  displayName: name,
  testMatch: [`<rootDir>/libs/**/*${suffix}`, `<rootDir>/apps/**/*${suffix}`],
});

module.exports = {
  testTimeout: 60000,
  projects: [depth('unit', '.spec.ts'), depth('medium', '.medium-spec.ts'), depth('e2e', '.e2e-spec.ts')],
  // `--coverage` (the release:baseline gate) measures every source file, tested or not.
  collectCoverageFrom: [
    '<rootDir>/libs/**/src/**/*.ts',
    '<rootDir>/apps/seed-agent/src/**/*.ts',
    '!**/*.spec.ts',
    '!**/*.medium-spec.ts',
    '!**/*.e2e-spec.ts',
  ],
};
