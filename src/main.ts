// Only configuration is imported statically: tracing must start before http, fastify, pg and
// the other instrumented modules load, so the application comes in by dynamic import() below.
import { ConfigError, type Config } from './config.js';
import { loadConfigWithSecrets } from './adapters/secrets/index.js';
import { startTracing } from './telemetry/otel.js';
import type { Gatehouse } from './gatehouse.js';

const USAGE = `Usage: gatehouse <command>

Commands:
  serve     run the HTTP API (migrates the database first)
  migrate   apply pending database migrations and exit
  worker    run the outbox relay: publish events, send mail (--once: until idle, then exit)
  outbox status|retry
            count undelivered rows, or queue the failed ones for delivery again
  admin create --email <address> [--username <name>] [--name <full name>] [--password-stdin]
            create an admin, or make an existing account one (idempotent)
  keys rotate
            start a new signing key; the old ones verify until their tokens expire
`;

/** Exit codes: 0 done, 1 runtime failure, 2 bad usage or configuration. */
async function main(argv: string[]): Promise<number> {
  const [command = 'serve', ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!['serve', 'migrate', 'worker', 'outbox', 'admin', 'keys'].includes(command)) {
    process.stderr.write(`unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  let config: Config;
  try {
    config = await loadConfigWithSecrets();
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const problem of error.problems) process.stderr.write(`config error: ${problem}\n`);
      return 2;
    }
    throw error;
  }
  const tracing = await startTracing(config);
  try {
    if (command === 'worker') {
      const { workerCommand } = await import('./worker-cli.js');
      return await workerCommand(config, rest);
    }
    if (command === 'admin') {
      const { adminCommand } = await import('./cli/admin.js');
      return await adminCommand(config, rest);
    }
    if (command === 'keys') {
      const { keysCommand } = await import('./cli/keys.js');
      return await keysCommand(config, rest);
    }
    if (command === 'outbox') {
      const { outboxCommand } = await import('./worker-cli.js');
      return await outboxCommand(config, rest);
    }
    return command === 'migrate' ? await migrate(config) : await serve(config);
  } finally {
    await tracing.shutdown().catch(() => undefined);
  }
}

async function migrate(config: Config): Promise<number> {
  const { openDatabase } = await import('./adapters/db/index.js');
  const database = await openDatabase(config);
  try {
    await database.migrate();
    process.stdout.write(`migrations applied (${database.kind})\n`);
    return 0;
  } finally {
    await database.close();
  }
}

async function serve(config: Config): Promise<number> {
  const { openGatehouse } = await import('./gatehouse.js');
  const gatehouse = await openGatehouse(config);
  const { app } = gatehouse;
  await app.listen({ port: config.http.port, host: config.http.host });
  app.log.info(
    { database: gatehouse.database.kind, algorithm: gatehouse.signer.algorithm },
    'gatehouse ready',
  );
  const pruneTimer = startAuditPruning(gatehouse);
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      clearInterval(pruneTimer);
      const timeoutSeconds = config.shutdown.timeoutSeconds;
      app.log.info({ signal, timeout_seconds: timeoutSeconds }, 'shutting down');
      // Past the deadline whatever is still running is cut: exit 1 so the stop shows as unclean.
      setTimeout(() => {
        app.log.error({ timeout_seconds: timeoutSeconds }, 'shutdown timed out, forcing exit');
        process.exit(1);
      }, timeoutSeconds * 1000).unref();
      // Requests get 90% of the time; the rest is for shutdown steps and closing pools.
      gatehouse.close({ timeoutMs: timeoutSeconds * 900 }).then(
        () => resolve(0),
        (error: unknown) => {
          app.log.error({ err: error }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

const AUDIT_PRUNE_INTERVAL_MS = 60 * 60 * 1000;

/**
 * Audit retention until the worker process takes this job: every replica prunes hourly (and
 * once at start). Concurrent prunes are harmless: each deletes what is past retention.
 */
function startAuditPruning(gatehouse: Gatehouse): NodeJS.Timeout {
  const prune = () => {
    gatehouse.pruneAuditEvents().then(
      (deleted) => {
        if (deleted > 0) gatehouse.app.log.info({ deleted }, 'pruned old audit events');
      },
      (error: unknown) => gatehouse.app.log.error({ err: error }, 'audit pruning failed'),
    );
  };
  prune();
  const timer = setInterval(prune, AUDIT_PRUNE_INTERVAL_MS);
  timer.unref();
  return timer;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
