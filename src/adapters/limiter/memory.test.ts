import { limiterContract } from './contract.js';
import { createMemoryLimiterStore } from './memory.js';

limiterContract('memory', async () => createMemoryLimiterStore());
