import type { Config } from '../config.js';
import { NO_REQUEST } from '../request-context.js';
import { withServices } from './open.js';

/**
 * `gatehouse keys rotate`: a new signing key signs from now on (every replica picks it up within
 * a minute); the previous keys stay in JWKS until the last token they signed has expired.
 */
export async function keysCommand(config: Config, args: string[]): Promise<number> {
  if (args[0] !== 'rotate' || args.length > 1) {
    process.stderr.write('usage: gatehouse keys rotate\n');
    return 2;
  }
  if (config.tokens.algorithm === 'HS256') {
    process.stderr.write(
      'keys rotate: with JWT_ALGORITHM=HS256 the key is JWT_SECRET_KEY; rotate it in the configuration\n',
    );
    return 2;
  }
  const kid = await withServices(config, async ({ signer, services }) => {
    const previous = (await signer.jwks()).keys.map((key) => key.kid);
    // The audit row commits with the new key, in the rotation's transaction.
    return signer.rotate((tx, created) =>
      services.events.record(tx, NO_REQUEST, {
        type: 'keys.rotated',
        actorUserId: null,
        subjectUserId: null,
        detail: { kid: created, retiring: previous.filter((k): k is string => Boolean(k)) },
      }),
    );
  });
  const ttlMinutes = config.tokens.accessTokenTtlSeconds / 60;
  process.stdout.write(
    `new signing key ${kid} (${config.tokens.algorithm}); previous keys stay in JWKS for ${ttlMinutes + 1} minutes\n`,
  );
  return 0;
}
