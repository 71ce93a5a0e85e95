import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Only src/main.ts reads process.env; pass config down.' }],
      'no-eval': 'error',
      'no-new-func': 'error',
    },
  },
  { files: ['src/main.ts', 'bench/**', 'test/**', '*.config.*'], rules: { 'no-restricted-properties': 'off' } },
);
