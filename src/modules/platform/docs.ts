import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

const require = createRequire(import.meta.url);

const REDOC_PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>Gatehouse API</title>
    <meta name="viewport" content="width=device-width, initial-scale=1" />
  </head>
  <body>
    <redoc spec-url="/openapi.json"></redoc>
    <script src="/redoc/redoc.standalone.js"></script>
  </body>
</html>`;

/**
 * GET /openapi.json  the OpenAPI 3.1 document built from the route schemas
 * GET /docs          Swagger UI
 * GET /redoc         Redoc
 * Both UIs are served from npm packages: no CDN, so they work in air-gapped clusters.
 */
export async function registerDocs(
  app: FastifyInstance,
  options: { publicUrl: string; version: string },
): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Gatehouse',
        description: 'User and identity service: accounts, tokens and sessions.',
        version: options.version,
      },
      servers: [{ url: options.publicUrl }],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: false });

  const redocBundle = require.resolve('redoc/bundles/redoc.standalone.js');
  let bundle: Buffer | undefined;
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  // Redoc needs a wider script policy than the rest (see http/security.ts).
  const redocRoute = { schema: { hide: true }, config: { securityHeaders: 'redoc' as const } };
  app.get('/redoc', redocRoute, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(REDOC_PAGE),
  );
  app.get('/redoc/redoc.standalone.js', { schema: { hide: true } }, async (_request, reply) => {
    bundle ??= await readFile(redocBundle);
    return reply
      .type('application/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=86400')
      .send(bundle);
  });
}
