import { ConfigError, loadConfig, type Config } from '../../config.js';
import { SecretError, databaseUrlFrom, fetchDatabaseCredentials } from './aws.js';
import { readFileSecrets } from './files.js';

type Env = Record<string, string | undefined>;

/**
 * Resolves secrets kept outside the environment, then validates the whole configuration once:
 * `<NAME>_FILE` mounts, and the database credentials in AWS Secrets Manager when
 * `USER_SERVICE_SECRET_NAME` is set. Every problem, from here or from validation, ends up in
 * one `ConfigError`, one line per variable, with no secret value in it. The secret is fetched
 * only once the rest of the configuration is valid: no call to AWS with a broken set-up.
 */
export async function loadConfigWithSecrets(env: Env = process.env): Promise<Config> {
  const files = await readFileSecrets(env);
  let config: Config;
  try {
    config = loadConfig(files.env);
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError([...files.problems, ...error.problems]);
    throw error;
  }
  if (files.problems.length > 0) throw new ConfigError(files.problems);

  const { name: secretName, region, sslMode } = config.databaseSecret;
  if (secretName === undefined || region === undefined) return config;
  let url: string;
  try {
    url = databaseUrlFrom(await fetchDatabaseCredentials({ secretName, region }));
  } catch (error) {
    if (!(error instanceof SecretError)) throw error;
    throw new ConfigError([`USER_SERVICE_SECRET_NAME: ${error.message}`]);
  }
  return Object.freeze({
    ...config,
    database: Object.freeze({
      ...config.database,
      url: url + (sslMode ? `?sslmode=${sslMode}` : ''),
    }),
  });
}
