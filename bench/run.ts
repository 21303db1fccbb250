/**
 * Gatehouse load benchmark: `npm run bench`.
 *
 * One run creates a throw-away PostgreSQL database, starts the compiled service (`dist/`) as a
 * child process with production settings, and measures, each against a baseline taken in the
 * same run on the same machine:
 *
 *   - password logins/s        vs raw argon2id verifies/s (separate process, same parameters)
 *   - refreshes/s              (each connection follows its own rotating refresh-token chain)
 *   - GET /users/me/s          vs a bare Fastify route (separate process, same fastify)
 *   - start → first /ready 200 (first boot on an empty database, and a restart)
 *   - idle RSS of the server
 *
 * It prints a markdown table and exits 0 whether or not targets are met; non-zero only when the
 * bench itself fails. Every child process is killed and the database dropped, also on failure.
 *
 * Env: DATABASE_URL (admin connection, default postgres://postgres@127.0.0.1:5432/test),
 *      BENCH_DURATION (seconds per measured run, default 10), BENCH_WARMUP (default 2),
 *      BENCH_RUNTIME=dist|tsx (default dist), BENCH_SKIP_BUILD=1 (reuse an existing dist/).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type autocannon from 'autocannon';
import { freePort, killAllChildren, rssMb, sleep, startChild, type Child } from './lib/children.js';
import { cpuUse, sampleCpu, type CpuUse } from './lib/cpu.js';
import { DEFAULT_ADMIN_URL, createBenchDatabase, type BenchDatabase } from './lib/database.js';
import { closeHttpAgent, requestJson, waitFor200 } from './lib/http.js';
import { describeLoad, runLoad, type LoadResult } from './lib/load.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function intEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be an integer`);
  return value;
}

const SETTINGS = {
  adminUrl: process.env.DATABASE_URL?.trim() || DEFAULT_ADMIN_URL,
  runtime: process.env.BENCH_RUNTIME === 'tsx' ? ('tsx' as const) : ('dist' as const),
  skipBuild: process.env.BENCH_SKIP_BUILD === '1',
  durationS: intEnv('BENCH_DURATION', 10),
  warmupS: intEnv('BENCH_WARMUP', 2),
  idleMs: 2_000,
  argon2DurationMs: 5_000,
  seededUsers: 50,
  /** Production parameters (DESIGN §4); the server runs with its defaults, which are these. */
  argon2: { memoryKib: 19_456, iterations: 2, parallelism: 1 },
  connections: { login: 10, refresh: 20, me: 20 },
};

const TARGETS = {
  loginRatio: 0.9,
  refreshRps: 1_500,
  meRps: 5_000,
  idleRssMb: 120,
  readyMs: 1_000,
};

const API = '/api/v1';
/** As in production, private signing keys are encrypted at rest; one key for every start. */
const KEY_ENCRYPTION_KEY = randomBytes(32).toString('base64');
const JSON_HEADERS = { 'content-type': 'application/json' };

function log(message: string): void {
  process.stdout.write(`· ${message}\n`);
}

// ---------------------------------------------------------------------------------------------
// Processes

/** Command line for the service; dist is what production runs (no tsx transpiling at start). */
function gatehouseCommand(): string[] {
  return SETTINGS.runtime === 'tsx'
    ? ['--import', 'tsx', 'src/main.ts', 'serve']
    : ['dist/main.js', 'serve'];
}

/** Production-like environment: defaults for argon2 and tokens, no inherited overrides. */
function gatehouseEnv(port: number, databaseUrl: string, dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  const overridden =
    /^(PASSWORD_|JWT_|ACCESS_TOKEN_|REFRESH_TOKEN_|SESSION_|RATE_LIMIT|DATABASE_|LOG_LEVEL|PORT|HOST|PUBLIC_URL|KEY_ENCRYPTION_KEY|DATA_DIR|REDIS_|AMQP_|SMTP_|OTEL_|SENTRY_)/;
  for (const [key, value] of Object.entries(process.env)) {
    if (!overridden.test(key)) env[key] = value;
  }
  return {
    ...env,
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_ENABLED: 'false',
    KEY_ENCRYPTION_KEY,
    DATA_DIR: dataDir,
    // The recommended production setting (npm start and the Helm chart set it too): one libuv
    // thread per core, where argon2 runs.
    UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? String(os.availableParallelism()),
  };
}

