import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'test-artifacts/', 'bench/out/', 'terraform/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // process.env is read at the edges only (CLI main, function entry, test settings).
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'read configuration through parseConfig at the edge' },
      ],
    },
  },
  {
    // The dashboard's browser script: browser globals, and Vega/Vega-Lite from their own <script> tags.
    files: ['shared/dashboard/assets/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        ['window', 'document', 'fetch', 'location', 'history', 'URLSearchParams', 'vega', 'vegaLite'].map((g) => [g, 'readonly']),
      ),
    },
  },
  {
    files: ['shared/cli/main.ts', 'functions/**/index.ts', 'functions/context.ts', 'test/**', 'bench/**', 'vitest.config.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
);
