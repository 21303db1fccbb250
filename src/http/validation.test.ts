import type { ErrorObject } from 'ajv';
import { describe, expect, it } from 'vitest';
import { RegisterBody } from '../modules/auth/schemas.js';
import { createValidatorCompiler, toFieldErrors } from './validation.js';

type Validator = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

const compiler = createValidatorCompiler();

function compile(schema: object, httpPart = 'body'): Validator {
  return compiler({ schema, httpPart, method: 'POST', url: '/test' }) as unknown as Validator;
}

/** Validates `data` and returns ajv's errors (validation is expected to fail). */
function errorsOf(schema: object, data: unknown, httpPart = 'body'): ErrorObject[] {
  const validate = compile(schema, httpPart);
  expect(validate(data)).toBe(false);
  return validate.errors ?? [];
}

function ajvError(partial: Partial<ErrorObject>): ErrorObject {
  return {
    keyword: 'type',
    instancePath: '',
    schemaPath: '#',
    params: {},
    message: 'is invalid',
    ...partial,
  } as ErrorObject;
}

const Address = {
  type: 'object',
  required: ['address'],
  properties: {
    address: {
      type: 'object',
      required: ['city'],
      properties: { city: { type: 'string' }, zip: { type: 'string', minLength: 5 } },
    },
    tags: { type: 'array', items: { type: 'string' } },
  },
};

describe('toFieldErrors with real ajv errors', () => {
  it('names a missing top-level property and says it is required', () => {
    const errors = errorsOf(RegisterBody, { email: 'alice@example.com' });
    expect(toFieldErrors(errors, 'body')).toEqual([{ field: 'password', message: 'is required' }]);
  });

  it('names a missing nested property with a dotted path', () => {
    const errors = errorsOf(Address, { address: {} });
    expect(toFieldErrors(errors, 'body')).toEqual([
      { field: 'address.city', message: 'is required' },
    ]);
  });

  it('names a nested invalid value with a dotted path and keeps the message of ajv', () => {
    expect(
      toFieldErrors(errorsOf(Address, { address: { city: 'Oslo', zip: '12' } }), 'body'),
    ).toEqual([{ field: 'address.zip', message: 'must NOT have fewer than 5 characters' }]);
  });

  it('includes array indexes in the dotted path', () => {
    expect(
      toFieldErrors(errorsOf(Address, { address: { city: 'Oslo' }, tags: ['a', 3] }), 'body'),
    ).toEqual([{ field: 'tags.1', message: 'must be string' }]);
  });

  it("says 'must be a valid email' for a bad email", () => {
    const errors = errorsOf(RegisterBody, { email: 'not-an-email', password: 'x' });
    expect(toFieldErrors(errors, 'body')).toEqual([
      { field: 'email', message: 'must be a valid email' },
    ]);
  });

  it('does not coerce body types: a number where a string belongs is an error', () => {
    const errors = errorsOf(RegisterBody, { email: 'alice@example.com', password: 12345678 });
    expect(toFieldErrors(errors, 'body')).toEqual([
      { field: 'password', message: 'must be string' },
    ]);
  });

  it('coerces query strings, which arrive as text', () => {
    const validate = compile(
      { type: 'object', properties: { limit: { type: 'integer' } } },
      'querystring',
    );
    const query = { limit: '20' };
    expect(validate(query)).toBe(true);
    expect(query.limit).toBe(20);
  });

  it('uses the validation context for an error about the whole value', () => {
    const errors = errorsOf(RegisterBody, 'a string, not an object');
    expect(toFieldErrors(errors, 'body')).toEqual([{ field: 'body', message: 'must be object' }]);
    expect(toFieldErrors(errors, 'querystring')[0]!.field).toBe('querystring');
  });
});

describe('toFieldErrors edge cases', () => {
  it('returns nothing for no errors', () => {
    expect(toFieldErrors(undefined, 'body')).toEqual([]);
    expect(toFieldErrors([], 'body')).toEqual([]);
  });

  it("falls back to 'body' without a context", () => {
    expect(toFieldErrors([ajvError({ message: 'must be object' })], undefined)).toEqual([
      { field: 'body', message: 'must be object' },
    ]);
  });

  it("falls back to 'is invalid' when ajv gives no message", () => {
    expect(toFieldErrors([ajvError({ instancePath: '/age', message: undefined })], 'body')).toEqual(
      [{ field: 'age', message: 'is invalid' }],
    );
  });

  it('unescapes JSON Pointer segments (~1 is /, ~0 is ~)', () => {
    expect(
      toFieldErrors([ajvError({ instancePath: '/metadata/a~1b/c~0d', message: 'bad' })], 'body'),
    ).toEqual([{ field: 'metadata.a/b.c~d', message: 'bad' }]);
  });

  it('names the missing property of a nested required error', () => {
    expect(
      toFieldErrors(
        [
          ajvError({
            keyword: 'required',
            instancePath: '/profile',
            params: { missingProperty: 'name' },
          }),
        ],
        'body',
      ),
    ).toEqual([{ field: 'profile.name', message: 'is required' }]);
  });

  it('reports other formats by name', () => {
    expect(
      toFieldErrors(
        [ajvError({ keyword: 'format', instancePath: '/id', params: { format: 'uuid' } })],
        'params',
      ),
    ).toEqual([{ field: 'id', message: 'must be a valid uuid' }]);
  });

  it('maps every error it is given, in order', () => {
    expect(
      toFieldErrors(
        [
          ajvError({ keyword: 'required', params: { missingProperty: 'email' } }),
          ajvError({ keyword: 'required', params: { missingProperty: 'password' } }),
        ],
        'body',
      ),
    ).toEqual([
      { field: 'email', message: 'is required' },
      { field: 'password', message: 'is required' },
    ]);
  });
});
