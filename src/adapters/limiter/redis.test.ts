import { randomUUID } from 'node:crypto';
import { REDIS_URL, describeWithRedis } from '../../../test/helpers/redis.js';
import { limiterContract } from './contract.js';
import { createRedisLimiterStore } from './redis.js';

describeWithRedis('redis limiter store', () => {
  limiterContract('redis', async () => {
    const store = createRedisLimiterStore({ url: REDIS_URL!, keyPrefix: `t-${randomUUID()}:` });
    // Wait for the connection, so the contract runs against Redis, not the insurance limiter.
    for (let i = 0; i < 50 && (await store.health()).status !== 'ok'; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return store;
  });
});
