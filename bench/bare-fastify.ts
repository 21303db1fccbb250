/**
 * The ceiling for a Fastify JSON route on this machine: the same fastify version Gatehouse
 * uses, one GET route answering a small JSON body, no hooks, no logging. Listens on
 * 127.0.0.1:$PORT and stops on SIGTERM.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/ping', async () => ({ status: 'ok', service: 'bare-fastify' }));

await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.stdout.write('listening\n');
process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
