// Shared jest settings for every project and tier. Tests run TypeScript through swc (fast, no
// type-check: `nx typecheck` does that) with decorator metadata on, as NestJS needs it.
const path = require('node:path');

const swcTransform = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

const testFilePatterns = {
  unit: ['<rootDir>/src/**/*.spec.ts'],
  integration: ['<rootDir>/src/**/*.integration-spec.ts'],
  e2e: ['<rootDir>/**/*.e2e-spec.ts'],
};

/**
 * @param {string} projectDir absolute directory of the project (pass __dirname)
 * @param {'unit' | 'integration' | 'e2e'} tier
 */
function jestConfig(projectDir, tier) {
  const name = path.relative(__dirname, projectDir);
  return {
    displayName: tier === 'unit' ? name : `${name} (${tier})`,
    rootDir: projectDir,
    // Tiers that run native TensorFlow share the main realm's typed arrays with it: see the file.
    testEnvironment: tier === 'unit' ? 'node' : path.join(__dirname, 'jest-native-realm-environment.cjs'),
    testMatch: testFilePatterns[tier],
    resolver: '@nx/jest/plugins/resolver',
    moduleFileExtensions: ['ts', 'js', 'cjs', 'json'],
    transform: { '^.+\\.ts$': swcTransform },
    // Tiers that talk to real engines get generous timeouts; unit tests must stay fast.
    testTimeout: tier === 'unit' ? 10_000 : 120_000,
    ...(tier === 'unit' ? {} : { maxWorkers: 1 }),
    errorOnDeprecated: true,
  };
}

module.exports = { jestConfig };
