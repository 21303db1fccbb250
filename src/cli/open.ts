import type { Config } from '../config.js';
import { openGatehouse, type Gatehouse } from '../gatehouse.js';

/**
 * The whole service for a one-shot command: the same composition as `serve` (migrations, keys,
 * services), without listening and without the relay loop. Logs go to stderr at `warn`, so a
 * command's stdout carries only its output (`users export` pipes it).
 */
export function openForCommand(config: Config): Promise<Gatehouse> {
  return openGatehouse(config, {
    logger: { level: config.log.level === 'silent' ? 'silent' : 'warn', stream: process.stderr },
    worker: 'manual',
  });
}

/** Runs `work` with the service open, closing it whatever happens. */
export async function withGatehouse<T>(
  config: Config,
  work: (gatehouse: Gatehouse) => Promise<T>,
): Promise<T> {
  const gatehouse = await openForCommand(config);
  try {
    return await work(gatehouse);
  } finally {
    // Events and mail the command queued are delivered by the worker (or `serve`) later.
    await gatehouse.close({ timeoutMs: 5_000 });
  }
}
