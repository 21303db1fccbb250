import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Ajv } from 'ajv';
import YAML from 'yaml';
import { verdict } from './problems.mjs';

const require = createRequire(import.meta.url);

function loadCompose(root) {
  const text = readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
  const doc = YAML.parseDocument(text, { merge: true, prettyErrors: true });
  if (doc.errors.length > 0)
    return { errors: doc.errors.map((e) => `docker-compose.yml: ${e.message}`) };
  return { compose: doc.toJS({ maxAliasCount: 1000 }), errors: [] };
}

/** The Compose Specification JSON schema shipped by dclint, run with ajv. */
export function validateComposeSchema(root) {
  const { compose, errors } = loadCompose(root);
  if (errors.length > 0) return verdict(errors);
  const schemaPath = path.join(
    path.dirname(require.resolve('dclint/package.json')),
    'schemas',
    'compose.schema.json',
  );
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8'));
  delete schema.$schema;
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addFormat('duration', DURATION);
  const validate = ajv.compile(schema);
  const problems = validate(compose)
    ? []
    : validate.errors.map(
        (e) =>
          `docker-compose.yml${e.instancePath || '/'}: ${e.message} ${JSON.stringify(e.params)}`,
      );
  return verdict(problems, `${Object.keys(compose.services ?? {}).length} services`);
}

const DURATION = /^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$/;
const REQUIRED_SERVICES = ['postgres', 'redis', 'rabbitmq', 'mailpit', 'migrate', 'api', 'worker'];

/** What the schema cannot see: dependencies that exist, health checks behind conditions. */
export function checkComposeWiring(root) {
  const { compose, errors } = loadCompose(root);
  if (errors.length > 0) return verdict(errors);
  const problems = [];
  const services = compose.services ?? {};
  for (const name of REQUIRED_SERVICES) {
    if (!services[name]) problems.push(`service ${name} is missing`);
  }
  for (const [name, service] of Object.entries(services)) {
    const dependsOn = Array.isArray(service.depends_on)
      ? Object.fromEntries(service.depends_on.map((d) => [d, { condition: 'service_started' }]))
      : (service.depends_on ?? {});
    for (const [target, { condition }] of Object.entries(dependsOn)) {
      const dependency = services[target];
      if (!dependency) {
        problems.push(`${name}: depends on unknown service ${target}`);
      } else if (
        condition === 'service_healthy' &&
        (!dependency.healthcheck || dependency.healthcheck.disable)
      ) {
        problems.push(
          `${name}: waits for ${target} to be healthy, but ${target} has no healthcheck`,
        );
      } else if (
        condition === 'service_completed_successfully' &&
        !['no', undefined].includes(dependency.restart)
      ) {
        problems.push(
          `${name}: waits for ${target} to complete, but ${target} restarts (${dependency.restart})`,
        );
      }
    }
    if (
      service.restart !== undefined &&
      !/^(no|always|unless-stopped|on-failure(:\d+)?)$/.test(service.restart)
    ) {
      problems.push(
        `${name}: restart "${service.restart}" is not no, always, on-failure[:N] or unless-stopped`,
      );
    }
    for (const key of ['interval', 'timeout', 'start_period', 'start_interval']) {
      const value = service.healthcheck?.[key];
      if (value !== undefined && !DURATION.test(value))
        problems.push(`${name}: healthcheck.${key} "${value}" is not a duration`);
    }
    if (!service.healthcheck && !['migrate'].includes(name)) {
      problems.push(`${name}: has no healthcheck (set one, or disable: true with a reason)`);
    }
  }
  for (const [name, command] of [
    ['api', 'serve'],
    ['worker', 'worker'],
    ['migrate', 'migrate'],
  ]) {
    const actual = services[name]?.command;
    if (
      services[name] &&
      JSON.stringify(actual) !== JSON.stringify(['node', 'dist/main.js', command])
    ) {
      problems.push(
        `${name}: command should be node dist/main.js ${command}, got ${JSON.stringify(actual)}`,
      );
    }
  }
  for (const name of ['api', 'worker']) {
    const conditions = services[name]?.depends_on ?? {};
    if (services[name] && conditions.migrate?.condition !== 'service_completed_successfully') {
      problems.push(`${name}: must start after migrate completed successfully`);
    }
  }
  return verdict(problems, 'depends_on, healthchecks, commands');
}
