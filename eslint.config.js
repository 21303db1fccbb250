import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['node_modules', 'dist', 'data', 'coverage', 'migrations', '.tmp'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'always'],
      'no-console': 'off',
    },
  },
  // Modules own their tables: a module's repository is the only code that queries its tables,
  // and other modules go through its service (or an interface it declares). So no module
  // imports another module's schema or repository, nor the whole schema.
  {
    files: ['src/modules/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: moduleBoundary() }] },
  },
  {
    // Foreign keys to `users` are a relation between tables, not a query of them.
    files: ['src/modules/*/schema.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: moduleBoundary({ allow: 'account/schema' }) }],
    },
  },
  {
    // The admin user directory is a read model over `users` and `user_roles`: its searches and
    // role filters are single statements tuned on both tables' indexes (bench:admin), which an
    // owner's read interface would have to split. It reads the tables, never writes them, and
    // is the only exception.
    files: ['src/modules/admin/user-directory.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: moduleBoundary({ allow: '(account|rbac)/schema' }) },
      ],
    },
  },
  {
    // Tests read arbitrary JSON bodies.
    files: ['test/**/*.ts', 'src/**/*.test.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);

/** `../<module>/schema|repository` and `adapters/db/schema`, but what `allow` names. */
function moduleBoundary({ allow } = {}) {
  const except = allow ? `(?!${allow}(\\.js)?$)` : '';
  return [
    {
      regex: `^\\.\\./${except}[^/]+/(schema|repository)(\\.js)?$`,
      message:
        "Another module's tables are its own: call its service, or a read interface it declares.",
    },
    {
      regex: 'adapters/db/schema(\\.js)?$',
      message: "Import your module's ./schema.js; other modules' tables are not yours to query.",
    },
  ];
}
