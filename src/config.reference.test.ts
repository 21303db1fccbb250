import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG, fileSecretNames } from './config.js';
import { configurationReference } from './config/reference-file.js';

const REFERENCE = new URL('../docs/configuration.md', import.meta.url);

/** @see issue #18 — the configuration reference is generated from the schema. */
describe('configuration reference', () => {
  it('docs/configuration.md is what the schema generates', () => {
    const committed = readFileSync(REFERENCE, 'utf8');
    expect(
      committed === configurationReference(),
      'docs/configuration.md is stale: run `npm run docs:config` and commit the result',
    ).toBe(true);
  });

  it('lists every variable with its section, and the first-admin variables', () => {
    const text = configurationReference();
    for (const leaf of CONFIG.leaves) {
      expect(text).toContain(`| \`${leaf.envVar.name}\``);
      expect(leaf.envVar.doc).toMatch(/^\S.{5,}\.$/);
    }
    expect(text).toMatch(/\| `ADMIN_EMAIL` +\|/);
    expect(text).toMatch(/\| `ADMIN_PASSWORD` or `ADMIN_PASSWORD_FILE` +\|/);
  });

  it('marks exactly the secrets as readable from `<NAME>_FILE`', () => {
    expect(fileSecretNames().sort()).toEqual([
      'ADMIN_PASSWORD',
      'AMQP_URL',
      'DATABASE_URL',
      'JWT_SECRET_KEY',
      'KEY_ENCRYPTION_KEY',
      'REDIS_URL',
      'SENTRY_DSN',
      'SMTP_URL',
    ]);
  });
});
