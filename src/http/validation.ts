import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import type { FieldError } from '../errors.js';

// ajv-formats is CommonJS; its default export arrives wrapped under NodeNext resolution.
const addFormats = addFormatsPlugin as unknown as (ajv: Ajv) => Ajv;

function createAjv(options: Options): Ajv {
  const ajv = new Ajv({
    allErrors: false,
    useDefaults: true,
    removeAdditional: true,
    strict: false,
    ...options,
  });
  addFormats(ajv);
  return ajv;
}

/**
 * Bodies are validated strictly (a number where a string belongs is a 422, not silently
 * coerced); query strings, params and headers arrive as text and are coerced to their types.
 */
export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = createAjv({ coerceTypes: false });
  const coercing = createAjv({ coerceTypes: 'array' });
  return ({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? strict : coercing;
    return ajv.compile(schema as object) as ValidateFunction;
  };
}

/** Turns ajv's errors into `{field, message}` pairs a client can show next to its inputs. */
export function toFieldErrors(
  validation: ErrorObject[] | undefined,
  context: string | undefined,
): FieldError[] {
  return (validation ?? []).map((error) => {
    const path = error.instancePath
      .split('/')
      .filter(Boolean)
      .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (error.keyword === 'required') {
      path.push(String((error.params as { missingProperty: string }).missingProperty));
      return { field: fieldName(path, context), message: 'is required' };
    }
    if (error.keyword === 'format') {
      return {
        field: fieldName(path, context),
        message: `must be a valid ${(error.params as { format: string }).format}`,
      };
    }
    return { field: fieldName(path, context), message: error.message ?? 'is invalid' };
  });
}

function fieldName(path: string[], context: string | undefined): string {
  if (path.length > 0) return path.join('.');
  return context ?? 'body';
}

/** Deepest nesting accepted anywhere in a body (metadata is the only free-form part). */
export const MAX_BODY_DEPTH = 32;

const UNPAIRED_SURROGATE = /\p{Cs}/u;

function unstorable(text: string): boolean {
  return text.includes('\u0000') || UNPAIRED_SURROGATE.test(text);
}

/**
 * Finds what PostgreSQL cannot store (NUL characters and unpaired surrogates, in text and in
 * jsonb, keys included) or would choke on (very deep nesting), so it is refused as a 422
 * before it reaches the database as a 500. Returns the first offending field.
 */
export function unstorableField(value: unknown, path: string[] = []): FieldError | undefined {
  if (typeof value === 'string') {
    return unstorable(value)
      ? { field: fieldName(path, 'body'), message: 'must not contain NUL or unpaired surrogates' }
      : undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  if (path.length >= MAX_BODY_DEPTH) {
    return {
      field: fieldName(path, 'body'),
      message: `must not be nested more than ${MAX_BODY_DEPTH} levels deep`,
    };
  }
  for (const [key, child] of Object.entries(value)) {
    if (unstorable(key)) {
      return {
        field: fieldName(path, 'body'),
        message: 'keys must not contain NUL or unpaired surrogates',
      };
    }
    const found = unstorableField(child, [...path, key]);
    if (found) return found;
  }
  return undefined;
}
