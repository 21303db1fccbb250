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