interface Started {
  child: Child;
  port: number;
  readyMs: number;
}

async function startGatehouse(name: string, databaseUrl: string, dataDir: string) {
  const port = await freePort();
  const env = gatehouseEnv(port, databaseUrl, dataDir);
  const spawnedAt = performance.now();
  const child = startChild(name, process.execPath, gatehouseCommand(), { env, cwd: ROOT });
  const readyAt = await waitFor200(child, port, '/ready', { intervalMs: 10 });
  return { child, port, readyMs: readyAt - spawnedAt } satisfies Started;
}

/** Runs a TypeScript helper of bench/ in its own process and returns its JSON result line. */
async function runHelper(script: string, env: NodeJS.ProcessEnv, timeoutMs: number) {
  const child = startChild(script, process.execPath, ['--import', 'tsx', `bench/${script}`], {
    env: { ...process.env, ...env },
    cwd: ROOT,
  });
  const timer = setTimeout(() => void child.stop(1_000), timeoutMs);
  const code = await child.exited;
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${script} failed (exit ${code}):\n${child.output()}`);
  const json = child
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .pop();
  if (!json) throw new Error(`${script} printed no result:\n${child.output()}`);
  return json;
}

async function build(): Promise<void> {
  const distMain = path.join(ROOT, 'dist', 'main.js');
  if (SETTINGS.skipBuild && existsSync(distMain)) {
    log('BENCH_SKIP_BUILD=1: using the existing dist/');
  } else {
    log('building dist/ (tsc -p tsconfig.build.json) …');
    const started = performance.now();
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    try {
      await promisify(execFile)(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
        cwd: ROOT,
      });
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      throw new Error(`build failed:\n${stdout}${stderr}`);
    }
    log(`built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  // The compiled module resolves migrations relative to itself (dist/adapters/db → ../../../):
  // make sure that lands on the repository's migrations/ before timing anything.
  const typesModule = pathToFileURL(path.join(ROOT, 'dist', 'adapters', 'db', 'types.js')).href;
  const { MIGRATIONS_FOLDER } = (await import(typesModule)) as { MIGRATIONS_FOLDER: string };
  if (!existsSync(path.join(MIGRATIONS_FOLDER, 'meta', '_journal.json'))) {
    throw new Error(`dist/ resolves migrations to ${MIGRATIONS_FOLDER}, which has no journal`);
  }
  log(`dist/ finds migrations at ${path.relative(ROOT, MIGRATIONS_FOLDER) || '.'}/`);
}

// ---------------------------------------------------------------------------------------------
// API helpers (setup only; the load itself is autocannon)

interface SeedUser {
  email: string;
  password: string;
}

async function inBatches<T, R>(items: T[], width: number, work: (item: T) => Promise<R>) {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += width) {
    results.push(...(await Promise.all(items.slice(i, i + width).map(work))));
  }
  return results;
}

async function seedUsers(port: number, count: number): Promise<SeedUser[]> {
  const tag = randomBytes(3).toString('hex');
  const users = Array.from({ length: count }, (_, i) => ({
    email: `bench-${tag}-${i}@example.com`,
    username: `bench_${tag}_${i}`,
    password: `Qx9!${randomBytes(9).toString('base64url')}`,
  }));
  await inBatches(users, 4, async (user) => {
    const res = await requestJson(port, 'POST', `${API}/auth/register`, user);
    if (res.status !== 201) {
      throw new Error(`register ${user.email}: ${res.status} ${JSON.stringify(res.body)}`);
    }
  });
  return users.map(({ email, password }) => ({ email, password }));
}

