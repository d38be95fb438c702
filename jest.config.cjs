/**
 * jest for the lab extension's model logic (labextension/src/model): selection state,
 * time window, bins and spill-over, profile comparison, formatting. Pure TypeScript, so
 * the specs run in node without a browser: `jlpm test` (or `npx jest`).
 */
module.exports = {
  testEnvironment: 'node',
  rootDir: __dirname,
  roots: ['<rootDir>/labextension'],
  testMatch: ['<rootDir>/labextension/test/**/*.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/lib/'],
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: '<rootDir>/labextension/test/tsconfig.json' }]
  },
  moduleFileExtensions: ['ts', 'tsx', 'js', 'json']
};
