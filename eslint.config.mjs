// Lint configuration (ESLint flat config with typescript-eslint): `npm run lint`, run by CI.
import eslint from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'build/', 'docs/'] },
  eslint.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      // routing-controllers types controller classes as `Function` (`controllers: Function[]`, metadata `target`);
      // drum-otel takes and inspects the same values, so it uses the same type.
      '@typescript-eslint/no-unsafe-function-type': 'off',
      // Express tells error handlers by their four parameters; `_` marks the ones a handler must declare unused.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
