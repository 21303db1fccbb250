import { CONFIG, ConfigError, loadConfig, type Config } from '../../config.js';
import { SecretError, databaseUrlFrom, fetchDatabaseCredentials } from './aws.js';
import { readFileSecrets } from './files.js';

type Env = Record<string, string | undefined>;

/**
 * Resolves secrets kept outside the environment, then validates the whole configuration once:
 * `<NAME>_FILE` mounts, and the database credentials in AWS Secrets Manager when
 * `USER_SERVICE_SECRET_NAME` is set. Every problem, from here or from validation, ends up in
 * one `ConfigError`, one line per variable, with no secret value in it.
 */
export async function loadConfigWithSecrets(env: Env = process.env): Promise<Config> {
  const files = await readFileSecrets(env);
  const problems = [...files.problems];
  let config: Config | undefined;
  try {
    config = loadConfig(files.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }

  // The secret is read even when other variables are wrong, so every problem shows at once.
  const secret = config?.databaseSecret ?? secretSettings(files.env);
  let databaseUrl: string | undefined;
  if (secret?.name !== undefined && secret.region !== undefined) {
    try {
      const credentials = await fetchDatabaseCredentials({
        secretName: secret.name,
        region: secret.region,
      });
      databaseUrl =
        databaseUrlFrom(credentials) + (secret.sslMode ? `?sslmode=${secret.sslMode}` : '');
    } catch (error) {
      if (!(error instanceof SecretError)) throw error;
      problems.push(`USER_SERVICE_SECRET_NAME: ${error.message}`);
    }
  }

  if (problems.length > 0 || !config) throw new ConfigError(problems);
  if (databaseUrl === undefined) return config;
  return Object.freeze({
    ...config,
    database: Object.freeze({ ...config.database, url: databaseUrl }),
  });
}

/**
 * The Secrets Manager settings validated on their own (with DATABASE_URL, which excludes
 * them), for when the rest of the configuration is wrong; undefined when they are wrong too.
 */
function secretSettings(env: Env): Config['databaseSecret'] | undefined {
  const names = CONFIG.leaves
    .filter((leaf) => leaf.section.key === 'databaseSecret')
    .flatMap((leaf) => [leaf.envVar.name, ...(leaf.envVar.aliases ?? [])]);
  const own = Object.fromEntries(
    [...names, 'DATABASE_URL'].map((name) => [name, env[name]] as const),
  );
  try {
    return loadConfig(own).databaseSecret;
  } catch (error) {
    if (error instanceof ConfigError) return undefined;
    throw error;
  }
}
