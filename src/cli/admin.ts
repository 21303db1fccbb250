import { parseArgs } from 'node:util';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { withServices } from './open.js';
import { promptSecret, readStdin } from './prompt.js';

const USAGE = `usage: gatehouse admin create --email <address> [--username <name>] [--name <full name>]
                              [--password-stdin]
The password comes from standard input with --password-stdin, else from ADMIN_PASSWORD (or
ADMIN_PASSWORD_FILE), else from a prompt on the terminal. Running it again for an existing
account only makes sure it is an admin; its password is left as it was.
`;

/** `gatehouse admin create`: the first (or another) admin, idempotently. */
export async function adminCommand(config: Config, args: string[]): Promise<number> {
  const [action, ...rest] = args;
  if (action !== 'create') {
    process.stderr.write(USAGE);
    return 2;
  }
  let options;
  try {
    options = parseArgs({
      args: rest,
      options: {
        email: { type: 'string' },
        username: { type: 'string' },
        name: { type: 'string' },
        'password-stdin': { type: 'boolean', default: false },
      },
      strict: true,
    }).values;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const email = options.email ?? config.bootstrapAdmin.email;
  if (!email) {
    process.stderr.write(`admin create: --email (or ADMIN_EMAIL) is required\n${USAGE}`);
    return 2;
  }
  const password = await readPassword(options['password-stdin'], config.bootstrapAdmin.password);
  if (password === undefined) {
    process.stderr.write(
      'admin create: no password: use --password-stdin, ADMIN_PASSWORD, or run it on a terminal\n',
    );
    return 2;
  }

  try {
    const outcome = await withServices(config, ({ services }) =>
      services.adminBootstrap.ensureAdmin(
        { email, username: options.username, fullName: options.name, password },
        { onlyIfNoAdmin: false },
      ),
    );
    const messages = {
      created: `created admin ${email}`,
      promoted: `${email} already had an account; it is now an admin (password unchanged)`,
      unchanged: `${email} is already an admin; nothing changed`,
      skipped: 'an admin already exists; nothing changed',
    } as const;
    const id = 'userId' in outcome ? ` (id ${outcome.userId})` : '';
    process.stdout.write(`${messages[outcome.kind]}${id}\n`);
    return 0;
  } catch (error) {
    if (error instanceof AppError) {
      process.stderr.write(`admin create: ${error.summary()}\n`);
      return 2;
    }
    throw error;
  }
}

/** `configured` is ADMIN_PASSWORD or the content of ADMIN_PASSWORD_FILE, as config read it. */
async function readPassword(
  fromStdin: boolean | undefined,
  configured: string | undefined,
): Promise<string | undefined> {
  if (fromStdin) return readStdin();
  if (configured !== undefined) return configured;
  if (!process.stdin.isTTY) return undefined;
  const first = await promptSecret('Password for the admin: ');
  const second = await promptSecret('Again: ');
  if (first !== second) {
    process.stderr.write('admin create: the passwords differ\n');
    return undefined;
  }
  return first;
}
