import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { ConfigError, EnvConfig, type Rule } from './read.js';
import { renderReference } from './reference.js';
import { family, int, optionalText, section, text, url } from './variables.js';

/** A schema of its own, so these tests pin the machinery, not Gatehouse's variables. */
const SCHEMA = Type.Object({
  server: section(
    { title: 'Server' },
    {
      port: int('APP_PORT', { default: 80, min: 1, max: 9999, doc: 'Port.' }),
      base: url('APP_URL', {
        protocols: ['https:'],
        trimTrailingSlash: true,
        derivedDefault: (get) => `https://localhost:${String(get('APP_PORT'))}`,
        defaultDoc: '`https://localhost:$APP_PORT`',
        doc: 'Base URL.',
      }),
      name: text('APP_NAME', {
        derivedDefault: (get) => new URL(String(get('APP_URL'))).host,
        defaultDoc: 'host of `APP_URL`',
        aliases: ['LEGACY_NAME'],
        doc: 'Display name.',
      }),
    },
  ),
  federation: section(
    { title: 'Federation' },
    {
      providers: family(
        'IDP_',
        { doc: 'One set of `IDP_<ID>_*` per identity provider.' },
        {
          issuer: url('ISSUER', {
            protocols: ['https:'],
            default: 'https://idp.invalid',
            doc: 'Issuer.',
          }),
          clientId: optionalText('CLIENT_ID', { doc: 'Client id.' }),
          clientSecret: optionalText('CLIENT_SECRET', { secret: true, doc: 'Client secret.' }),
          maxAgeSeconds: int('MAX_AGE_MINUTES', {
            default: 5,
            min: 1,
            max: 60,
            scale: 60,
            doc: 'Max age.',
          }),
        },
      ),
    },
  ),
});

const RULES: Rule<typeof SCHEMA>[] = [
  ({ federation }) =>
    Object.entries(federation.providers).map(
      ([id, provider]) =>
        provider.clientId === undefined && {
          variable: `IDP_${id.toUpperCase()}_CLIENT_ID`,
          message: 'is required for each provider',
        },
    ),
];

const schema = new EnvConfig(SCHEMA, RULES);

function problems(env: Record<string, string>): string[] {
  try {
    schema.read(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('EnvConfig', () => {
  it('computes derived defaults from other variables, in any declaration order', () => {
    expect(schema.read({ APP_PORT: '8443' }).server).toEqual({
      port: 8443,
      base: 'https://localhost:8443',
      name: 'localhost:8443',
    });
    expect(schema.read({ APP_URL: 'https://id.example.com//' }).server.name).toBe('id.example.com');
  });

  it('reads each instance of a family, the id in lower case, members decoded', () => {
    const config = schema.read({
      IDP_GOOGLE_CLIENT_ID: 'g-client',
      IDP_MY_CORP_CLIENT_ID: 'corp-client',
      IDP_MY_CORP_CLIENT_SECRET: 's3cret',
      IDP_MY_CORP_MAX_AGE_MINUTES: '2',
      IDP_EMPTY_CLIENT_ID: '  ',
      IDPX_OTHER_CLIENT_ID: 'not ours',
    });
    expect(config.federation.providers).toEqual({
      google: {
        issuer: 'https://idp.invalid',
        clientId: 'g-client',
        clientSecret: undefined,
        maxAgeSeconds: 300,
      },
      my_corp: {
        issuer: 'https://idp.invalid',
        clientId: 'corp-client',
        clientSecret: 's3cret',
        maxAgeSeconds: 120,
      },
    });
    expect(schema.read({}).federation.providers).toEqual({});
  });

  it('names the instance variable in problems, in schema order, one line per variable', () => {
    expect(
      problems({
        IDP_ACME_MAX_AGE_MINUTES: '0',
        IDP_ACME_ISSUER: 'http://acme.example.com',
        IDP_ZED_CLIENT_SECRET: 'x',
        APP_PORT: 'eighty',
        LEGACY_NAME: '',
      }),
    ).toEqual([
      'APP_PORT: must be an integer, got "eighty"',
      'IDP_ACME_ISSUER: must use https:, got http:',
      'IDP_ACME_MAX_AGE_MINUTES: must be between 1 and 60, got 0',
      'IDP_ACME_CLIENT_ID: is required for each provider',
      'IDP_ZED_CLIENT_ID: is required for each provider',
    ]);
  });

  it('reads an alias, the main name winning', () => {
    expect(schema.read({ LEGACY_NAME: 'Old' }).server.name).toBe('Old');
    expect(schema.read({ LEGACY_NAME: 'Old', APP_NAME: 'New' }).server.name).toBe('New');
  });

  it('lists family secrets found in env as `_FILE`-readable', () => {
    expect(schema.secretNames({})).toEqual([]);
    expect(schema.secretNames({ IDP_ACME_CLIENT_SECRET_FILE: '/run/secret' })).toEqual([
      'IDP_ACME_CLIENT_SECRET',
    ]);
  });

  it('documents a family once, with its members named by placeholder', () => {
    const text = renderReference(schema.leaves, []);
    expect(text).toContain('One set of `IDP_<ID>_*` per identity provider.');
    expect(text).toMatch(/\| `IDP_<ID>_CLIENT_SECRET` or `IDP_<ID>_CLIENT_SECRET_FILE` +\|/);
    expect(text).toMatch(/\| `IDP_<ID>_MAX_AGE_MINUTES` +\| `5` +\| 1–60 +\| Max age\. +\|/);
    expect(text).toMatch(/\| `APP_URL` +\| `https:\/\/localhost:\$APP_PORT` +\| `https:` URL +\|/);
  });

  it('refuses a schema that declares a name twice', () => {
    const twice = new EnvConfig(
      Type.Object({
        a: section({ title: 'A' }, { x: text('SAME', { default: '', doc: 'One.' }) }),
        b: section({ title: 'B' }, { y: text('SAME', { default: '', doc: 'Two.' }) }),
      }),
      [],
    );
    expect(() => twice.read({})).toThrow('config schema: SAME is declared twice');
  });
});
