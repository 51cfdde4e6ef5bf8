// One lint configuration for the whole workspace: typescript-eslint's recommended rules on the
// sources, tests and scripts; build outputs, generated files and the AssemblyScript kernels
// (a TypeScript dialect with its own types) are left out.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/build/**', '**/node_modules/**', '**/.turbo/**', 'runs/**', 'packages/wasm-kernels/assembly/**', 'apps/demo/public/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
    },
  },
);
