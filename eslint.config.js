// Flat config: typescript-eslint's recommended rules WITH type information (the type-checked set) over the sources,
// tests, bench and scripts, typed by tsconfig.test.json (which covers all of them). Plain .js/.mjs files get the
// rules that need no types. Anything narrowed below says why.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'test/fixtures/**', 'test/golden/**', '.ci-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: ['./tsconfig.test.json'], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // `async` without `await` is how a function promises to report failures as rejections (Transport methods,
      // injected test doubles); the rule would have them rewritten into Promise.resolve() wrappers.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Python values (PyValue) and YAML nodes: their keys are stringified on purpose, as Python's str() does.
    files: ['src/pycompat/**/*.ts', 'src/config/yaml11.ts', 'src/config/dcos-health-checks.ts', 'src/config/schema.ts'],
    rules: { '@typescript-eslint/no-base-to-string': 'off' },
  },
  {
    // Tests read JSON output (JSON.parse is `any`) and assert on its shape; the assertion is the type check.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  {
    // Plain Node scripts (scripts/*.mjs, the lab's delay proxy): Node's globals.
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
  },
);
