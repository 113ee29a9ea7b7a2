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

/**
 * NestJS 12 ships as ES modules only. Node loads them from CommonJS (require(esm), Node 20.19+),
 * but jest's module runtime does not before Node 24.9, so jest compiles them to CommonJS too.
 */
const ESM_ONLY_PACKAGES = ['@nestjs', 'file-type', 'strtok3', 'token-types', 'peek-readable', '@tokenizer', 'uint8array-extras', 'cookie', 'content-disposition'];

const swcEsmTransform = [
  '@swc/jest',
  {
    jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' },
    module: { type: 'commonjs' },
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
    transform: { '^.+\\.ts$': swcTransform, '^.+\\.js$': swcEsmTransform },
    transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY_PACKAGES.join('|')})/)`],
    // Tiers that talk to real engines get generous timeouts; unit tests must stay fast.
    testTimeout: tier === 'unit' ? 10_000 : 120_000,
    ...(tier === 'unit' ? {} : { maxWorkers: 1 }),
    errorOnDeprecated: true,
  };
}

module.exports = { jestConfig };