async function login(port: number, user: SeedUser) {
  const res = await requestJson(port, 'POST', `${API}/auth/login`, {
    identifier: user.email,
    password: user.password,
  });
  if (res.status !== 200 || typeof res.body?.refresh_token !== 'string') {
    throw new Error(`login ${user.email}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res.body as { access_token: string; refresh_token: string };
}

// ---------------------------------------------------------------------------------------------
// Scenarios

function loginLoad(port: number, users: SeedUser[], title: string, durationS: number) {
  const bodies = users.map((u) => JSON.stringify({ identifier: u.email, password: u.password }));
  let next = 0;
  return runLoad({
    title,
    url: `http://127.0.0.1:${port}`,
    connections: SETTINGS.connections.login,
    duration: durationS,
    requests: [
      {
        method: 'POST',
        path: `${API}/auth/login`,
        headers: JSON_HEADERS,
        // One shared counter: connections walk through all seeded users between them.
        setupRequest: (request) => ({ ...request, body: bodies[next++ % bodies.length] }),
      },
    ],
  });
}

/** One logged-in session per refresh connection (each login costs one argon2 verify). */
function openSessions(port: number, users: SeedUser[], count: number) {
  return inBatches(
    Array.from({ length: count }, (_, i) => users[i % users.length]!),
    4,
    (user) => login(port, user),
  );
}

/**
 * Refresh tokens are single-use and rotate, so every connection owns one session and always
 * presents the token it received last (autocannon's connections are strictly sequential with
 * pipelining 1, and onResponse runs before the next setupRequest).
 */
function refreshLoad(
  port: number,
  sessions: { refresh_token: string }[],
  title: string,
  durationS: number,
) {
  let handedOut = 0;
  const setupClient = (client: autocannon.Client) => {
    const session = sessions[handedOut++];
    if (!session) throw new Error('more autocannon clients than prepared sessions');
    const chain = { token: session.refresh_token };
    client.setRequests([
      {
        method: 'POST',
        path: `${API}/auth/refresh`,
        headers: JSON_HEADERS,
        setupRequest: (request) => ({
          ...request,
          body: JSON.stringify({ refresh_token: chain.token }),
        }),
        onResponse: (status, body) => {
          if (status === 200) {
            chain.token = (JSON.parse(body) as { refresh_token: string }).refresh_token;
          }
        },
      },
    ]);
  };
  return runLoad({
    title,
    url: `http://127.0.0.1:${port}${API}/auth/refresh`,
    method: 'POST',
    connections: sessions.length,
    duration: durationS,
    setupClient,
  });
}

function getLoad(url: string, title: string, durationS: number, headers: Record<string, string>) {
  return runLoad({
    title,
    url,
    connections: SETTINGS.connections.me,
    duration: durationS,
    headers,
  });
}

// ---------------------------------------------------------------------------------------------
// Report

