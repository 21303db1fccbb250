/**
 * Database credentials kept in AWS Secrets Manager as the JSON RDS uses:
 * `{username, password, host, port, dbname}`. The client honours the SDK's standard settings:
 * credentials chain (IRSA, instance role, env), `AWS_ENDPOINT_URL_SECRETS_MANAGER` /
 * `AWS_ENDPOINT_URL` to point it elsewhere (VPC endpoint, a local stand-in in tests).
 */
export interface DatabaseCredentials {
  username: string;
  password: string;
  host: string;
  port: number;
  dbname: string;
}

/** A problem reading the secret; its message never holds the secret's content. */
export class SecretError extends Error {
  override name = 'SecretError';
}

const TIMEOUT_MS = 10_000;

export async function fetchDatabaseCredentials(options: {
  secretName: string;
  region: string;
}): Promise<DatabaseCredentials> {
  // Loaded only when used: the SDK is large and most set-ups never need it.
  const { SecretsManagerClient, GetSecretValueCommand } =
    await import('@aws-sdk/client-secrets-manager');
  const client = new SecretsManagerClient({ region: options.region, maxAttempts: 3 });
  let secretString: string | undefined;
  try {
    const result = await client.send(new GetSecretValueCommand({ SecretId: options.secretName }), {
      abortSignal: AbortSignal.timeout(TIMEOUT_MS),
    });
    secretString = result.SecretString;
  } catch (error) {
    const name = (error as { name?: string }).name ?? 'Error';
    const message = error instanceof Error ? error.message : String(error);
    throw new SecretError(`cannot read secret "${options.secretName}": ${name}: ${message}`);
  } finally {
    client.destroy();
  }
  if (secretString === undefined) {
    throw new SecretError(`secret "${options.secretName}" has no string value`);
  }
  return parseDatabaseCredentials(secretString, options.secretName);
}

export function parseDatabaseCredentials(text: string, secretName: string): DatabaseCredentials {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new SecretError(`secret "${secretName}" is not JSON`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new SecretError(`secret "${secretName}" is not a JSON object`);
  }
  const record = value as Record<string, unknown>;
  const text_ = (key: string): string | undefined =>
    typeof record[key] === 'string' && record[key] !== '' ? record[key] : undefined;
  const missing = ['username', 'password', 'host', 'dbname'].filter((key) => !text_(key));
  const rawPort = record.port ?? 5432;
  const port = typeof rawPort === 'string' && /^\d+$/.test(rawPort) ? Number(rawPort) : rawPort;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    missing.push('port');
  }
  if (missing.length > 0) {
    throw new SecretError(
      `secret "${secretName}" lacks a valid ${missing.join(', ')} (expected {username,password,host,port,dbname})`,
    );
  }
  return {
    username: text_('username')!,
    password: text_('password')!,
    host: text_('host')!,
    port: port as number,
    dbname: text_('dbname')!,
  };
}

/** A PostgreSQL URL with every part encoded, whatever characters the password holds. */
export function databaseUrlFrom(credentials: DatabaseCredentials): string {
  const host = credentials.host.includes(':') ? `[${credentials.host}]` : credentials.host;
  return (
    `postgres://${encodeURIComponent(credentials.username)}:` +
    `${encodeURIComponent(credentials.password)}@${host}:${credentials.port}/` +
    encodeURIComponent(credentials.dbname)
  );
}
