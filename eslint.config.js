// One lint config for the whole tree. The layering rules below are the
// machine-checked form of HOUSE-STYLE habit 1: layers import downward only.
//
//   protocol  <-  platform  <-  main core  <-  main/electron
//                          <-  server
//                          <-  console
//   protocol  <-  preload, renderer
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

const layer = (name, forbiddenPatterns, forbiddenPaths = []) => ({
  name,
  rules: {
    'no-restricted-imports': [
      'error',
      {
        paths: forbiddenPaths,
        patterns: forbiddenPatterns,
      },
    ],
  },
});

const noElectron = {
  group: ['electron', 'electron/*'],
  message: 'electron is imported only in main/electron/** and preload/**.',
};
const noMainElectron = {
  group: ['**/main/electron/**', '**/electron/**'],
  message: 'Nothing imports main/electron.',
};
const up = (folders) => ({
  group: folders.flatMap((f) => [`**/${f}/**`, `**/${f}`]),
  message: `This layer may not import ${folders.join(', ')} (layers import downward only).`,
});

export default tseslint.config(
  {
    ignores: ['node_modules/**', 'out/**', 'dist/**', 'coverage/**', 'test/e2e/screenshots/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ExportDefaultDeclaration',
          message: 'Named exports only (HOUSE-STYLE habit 7).',
        },
      ],
    },
  },
  {
    files: [
      '*.config.js',
      '*.config.ts',
      'electron.vite.config.ts',
      'eslint.config.js',
      'vitest.config.ts',
    ],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['bin/**/*.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['protocol/**'],
    ...layer(
      'protocol is pure: schemas and constants only',
      [noElectron, up(['platform', 'main', 'server', 'console', 'renderer', 'preload'])],
      nodeBuiltins.map((name) => ({
        name,
        message: 'protocol/ is isomorphic: no Node built-ins (the renderer imports it).',
      })),
    ),
  },
  {
    files: ['platform/**'],
    ...layer('platform', [noElectron, up(['main', 'server', 'console', 'renderer', 'preload'])]),
  },
  {
    files: ['main/**'],
    ignores: ['main/electron/**'],
    ...layer('main core', [
      noElectron,
      noMainElectron,
      up(['server', 'console', 'renderer', 'preload']),
    ]),
  },
  {
    files: ['main/electron/**'],
    ...layer('main/electron', [up(['server', 'console', 'renderer', 'preload'])]),
  },
  // Only the consent engine mints grants (issue 3: no handler runs without a
  // genuine grant). These repeat each layer's patterns, because a later
  // no-restricted-imports entry replaces an earlier one.
  ...(() => {
    const noGrantMint = {
      group: ['**/grant-mint', '**/grant-mint.ts', './grant-mint', './grant-mint.ts'],
      message:
        'Grants are minted by main/consent/consent-engine.ts only; import Grant from grant.ts.',
    };
    const mintOwners = ['main/consent/consent-engine.ts', 'main/consent/grant.ts'];
    return [
      {
        files: ['main/**'],
        ignores: ['main/electron/**', ...mintOwners],
        ...layer('main core: grant minting', [
          noElectron,
          noMainElectron,
          up(['server', 'console', 'renderer', 'preload']),
          noGrantMint,
        ]),
      },
      {
        files: ['main/electron/**'],
        ...layer('main/electron: grant minting', [
          up(['server', 'console', 'renderer', 'preload']),
          noGrantMint,
        ]),
      },
      {
        files: ['test/**', 'bench/**'],
        ...layer('tests: grant minting', [noGrantMint]),
      },
    ];
  })(),
  {
    files: ['server/**'],
    ...layer('server', [noElectron, up(['main', 'console', 'renderer', 'preload'])]),
  },
  {
    files: ['console/**'],
    ...layer('console', [noElectron, up(['main', 'server', 'renderer', 'preload'])]),
  },
  {
    files: ['preload/**'],
    ...layer('preload', [up(['platform', 'main', 'server', 'console', 'renderer'])]),
  },
  {
    files: ['renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    ...layer(
      'renderer',
      [
        noElectron,
        up(['platform', 'main', 'server', 'console', 'preload']),
        { group: ['ws'], message: 'No ws in the renderer.' },
      ],
      nodeBuiltins.map((name) => ({ name, message: 'The renderer never reaches Node APIs.' })),
    ),
  },
);
