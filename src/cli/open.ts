import type { Config } from '../config.js';
import { openRuntime, type Runtime } from '../runtime.js';

/**
 * Runs `work` with the service layer open — the same composition as `serve` (migrations, keys,
 * services) without HTTP and without the relay loop — and closes it whatever happens. Events
 * and mail the command queued are delivered by the worker (or `serve`) later.
 */
export async function withServices<T>(
  config: Config,
  work: (runtime: Runtime) => Promise<T>,
): Promise<T> {
  const runtime = await openRuntime(config);
  try {
    // On stderr, so a command's stdout carries only its output (`users export` pipes it).
    if (config.log.level !== 'silent') {
      for (const warning of runtime.warnings) process.stderr.write(`warning: ${warning}\n`);
    }
    return await work(runtime);
  } finally {
    await runtime.close();
  }
}
