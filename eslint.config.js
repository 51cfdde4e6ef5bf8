// One lint configuration for the whole workspace: typescript-eslint's recommended rules on the
// sources, tests and scripts; build outputs, generated files and the AssemblyScript kernels
// (a TypeScript dialect with its own types) are left out.
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/build/**', '**/node_modules/**', '**/.turbo/**', 'runs/**', 'packages/*/assembly/**', 'apps/demo/public/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
    },
  },
  {
    // No import cycles between modules of a package (packages themselves form a graph pnpm checks).
    files: ['packages/*/src/**/*.ts', 'apps/*/src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: { 'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] }, 'import-x/resolver-next': [createTypeScriptImportResolver({ project: ['packages/*/tsconfig.json', 'apps/*/tsconfig.json'], noWarnOnMultipleProjects: true })] },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  {
    // Promises are awaited, returned or explicitly voided: a forgotten one loses its error.
    // Type-aware, so only where each package's tsconfig covers the file.
    files: ['packages/*/src/**/*.ts', 'apps/*/src/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: { '@typescript-eslint/no-floating-promises': 'error', '@typescript-eslint/no-misused-promises': 'error' },
  },
  {
    // Every error a caller can fix is its package's error class (the CLI prints those as one line);
    // a bare Error would reach the user as an "internal error" with a stack trace.
    files: ['packages/*/src/**/*.ts', 'apps/*/src/**/*.ts'],
    ignores: ['**/*.test.ts', 'packages/test-utils/**'],
    rules: {
      'no-restricted-syntax': ['error', {
        selector: "NewExpression[callee.name=/^(Error|RangeError|TypeError|SyntaxError)$/], CallExpression[callee.name=/^(Error|RangeError|TypeError|SyntaxError)$/]",
        message: "Throw this package's error class (ModelError, TrainError, LayersError, ...) with a code, not a built-in Error.",
      }],
    },
  },
);
