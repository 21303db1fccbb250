/**
 * Raw argon2id baseline, run as its own process (never inside the server): how many
 * @node-rs/argon2 `verify` calls per second this machine completes with the given parameters
 * and the given number of verifies in flight (they queue on libuv's thread pool, as in the
 * server). Prints one JSON line: {verifiesPerSecond, completed, seconds, cpuMsPerVerify, ...}.
 *
 * Env: ARGON2_MEMORY_KIB, ARGON2_ITERATIONS, ARGON2_PARALLELISM, ARGON2_CONCURRENCY,
 *      ARGON2_DURATION_MS, ARGON2_WARMUP_MS.
 */
import { performance } from 'node:perf_hooks';
import { hash, verify } from '@node-rs/argon2';

/** `Algorithm.Argon2id` (an ambient const enum of @node-rs/argon2). */
const ARGON2ID = 2;

function intEnv(name: string, fallback: number): number {
  const value = process.env[name];
  return value ? Number.parseInt(value, 10) : fallback;
}

const memoryCost = intEnv('ARGON2_MEMORY_KIB', 19_456);
const timeCost = intEnv('ARGON2_ITERATIONS', 2);
const parallelism = intEnv('ARGON2_PARALLELISM', 1);
const concurrency = intEnv('ARGON2_CONCURRENCY', 10);
const durationMs = intEnv('ARGON2_DURATION_MS', 5_000);
const warmupMs = intEnv('ARGON2_WARMUP_MS', 1_000);

const password = 'correct horse battery staple 42';
const stored = await hash(password, { algorithm: ARGON2ID, memoryCost, timeCost, parallelism });

/** Keeps `concurrency` verifies in flight until `until`; returns how many completed by then. */
async function run(until: number): Promise<{ completed: number; end: number }> {
  let completed = 0;
  let end = performance.now();
  const lane = async () => {
    while (performance.now() < until) {
      if (!(await verify(stored, password))) throw new Error('argon2 verify returned false');
      completed += 1;
      end = performance.now();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return { completed, end };
}

await run(performance.now() + warmupMs);
const cpuBefore = process.cpuUsage();
const start = performance.now();
const { completed, end } = await run(start + durationMs);
const seconds = (end - start) / 1000;
const cpu = process.cpuUsage(cpuBefore);
process.stdout.write(
  `${JSON.stringify({
    verifiesPerSecond: completed / seconds,
    completed,
    seconds,
    /** CPU (all threads of this process) per verify: comparable even on a busy machine. */
    cpuMsPerVerify: (cpu.user + cpu.system) / 1000 / completed,
    concurrency,
    memoryCost,
    timeCost,
    parallelism,
    threadpool: process.env.UV_THREADPOOL_SIZE ?? '4 (default)',
  })}\n`,
);
