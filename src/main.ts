import { ConfigError, loadConfig, type Config } from './config.js';
import { openDatabase } from './adapters/db/index.js';
import { openGatehouse, type Gatehouse } from './gatehouse.js';
import { outboxCommand, workerCommand } from './worker-cli.js';

const USAGE = `Usage: gatehouse <command>

Commands:
  serve     run the HTTP API (migrates the database first)
  migrate   apply pending database migrations and exit
  worker    run the outbox relay: publish events, send mail (--once: until idle, then exit)
  outbox status|retry
            count undelivered rows, or queue the failed ones for delivery again
`;

/** Exit codes: 0 done, 1 runtime failure, 2 bad usage or configuration. */
async function main(argv: string[]): Promise<number> {
  const [command = 'serve', ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!['serve', 'migrate', 'worker', 'outbox'].includes(command)) {
    process.stderr.write(`unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const problem of error.problems) process.stderr.write(`config error: ${problem}\n`);
      return 2;
    }
    throw error;
  }
  if (command === 'worker') return workerCommand(config, rest);
  if (command === 'outbox') return outboxCommand(config, rest);
  return command === 'migrate' ? migrate(config) : serve(config);
}

async function migrate(config: Config): Promise<number> {
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
      app.log.info({ signal }, 'shutting down');
      gatehouse.close().then(
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
