import { ConfigError, loadConfig, type Config } from '../../config.js';
import { SecretError, databaseUrlFrom, fetchDatabaseCredentials } from './aws.js';
import { readFileSecrets } from './files.js';

type Env = Record<string, string | undefined>;

const set = (env: Env, name: string) => (env[name]?.trim() ?? '') !== '';

/** node-postgres `sslmode` values accepted for a URL built from the secret. */
const SSL_MODES = ['disable', 'no-verify', 'require', 'verify-full'];

/**
 * Resolves secrets kept outside the environment, then validates the whole configuration once:
 * `<NAME>_FILE` mounts, and the database credentials in AWS Secrets Manager when
 * `USER_SERVICE_SECRET_NAME` is set. Every problem, from here or from validation, ends up in
 * one `ConfigError`, one line per variable, with no secret value in it.
 */
export async function loadConfigWithSecrets(env: Env = process.env): Promise<Config> {
  const files = await readFileSecrets(env);
  const problems = [...files.problems];
  const resolved = files.env;

  const secretName = resolved.USER_SERVICE_SECRET_NAME?.trim();
  if (secretName) {
    const region = resolved.AWS_REGION?.trim() || resolved.AWS_DEFAULT_REGION?.trim();
    const sslMode = resolved.DATABASE_SSLMODE?.trim().toLowerCase() || undefined;
    if (sslMode && !SSL_MODES.includes(sslMode)) {
      problems.push(`DATABASE_SSLMODE: must be one of ${SSL_MODES.join(', ')}`);
    } else if (set(env, 'DATABASE_URL') || set(env, 'DATABASE_URL_FILE')) {
      problems.push(
        'USER_SERVICE_SECRET_NAME: cannot be combined with DATABASE_URL or DATABASE_URL_FILE; set only one of them',
      );
    } else if (!region) {
      problems.push('AWS_REGION: is required with USER_SERVICE_SECRET_NAME');
    } else {
      try {
        const credentials = await fetchDatabaseCredentials({ secretName, region });
        resolved.DATABASE_URL =
          databaseUrlFrom(credentials) + (sslMode ? `?sslmode=${sslMode}` : '');
      } catch (error) {
        if (!(error instanceof SecretError)) throw error;
        problems.push(`USER_SERVICE_SECRET_NAME: ${error.message}`);
      }
    }
  }

  let config: Config;
  try {
    config = loadConfig(resolved);
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError([...problems, ...error.problems]);
    throw error;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
