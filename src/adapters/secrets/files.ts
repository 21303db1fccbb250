import { readFile } from 'node:fs/promises';

type Env = Record<string, string | undefined>;

/** Variables that may instead be read from a mounted file named by `<NAME>_FILE`. */
export const FILE_SECRETS = [
  'DATABASE_URL',
  'JWT_SECRET_KEY',
  'KEY_ENCRYPTION_KEY',
  'SMTP_URL',
  'REDIS_URL',
  'AMQP_URL',
  'SENTRY_DSN',
  'ADMIN_PASSWORD',
] as const;

/**
 * Replaces each `<NAME>_FILE` by `<NAME>` holding the file's content (one trailing newline
 * dropped, as `echo` and most secret mounts add it). Setting both forms is a problem, and so is
 * an unreadable or empty file; problems name the variable and the path, never the content.
 */
export async function readFileSecrets(
  env: Env,
  names: readonly string[] = FILE_SECRETS,
): Promise<{ env: Env; problems: string[] }> {
  const resolved: Env = { ...env };
  const problems: string[] = [];
  await Promise.all(
    names.map(async (name) => {
      const file = env[`${name}_FILE`]?.trim();
      if (!file) return;
      if (env[name] !== undefined && env[name].trim() !== '') {
        problems.push(`${name}_FILE: cannot be combined with ${name}; set only one of them`);
        return;
      }
      let content: string;
      try {
        content = await readFile(file, 'utf8');
      } catch (error) {
        const code = (error as { code?: string }).code ?? 'unreadable';
        problems.push(`${name}_FILE: cannot read ${file} (${code})`);
        return;
      }
      content = content.replace(/\r?\n$/, '');
      if (content.trim() === '') {
        problems.push(`${name}_FILE: ${file} is empty`);
        return;
      }
      resolved[name] = content;
      delete resolved[`${name}_FILE`];
    }),
  );
  return { env: resolved, problems };
}
