/**
 * A child process for test/audit-durability.test.ts: registers one account through the real
 * service layer and kills itself with SIGKILL the moment the registration's transaction has
 * committed — the point where the old design had yet to write the audit row. Prints nothing;
 * exits 3 if it ever gets past the kill.
 */
import { loadConfig } from '../../src/config.js';
import { NO_REQUEST } from '../../src/request-context.js';
import { openRuntime } from '../../src/runtime.js';

const [email, password] = process.argv.slice(2);
const runtime = await openRuntime(loadConfig(process.env));
const { events, auth } = runtime.services;
events.subscribe('user.created', async (tx) => {
  events.afterCommit(tx, () => process.kill(process.pid, 'SIGKILL'));
});
await auth.register({ email: email!, password: password! }, NO_REQUEST);
process.exit(3);
