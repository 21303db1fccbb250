import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { problemsOf } from '../test/helpers/config.js';

describe('first-admin config', () => {
  it('is off by default', () => {
    expect(loadConfig({}).bootstrapAdmin).toEqual({});
  });

  it('takes ADMIN_EMAIL with ADMIN_PASSWORD (surrounding blanks dropped, as for every variable)', () => {
    expect(
      loadConfig({ ADMIN_EMAIL: ' ops@example.com ', ADMIN_PASSWORD: 'pw with spaces ' })
        .bootstrapAdmin,
    ).toEqual({ email: 'ops@example.com', password: 'pw with spaces' });
  });

  it('lets ADMIN_PASSWORD alone through: it is a password source for `admin create`', () => {
    expect(loadConfig({ ADMIN_PASSWORD: 'whatever-it-is' }).bootstrapAdmin).toEqual({
      password: 'whatever-it-is',
    });
  });

  it('names the variable when one is missing or malformed, never echoing the password', () => {
    expect(problemsOf({ ADMIN_EMAIL: 'ops@example.com' })).toEqual([
      'ADMIN_EMAIL: needs ADMIN_PASSWORD (or ADMIN_PASSWORD_FILE) as well',
    ]);
    const problems = problemsOf({ ADMIN_EMAIL: 'not-an-address', ADMIN_PASSWORD: 's3cret-value' });
    expect(problems).toEqual(['ADMIN_EMAIL: must be an email address']);
    expect(problems.join()).not.toContain('s3cret-value');
  });
});