interface Row {
  metric: string;
  value: string;
  target: string;
  verdict: 'PASS' | 'FAIL' | '—';
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function check(ok: boolean): Row['verdict'] {
  return ok ? 'PASS' : 'FAIL';
}

function printTable(rows: Row[]): void {
  const header = ['metric', 'value', 'target', 'pass/fail'];
  const cells = rows.map((r) => [r.metric, r.value, r.target, r.verdict]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => `| ${c.map((v, i) => v.padEnd(widths[i]!)).join(' | ')} |`;
  process.stdout.write(`${line(header)}\n`);
  process.stdout.write(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |\n`);
  for (const c of cells) process.stdout.write(`${line(c)}\n`);
}

function machineInfo(pgVersion: string): string[] {
  const cpus = os.cpus();
  const fastify = JSON.parse(
    readFileSync(path.join(ROOT, 'node_modules', 'fastify', 'package.json'), 'utf8'),
  ) as { version: string };
  return [
    `cores: ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown'} (os.availableParallelism ${os.availableParallelism()})`,
    `memory: ${fmt(os.totalmem() / 2 ** 30, 1)} GiB · ${os.type()} ${os.release()} ${os.arch()}`,
    `node ${process.version} · fastify ${fastify.version} · PostgreSQL ${pgVersion} (local)`,
    `server UV_THREADPOOL_SIZE: ${process.env.UV_THREADPOOL_SIZE ?? os.availableParallelism()} · server runtime: ${SETTINGS.runtime === 'dist' ? 'node dist/main.js (compiled)' : 'node --import tsx src/main.ts'}`,
    `load generator: autocannon in the bench process on the same machine (shares the ${cpus.length} cores)`,
  ];
}

// ---------------------------------------------------------------------------------------------
// Main

let database: BenchDatabase | undefined;
let dataDir: string | undefined;
/** The server under test, whose log is shown when something goes wrong. */
let serverUnderTest: Child | undefined;

function serverLogTail(): string {
  const tail = serverUnderTest?.output().trim().split('\n').slice(-20).join('\n');
  return tail ? `last server log lines:\n${tail}\n` : '(the server logged nothing)\n';
}

interface Measured extends LoadResult {
  cpu: CpuUse;
}

/** Runs one load against the process `pid` and accounts the CPU everyone spent meanwhile. */
async function measured(pid: number, work: () => Promise<LoadResult>): Promise<Measured> {
  const before = sampleCpu(pid);
  const result = await work();
  const cpu = cpuUse(before, sampleCpu(pid), result.total);
  log(describeLoad(result));
  log(
    `  CPU per request: server ${fmt(cpu.serverUsPerRequest)} µs, postgres ≈ ${fmt(cpu.postgresUsPerRequest)} µs, ` +
      `autocannon ${fmt(cpu.benchUsPerRequest)} µs · machine ${fmt(cpu.busyPercent)}% busy, ` +
      `unrelated processes ${fmt(cpu.otherPercent)}%`,
  );
  if (result.non2xx > 0 || result.errors > 0) process.stdout.write(serverLogTail());
  return { ...result, cpu };
}

interface Argon2Baseline {
  verifiesPerSecond: number;
  completed: number;
  seconds: number;
  cpuMsPerVerify: number;
}

/**
 * The raw argon2id rate, in a process of its own (the server sits idle meanwhile). Measured
 * with one verify in flight per core and with as many in flight as login connections; the
 * better of the two is the baseline, so the ratio is against the fastest this machine hashes.
 */
async function argon2Baseline(label: string): Promise<Argon2Baseline> {
  const { memoryKib, iterations, parallelism } = SETTINGS.argon2;
  let best: Argon2Baseline | undefined;
  for (const inFlight of [os.availableParallelism(), SETTINGS.connections.login]) {
    const line = await runHelper(
      'argon2-baseline.ts',
      {
        ARGON2_MEMORY_KIB: String(memoryKib),
        ARGON2_ITERATIONS: String(iterations),
        ARGON2_PARALLELISM: String(parallelism),
        ARGON2_CONCURRENCY: String(inFlight),
        // Per core: the same thread pool the server gets; per connection: libuv's default.
        UV_THREADPOOL_SIZE: String(inFlight === os.availableParallelism() ? inFlight : 4),
        ARGON2_DURATION_MS: String(SETTINGS.argon2DurationMs),
      },
      60_000,
    );
    const result = JSON.parse(line) as Argon2Baseline;
    log(
      `raw argon2id ${label} (m=${memoryKib}, t=${iterations}, p=${parallelism}, ` +
        `${inFlight} in flight): ${fmt(result.verifiesPerSecond, 1)} verifies/s ` +
        `(${result.completed} in ${fmt(result.seconds, 1)} s, ${fmt(result.cpuMsPerVerify, 1)} ms CPU each)`,
    );
    if (!best || result.verifiesPerSecond > best.verifiesPerSecond) best = result;
  }
  return best!;
}

let cleaning: Promise<void> | undefined;
let interrupted = false;

/** Kills the children and drops the database; runs once however often it is called. */
function cleanup(): Promise<void> {
  cleaning ??= doCleanup();
  return cleaning;
}

async function doCleanup(): Promise<void> {
  killAllChildren();
  closeHttpAgent();
  if (database) {
    try {
      await database.drop();
      log(`dropped database ${database.name}`);
    } catch (error) {
      process.stderr.write(`could not drop database ${database.name}: ${String(error)}\n`);
    }
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const { durationS, warmupS } = SETTINGS;
  const loadAtStart = os.loadavg()[0] ?? 0;
  log(
    `Gatehouse bench: ${durationS}s per run, ${warmupS}s warm-up, admin DB ${redact(SETTINGS.adminUrl)}`,
  );
  if (SETTINGS.runtime === 'dist') await build();

  database = await createBenchDatabase(SETTINGS.adminUrl);
  log(`created database ${database.name}`);
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-bench-'));

  // 1. Start → ready: first boot (migrations + signing key), then a restart on the same DB.
  const first = await startGatehouse('gatehouse (first boot)', database.url, dataDir);
  log(`first boot (empty database): /ready 200 after ${fmt(first.readyMs)} ms`);
  await first.child.stop();
  const server = await startGatehouse('gatehouse', database.url, dataDir);
  serverUnderTest = server.child;
  log(`restart: /ready 200 after ${fmt(server.readyMs)} ms (pid ${server.child.pid})`);
  const crashed = server.child.exited.then((code) => {
    throw new Error(`gatehouse exited unexpectedly (code ${code}):\n${server.child.output()}`);
  });
  crashed.catch(() => undefined);
  const guard = <T>(work: Promise<T>) => Promise.race([work, crashed]);

  await sleep(SETTINGS.idleMs);
  const idleRss = await rssMb(server.child.pid);
  log(`idle RSS after ${SETTINGS.idleMs / 1000}s: ${fmt(idleRss, 1)} MB`);

  // 2. Password logins, bracketed by two raw argon2id baselines (machine noise shows up as a
  //    spread between them; the ratio uses their mean).
  const users = await guard(seedUsers(server.port, SETTINGS.seededUsers));
  log(`seeded ${users.length} users`);
  if (warmupS > 0) await guard(loginLoad(server.port, users, 'login warm-up', warmupS));
  const argon2Before = await argon2Baseline('before logins');
  const logins = await guard(
    measured(server.child.pid, () => loginLoad(server.port, users, 'POST /auth/login', durationS)),
  );
  const argon2After = await argon2Baseline('after logins');
  const argon2Rate = (argon2Before.verifiesPerSecond + argon2After.verifiesPerSecond) / 2;
  const argon2CpuMs = (argon2Before.cpuMsPerVerify + argon2After.cpuMsPerVerify) / 2;

  // 3. Refreshes (fresh sessions for the measured run: warm-up chains may end mid-request).
  const refreshConnections = SETTINGS.connections.refresh;
  if (warmupS > 0) {
    const warm = await guard(openSessions(server.port, users, refreshConnections));
    await guard(refreshLoad(server.port, warm, 'refresh warm-up', warmupS));
  }
  const chains = await guard(openSessions(server.port, users, refreshConnections));
  const refreshes = await guard(
    measured(server.child.pid, () =>
      refreshLoad(server.port, chains, 'POST /auth/refresh', durationS),
    ),
  );

  // 4. GET /users/me with one valid access token.
  const { access_token } = await guard(login(server.port, users[0]!));
  const meUrl = `http://127.0.0.1:${server.port}${API}/users/me`;
  const bearer = { authorization: `Bearer ${access_token}` };
  const probe = await requestJson(server.port, 'GET', `${API}/users/me`, undefined, bearer);
  if (probe.status !== 200) throw new Error(`GET /users/me: ${probe.status}`);
  if (warmupS > 0) await guard(getLoad(meUrl, '/users/me warm-up', warmupS, bearer));
  const me = await guard(
    measured(server.child.pid, () => getLoad(meUrl, 'GET /users/me', durationS, bearer)),
  );

  const loadedRss = await rssMb(server.child.pid);
  log(`RSS after load: ${fmt(loadedRss, 1)} MB`);
  await server.child.stop();
  serverUnderTest = undefined;

  // 5. Bare Fastify baseline in its own process, measured the same way.
  const barePort = await freePort();
  const bare = startChild(
    'bare fastify',
    process.execPath,
    ['--import', 'tsx', 'bench/bare-fastify.ts'],
    { env: { ...process.env, PORT: String(barePort), NODE_ENV: 'production' }, cwd: ROOT },
  );
  await waitFor200(bare, barePort, '/ping');
  const bareUrl = `http://127.0.0.1:${barePort}/ping`;
  if (warmupS > 0) await getLoad(bareUrl, 'bare warm-up', warmupS, {});
  const bareResult = await measured(bare.pid, () =>
    getLoad(bareUrl, 'GET /ping (bare Fastify)', durationS, {}),
  );
  await bare.stop();

  // Report.
  const loginRatio = logins.rps / argon2Rate;
  const loginCpuRatio = (argon2CpuMs * 1000) / logins.cpu.serverUsPerRequest;
  const meRatio = me.rps / bareResult.rps;
  const p99 = (r: LoadResult) => `${fmt(r.latencyP99)} ms`;
  const zero = (r: LoadResult) => r.non2xx + r.errors;
  const cpuPer = (r: Measured) => `${fmt(r.cpu.serverUsPerRequest)} µs`;
  const noisiest = Math.max(...[logins, refreshes, me, bareResult].map((r) => r.cpu.otherPercent));
  const rows: Row[] = [
    { metric: 'Password logins/s', value: fmt(logins.rps, 1), target: '—', verdict: '—' },
    {
      metric: 'Raw argon2id verifies/s (baseline, best of per-core and per-connection concurrency)',
      value:
        `${fmt(argon2Rate, 1)} (before ${fmt(argon2Before.verifiesPerSecond, 1)}, ` +
        `after ${fmt(argon2After.verifiesPerSecond, 1)})`,
      target: '—',
      verdict: '—',
    },
    {
      metric: 'Login ÷ argon2 ratio',
      value: fmt(loginRatio, 2),
      target: `≥ ${TARGETS.loginRatio}`,
      verdict: check(loginRatio >= TARGETS.loginRatio),
    },
    {
      metric: 'Login ÷ argon2 by CPU (argon2 CPU/verify ÷ server CPU/login)',
      value: `${fmt(loginCpuRatio, 2)} (${fmt(argon2CpuMs, 1)} ms ÷ ${fmt(logins.cpu.serverUsPerRequest / 1000, 1)} ms)`,
      target: '—',
      verdict: '—',
    },
    { metric: 'Login p99', value: p99(logins), target: '—', verdict: '—' },
    {
      metric: 'Login non-2xx + errors',
      value: String(zero(logins)),
      target: '0',
      verdict: check(zero(logins) === 0),
    },
    {
      metric: 'Refreshes/s',
      value: fmt(refreshes.rps),
      target: `≥ ${fmt(TARGETS.refreshRps)}`,
      verdict: check(refreshes.rps >= TARGETS.refreshRps),
    },
    { metric: 'Refresh p99', value: p99(refreshes), target: '—', verdict: '—' },
    { metric: 'Server CPU per refresh', value: cpuPer(refreshes), target: '—', verdict: '—' },
    {
      metric: 'Refresh non-2xx + errors',
      value: String(zero(refreshes)),
      target: '0',
      verdict: check(zero(refreshes) === 0),
    },
    {
      metric: 'GET /users/me/s',
      value: fmt(me.rps),
      target: `≥ ${fmt(TARGETS.meRps)}`,
      verdict: check(me.rps >= TARGETS.meRps),
    },
    { metric: '/users/me p99', value: p99(me), target: '—', verdict: '—' },
    { metric: 'Server CPU per /users/me', value: cpuPer(me), target: '—', verdict: '—' },
    {
      metric: '/users/me non-2xx + errors',
      value: String(zero(me)),
      target: '0',
      verdict: check(zero(me) === 0),
    },
    {
      metric: 'Bare Fastify GET/s (baseline)',
      value: fmt(bareResult.rps),
      target: '—',
      verdict: '—',
    },
    { metric: 'Bare Fastify p99', value: p99(bareResult), target: '—', verdict: '—' },
    {
      metric: 'Bare Fastify CPU per request',
      value: cpuPer(bareResult),
      target: '—',
      verdict: '—',
    },
    { metric: '/users/me ÷ bare Fastify ratio', value: fmt(meRatio, 2), target: '—', verdict: '—' },
    {
      metric: 'Idle RSS (after start)',
      value: `${fmt(idleRss, 1)} MB`,
      target: `< ${TARGETS.idleRssMb} MB`,
      verdict: check(idleRss < TARGETS.idleRssMb),
    },
    { metric: 'RSS after load', value: `${fmt(loadedRss, 1)} MB`, target: '—', verdict: '—' },
    {
      metric: 'Start → ready (first boot, migrates)',
      value: `${fmt(first.readyMs)} ms`,
      target: `< ${fmt(TARGETS.readyMs)} ms`,
      verdict: check(first.readyMs < TARGETS.readyMs),
    },
    {
      metric: 'Start → ready (restart)',
      value: `${fmt(server.readyMs)} ms`,
      target: `< ${fmt(TARGETS.readyMs)} ms`,
      verdict: check(server.readyMs < TARGETS.readyMs),
    },
    {
      metric: 'CPU used by unrelated processes (worst run)',
      value: `${fmt(noisiest)}% of the machine`,
      target: '≈ 0 for clean numbers',
      verdict: '—',
    },
  ];

  process.stdout.write('\n## Gatehouse benchmark\n\n');
  for (const line of machineInfo(database.serverVersion)) process.stdout.write(`- ${line}\n`);
  process.stdout.write(`- 1-min load average when the bench started: ${fmt(loadAtStart, 2)}\n`);
  process.stdout.write(
    `- connections: login ${SETTINGS.connections.login}, refresh ${SETTINGS.connections.refresh}, ` +
      `/users/me and bare ${SETTINGS.connections.me}; ${durationS}s per run after ${warmupS}s warm-up\n\n`,
  );
  printTable(rows);
  if (noisiest > 10) {
    process.stdout.write(
      `\nWARNING: unrelated processes used up to ${fmt(noisiest)}% of the machine's CPU during ` +
        'the measured runs; throughput and latency figures are understated. The per-request CPU ' +
        'figures are not affected by waiting and stay comparable.\n',
    );
  }
  process.stdout.write('\n');
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

process.on('exit', killAllChildren);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  // `on`, not `once`: under `npm run`/tsx the signal arrives twice (from the terminal's process
  // group and relayed by tsx), and a second one must not cut the cleanup short.
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`\n${signal}: stopping children and dropping the database\n`);
    void cleanup().finally(() => process.exit(130));
  });
}

let exitCode = 0;
try {
  await main();
} catch (error) {
  exitCode = 1;
  // After a signal the children are killed on purpose: the resulting errors are no news.
  if (!interrupted) {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    if (serverUnderTest) process.stderr.write(serverLogTail());
  }
} finally {
  await cleanup();
}
process.exit(interrupted ? 130 : exitCode);
