import { defineConfig } from 'vitest/config';

/**
 * Two projects run the same suites: `pglite` always (no services needed), `postgres` when
 * DATABASE_URL is set. In CI (CI=true) the PostgreSQL project is required: a missing
 * DATABASE_URL fails the run instead of skipping it.
 */
const postgresWanted = Boolean(process.env.DATABASE_URL) || process.env.CI === 'true';
if (!postgresWanted) {
  console.warn(
    '[gatehouse tests] DATABASE_URL is not set: PostgreSQL suites are skipped (PGlite only).',
  );
}

const shared = {
  testTimeout: 30_000,
  hookTimeout: 60_000,
  globalSetup: ['test/helpers/global-setup.ts'],
};

export default defineConfig({
  test: {
    pool: 'forks',
    projects: [
      {
        test: {
          ...shared,
          name: 'pglite',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          env: { GATEHOUSE_TEST_DB: 'pglite' },
        },
      },
      ...(postgresWanted
        ? [
            {
              test: {
                ...shared,
                name: 'postgres',
                include: ['test/**/*.test.ts'],
                env: { GATEHOUSE_TEST_DB: 'postgres' },
              },
            },
          ]
        : []),
    ],
  },
});
