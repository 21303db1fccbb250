import { readFile } from 'node:fs/promises';
import { fileSecretNames } from '../../config.js';

type Env = Record<string, string | undefined>;

/**
 * Replaces each `<NAME>_FILE` by `<NAME>` holding the file's content (one trailing newline
 * dropped, as `echo` and most secret mounts add it). Setting both forms is a problem, and so is
 * an unreadable or empty file; problems name the variable and the path, never the content.
 */
export async function readFileSecrets(
  env: Env,
  /** The variables marked `secret` in the config schema. */
  names: readonly string[] = fileSecretNames(env),
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
