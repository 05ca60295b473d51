// Lint: typescript-eslint's recommended rules plus the layer rule of DESIGN.md §1:
// L0/L1 code (everything in src/ but src/node and src/cli) never touches Node I/O, timers or clocks.
// The pure part of the CLI, src/cli/tui (live view model, keys, tap tempo, status text), is held
// to the same rule and may not import the rest of src/cli (test/layers.test.ts checks both too).
import tseslint from 'typescript-eslint';

const l0l1 = ['src/**/*.ts'];
const ioFree = {
  'no-restricted-imports': ['error', {
    patterns: [
      { group: ['node:*', 'fs', 'net', 'dgram', 'os', 'child_process', 'worker_threads', 'ws'], message: 'L0/L1 code must not import I/O modules (DESIGN.md §1); receive a Runtime instead.' },
      { group: ['**/node/*', '**/cli/*'], message: 'imports point down only: L0/L1 must not import src/node or src/cli.' },
    ],
  }],
  'no-restricted-globals': ['error',
    { name: 'setTimeout', message: 'use the injected Timers (DESIGN.md §3)' },
    { name: 'setInterval', message: 'use the injected Timers (DESIGN.md §3)' },
    { name: 'setImmediate', message: 'use the injected Timers' },
    { name: 'performance', message: 'use the injected Clock' },
    { name: 'process', message: 'L0/L1 code never reads process' },
  ],
  'no-restricted-properties': ['error', { object: 'Date', property: 'now', message: 'use the injected Clock' }],
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test/interop/build/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  // src/index.ts is the package's composition root: it hands out Link on the Node runtime.
  { files: l0l1, ignores: ['src/node/**', 'src/cli/**', 'src/index.ts', 'src/**/*.test.ts'], rules: ioFree },
  {
    files: ['src/cli/tui/**/*.ts'],
    ignores: ['src/**/*.test.ts'],
    rules: {
      ...ioFree,
      'no-restricted-imports': ['error', {
        patterns: [
          ...ioFree['no-restricted-imports'][1].patterns,
          { regex: '^\\.\\./(?!\\.\\./)', message: 'src/cli/tui is pure: it must not import the rest of src/cli (L3).' },
        ],
      }],
    },
  },
);
