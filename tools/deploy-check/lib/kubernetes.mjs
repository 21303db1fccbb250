import * as k8s from '@kubernetes/client-node';
import YAML from 'yaml';
import { Problems } from './problems.mjs';

/** Parses a multi-document YAML stream (helm template output) into plain objects. */
export function parseManifests(text, source) {
  const problems = [];
  const objects = [];
  for (const doc of YAML.parseAllDocuments(text)) {
    for (const error of doc.errors) problems.push(`${source}: ${error.message}`);
    const value = doc.toJS();
    if (value !== null && value !== undefined) objects.push(value);
  }
  if (problems.length > 0) throw new Problems(problems);
  return objects;
}

const describe = (o) => `${o?.kind ?? '?'}/${o?.metadata?.name ?? '?'}`;

/** kubernetes-models class for apiVersion + kind, e.g. apps/v1 Deployment. */
async function modelClass(apiVersion, kind) {
  const module = await import(`kubernetes-models/${apiVersion}/${kind}`);
  return module[kind] ?? module.default;
}

/** @kubernetes/client-node model name for apiVersion + kind, e.g. autoscaling/v2 → V2HorizontalPodAutoscaler. */
function clientModelName(apiVersion, kind) {
  const version = apiVersion.split('/').at(-1);
  return `${version[0].toUpperCase()}${version.slice(1)}${kind}`;
}

const PRIMITIVE = {
  string: (v) => typeof v === 'string',
  Date: (v) => typeof v === 'string',
  number: (v) => typeof v === 'number',
  boolean: (v) => typeof v === 'boolean',
  IntOrString: (v) => typeof v === 'string' || Number.isInteger(v),
  any: () => true,
  object: () => true,
};

/** Walks `value` through the client-node type map of `type`, reporting unknown and mistyped keys. */
function walk(value, type, where, problems) {
  if (value === null || value === undefined) return;
  if (PRIMITIVE[type]) {
    if (!PRIMITIVE[type](value))
      problems.push(`${where}: expected ${type}, got ${JSON.stringify(value)}`);
    return;
  }
  const array = /^Array<(.+)>$/.exec(type);
  if (array) {
    if (!Array.isArray(value)) return problems.push(`${where}: expected a list`);
    value.forEach((item, i) => walk(item, array[1], `${where}[${i}]`, problems));
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    if (typeof value !== 'object' || Array.isArray(value))
      return problems.push(`${where}: expected a map`);
    for (const [key, item] of Object.entries(value))
      walk(item, map[1], `${where}.${key}`, problems);
    return;
  }
  const model = k8s[type];
  if (typeof model?.getAttributeTypeMap !== 'function') {
    problems.push(`${where}: no type map for ${type}`);
    return;
  }
  if (typeof value !== 'object' || Array.isArray(value))
    return problems.push(`${where}: expected an object (${type})`);
  const attributes = new Map(model.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  for (const [key, item] of Object.entries(value)) {
    if (!attributes.has(key)) problems.push(`${where}: unknown field "${key}" (${type})`);
    else walk(item, attributes.get(key), `${where}.${key}`, problems);
  }
}

/** kubernetes-models validation (types, required fields) plus the unknown-field walk, per object. */
export async function validateObjects(objects, source) {
  const problems = [];
  for (const object of objects) {
    const where = `${source}: ${describe(object)}`;
    if (!object?.apiVersion || !object?.kind) {
      problems.push(`${where}: missing apiVersion or kind`);
      continue;
    }
    try {
      const Model = await modelClass(object.apiVersion, object.kind);
      new Model(object).validate();
    } catch (error) {
      problems.push(
        `${where}: ${String(error.message ?? error)
          .split('\n')
          .slice(0, 6)
          .join(' | ')}`,
      );
    }
    walk(object, clientModelName(object.apiVersion, object.kind), where, problems);
  }
  if (problems.length > 0) throw new Problems(problems);
  const kinds = [...new Set(objects.map((o) => o.kind))];
  return `${objects.length} objects: ${kinds.join(', ')}`;
}
