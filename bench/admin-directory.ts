/**
 * Admin directory benchmark: `npm run bench:admin [-- --keep --explain --users=N --requests=N]`.
 *
 * Creates the database `gatehouse_bench_directory` on the PostgreSQL server of DATABASE_URL
 * (default postgres://postgres@127.0.0.1:5432/test), migrates it with Gatehouse's own
 * migrations, seeds 1,000,000 users server-side (generate_series), starts the real app
 * (openGatehouse, listening on a port, rate limits off) and measures GET /api/v1/users over
 * HTTP with an admin token, sequentially: prefix search (email, username, name), the first
 * page, deep pages, and the role / status / verified filters. Prints p50/p95/p99 per scenario
 * and the seed time, then drops the database unless `--keep`.
 *
 * `--explain` prints the plan of each filter's query first (which index it uses).
 *
 * Targets (issue #7): seed < 2 min; p95 < 20 ms for prefix search and the first and deep pages.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { openPostgresDatabase } from '../src/adapters/db/postgres.js';
import { loadConfig } from '../src/config.js';
import { openGatehouse } from '../src/gatehouse.js';
import {
  UserDirectory,
  encodeDirectoryCursor,
  type DirectoryFilter,
} from '../src/modules/admin/user-directory.js';
import { DEFAULT_ADMIN_URL } from './lib/database.js';
import { closeHttpAgent, requestJson } from './lib/http.js';

const DATABASE_NAME = 'gatehouse_bench_directory';
const API = '/api/v1';

function argValue(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((arg) => arg.startsWith(prefix))?.slice(prefix.length);
}

const SETTINGS = {
  adminUrl: process.env.DATABASE_URL?.trim() || DEFAULT_ADMIN_URL,
  keep: process.argv.includes('--keep'),
  /** Print the plan of each filter's query (EXPLAIN ANALYZE) before measuring. */
  explain: process.argv.includes('--explain'),
  users: Number(argValue('users') ?? 1_000_000),
  /** Holders of the extra `support` role. */
  supportUsers: 3_000,
  requestsPerScenario: Number(argValue('requests') ?? 300),
  warmupPerScenario: 20,
  deepWalkPages: 200,
};

const TARGET_P95_MS = 20;
const TARGET_SEED_MS = 120_000;

function log(message: string): void {
  process.stdout.write(`· ${message}\n`);
}

function databaseUrl(name: string): string {
  const url = new URL(SETTINGS.adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------
// Seed

const FIRST_NAMES = [
  'James',
  'Mary',
  'John',
  'Patricia',
  'Robert',
  'Jennifer',
  'Michael',
  'Linda',
  'William',
  'Elizabeth',
  'David',
  'Barbara',
  'Richard',
  'Susan',
  'Joseph',
  'Jessica',
  'Thomas',
  'Sarah',
  'Charles',
  'Karen',
  'Wei',
  'Li',
  'Mohammed',
  'Fatima',
  'Ana',
  'José',
  'María',
  'Juan',
  'Olga',
  'Ivan',
  'Yuki',
  'Hiro',
  'Priya',
  'Arjun',
  'Amara',
  'Kwame',
  'Sven',
  'Ingrid',
  'Lars',
  'Chloé',
  'Lucas',
  'Emma',
  'Noah',
  'Olivia',
  'Liam',
  'Ava',
  'Mateo',
  'Sofia',
  'Zoë',
  'Nikolai',
];
const LAST_NAMES = [
  'Smith',
  'Johnson',
  'Williams',
  'Brown',
  'Jones',
  'Garcia',
  'Miller',
  'Davis',
  'Rodriguez',
  'Martinez',
  'Hernandez',
  'Lopez',
  'Gonzalez',
  'Wilson',
  'Anderson',
  'Thomas',
  'Taylor',
  'Moore',
  'Jackson',
  'Martin',
  'Lee',
  'Perez',
  'Thompson',
  'White',
  'Harris',
  'Sanchez',
  'Clark',
  'Wang',
  'Zhang',
  'Chen',
  'Nguyen',
  'Kim',
  'Patel',
  'Singh',
  'Kumar',
  'Müller',
  'Schmidt',
  'Rossi',
  'Dubois',
  'Novak',
  'Kowalski',
  'Ivanova',
  'Tanaka',
  'Sato',
  'Okafor',
  'Mensah',
  'Larsen',
  'Johansson',
  'Silva',
  'Santos',
];
const DOMAINS = [
  'example.com',
  'mail.test',
  'corp.example',
  'example.org',
  'inbox.test',
  'uni.example.edu',
];

/** A SQL array literal of plain words (ours, no quotes inside). */
function textArray(words: string[]): string {
  return `ARRAY[${words.map((word) => `'${word}'`).join(',')}]`;
}

/**
 * One INSERT … SELECT: names drawn from the lists, emails and usernames in a few shapes made
 * unique by the row number, mixed statuses (deleted rows anonymised as Gatehouse does), ~70%
 * verified, created_at spread over five years.
 */
function seedUsersSql(count: number): string {
  const first = textArray(FIRST_NAMES);
  const last = textArray(LAST_NAMES);
  const domains = textArray(DOMAINS);
  return `
WITH draws AS (
  SELECT g,
    (${first})[1 + floor(random() * ${FIRST_NAMES.length})::int] AS first_name,
    (${first})[1 + floor(random() * ${FIRST_NAMES.length})::int] AS middle_name,
    (${last})[1 + floor(random() * ${LAST_NAMES.length})::int] AS last_name,
    (${domains})[1 + floor(random() * ${DOMAINS.length})::int] AS domain,
    random() AS shape, random() AS state, random() AS verified,
    now() - random() * interval '5 years' AS created_at
  FROM generate_series(1, ${count}) AS g
), shaped AS (
  SELECT g, created_at, verified,
    CASE WHEN state < 0.94 THEN 'active' WHEN state < 0.97 THEN 'locked'
         WHEN state < 0.99 THEN 'disabled' ELSE 'deleted' END AS status,
    CASE WHEN shape < 0.1 THEN NULL
         WHEN shape < 0.3 THEN first_name || ' ' || middle_name || ' ' || last_name
         ELSE first_name || ' ' || last_name END AS full_name,
    CASE WHEN shape < 0.5 THEN lower(first_name || '.' || last_name) || g
         WHEN shape < 0.8 THEN lower(left(first_name, 1) || last_name) || g
         ELSE lower(last_name || '_' || first_name) || g END AS local_part,
    domain
  FROM draws
)
INSERT INTO users (email, username, full_name, status, email_verified_at, password_hash,
                   created_at, updated_at)
SELECT
  CASE WHEN status = 'deleted' THEN NULL ELSE local_part || '@' || domain END,
  CASE WHEN status = 'deleted' OR g % 10 = 0 THEN NULL
       ELSE replace(local_part, '.', '_') END,
  CASE WHEN status = 'deleted' THEN NULL ELSE full_name END,
  status,
  CASE WHEN verified < 0.7 AND status <> 'deleted' THEN created_at + interval '1 hour' END,
  NULL,
  created_at,
  created_at
FROM shaped`;
}

/** Plain (non-constraint) indexes of the tables we seed, to rebuild after the bulk insert. */
async function secondaryIndexes(
  client: pg.Client,
): Promise<{ name: string; definition: string }[]> {
  const { rows } = await client.query<{ name: string; definition: string }>(`
    SELECT i.indexname AS name, i.indexdef AS definition
    FROM pg_indexes i
    WHERE i.schemaname = 'public' AND i.tablename IN ('users', 'user_roles')
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = (quote_ident(i.indexname))::regclass)
    ORDER BY i.indexname`);
  return rows;
}

async function seed(url: string, count: number): Promise<number> {
  const started = performance.now();
  await withClient(url, async (client) => {
    // Bulk-load the usual way: secondary indexes dropped and built once afterwards from their
    // own definitions (a sorted build beats a million index insertions), foreign-key triggers
    // off for the load (the rows are consistent by construction).
    const indexes = await secondaryIndexes(client);
    for (const index of indexes) await client.query(`DROP INDEX "${index.name}"`);
    // The citext unique constraints too: each insertion compares case-folded text.
    const { rows: uniques } = await client.query<{ name: string; definition: string }>(
      `SELECT conname AS name, pg_get_constraintdef(oid) AS definition
       FROM pg_constraint WHERE conrelid = 'users'::regclass AND contype = 'u'`,
    );
    for (const unique of uniques) {
      await client.query(`ALTER TABLE users DROP CONSTRAINT "${unique.name}"`);
    }
    await client.query(`SET session_replication_role = replica`);
    await client.query(`SET maintenance_work_mem = '512MB'`);
    await client.query(`SELECT setseed(0.42)`);
    await client.query(seedUsersSql(count));
    await client.query(`INSERT INTO user_roles (user_id, role_name) SELECT id, 'user' FROM users`);
    await client.query(
      `INSERT INTO roles (name, description) VALUES ('support', 'Help desk') ON CONFLICT DO NOTHING`,
    );
    await client.query(
      `INSERT INTO role_permissions (role_name, permission) VALUES ('support', 'users:read') ON CONFLICT DO NOTHING`,
    );
    await client.query(
      `INSERT INTO user_roles (user_id, role_name)
       SELECT id, 'support' FROM users TABLESAMPLE BERNOULLI (${(100 * SETTINGS.supportUsers) / count})`,
    );
    await client.query(`SET session_replication_role = origin`);
    log(`rows in ${((performance.now() - started) / 1000).toFixed(1)} s; building indexes`);
    // Two connections: each CREATE INDEX is one sort, mostly on one core.
    await withClient(url, async (second) => {
      await second.query(`SET maintenance_work_mem = '512MB'`);
      const queue = [...indexes];
      const worker = async (connection: pg.Client) => {
        for (let index = queue.shift(); index; index = queue.shift()) {
          await connection.query(index.definition);
        }
      };
      await Promise.all([worker(client), worker(second)]);
      for (const unique of uniques) {
        await client.query(
          `ALTER TABLE users ADD CONSTRAINT "${unique.name}" ${unique.definition}`,
        );
      }
    });
    await client.query('VACUUM ANALYZE users');
    await client.query('VACUUM ANALYZE user_roles');
  });
  return performance.now() - started;
}

// ---------------------------------------------------------------------------------------------
// Measure

interface Scenario {
  name: string;
  /** Counted against the p95 target. */
  targeted: boolean;
  /** Query strings, used in turn. */
  queries: string[];
}

interface Measured {
  name: string;
  targeted: boolean;
  requests: number;
  p50: number;
  p95: number;
  p99: number;
  items: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function get(port: number, token: string, query: string) {
  const started = performance.now();
  // A query starting with `/` is a whole path (the baseline); anything else is GET /users?….
  const url = query.startsWith('/') ? `${API}${query}` : `${API}/users?${query}`;
  const response = await requestJson(port, 'GET', url, undefined, {
    authorization: `Bearer ${token}`,
  });
  const ms = performance.now() - started;
  if (response.status !== 200) {
    throw new Error(`GET ${url}: ${response.status} ${JSON.stringify(response.body)}`);
  }
  const body = response.body as { items?: unknown[]; next_cursor?: string | null };
  return { ms, body: { items: body.items ?? [], next_cursor: body.next_cursor ?? null } };
}

async function measure(port: number, token: string, scenario: Scenario): Promise<Measured> {
  for (let i = 0; i < SETTINGS.warmupPerScenario; i += 1) {
    await get(port, token, scenario.queries[i % scenario.queries.length]!);
  }
  const times: number[] = [];
  let items = 0;
  let slowest = { ms: 0, query: '' };
  for (let i = 0; i < SETTINGS.requestsPerScenario; i += 1) {
    const query = scenario.queries[i % scenario.queries.length]!;
    const { ms, body } = await get(port, token, query);
    times.push(ms);
    items += body.items.length;
    if (ms > slowest.ms) slowest = { ms, query };
  }
  log(`${scenario.name}: slowest ${slowest.ms.toFixed(1)} ms for ?${slowest.query}`);
  times.sort((a, b) => a - b);
  return {
    name: scenario.name,
    targeted: scenario.targeted,
    requests: times.length,
    p50: percentile(times, 50),
    p95: percentile(times, 95),
    p99: percentile(times, 99),
    items: items / times.length,
  };
}

const qs = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

/** Prefixes of real values at several lengths: a letter or two, a name, most of a value. */
function prefixesOf(values: string[]): string[] {
  const out = new Set<string>();
  values.forEach((value, i) => {
    const length = [1, 2, 3, 5, 8, 12][i % 6]!;
    out.add(value.slice(0, Math.min(length, value.length)));
  });
  return [...out];
}

async function scenarios(url: string, port: number, token: string): Promise<Scenario[]> {
  const sample = await withClient(url, async (client) => {
    const { rows } = await client.query<{ email: string; username: string | null }>(
      `SELECT email, username FROM users TABLESAMPLE SYSTEM (0.5) WHERE status <> 'deleted' LIMIT 60`,
    );
    // Cursors for positions deep in the data: the row at each offset, newest first.
    const deep: string[] = [];
    for (const offset of [100_000, 300_000, 500_000, 700_000, 900_000]) {
      if (offset >= SETTINGS.users) continue;
      const { rows: at } = await client.query<{ position: string; id: string }>(
        `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS position, id
         FROM users WHERE status <> 'deleted' ORDER BY created_at DESC, id DESC OFFSET $1 LIMIT 1`,
        [offset],
      );
      if (at[0]) deep.push(encodeDirectoryCursor({ createdAt: at[0].position, id: at[0].id }));
    }
    return { rows, deep };
  });

  // Follow next_cursor page after page, as a client would; the last cursor is a deep page.
  let cursor: string | null = null;
  const walk: number[] = [];
  for (let i = 0; i < SETTINGS.deepWalkPages; i += 1) {
    const { ms, body } = await get(port, token, qs(cursor ? { cursor } : {}));
    walk.push(ms);
    cursor = body.next_cursor;
    if (!cursor) break;
  }
  walk.sort((a, b) => a - b);
  log(
    `walked ${walk.length} pages: p50 ${percentile(walk, 50).toFixed(2)} ms, p95 ${percentile(walk, 95).toFixed(2)} ms`,
  );

  const emails = sample.rows.map((row) => row.email);
  const usernames = sample.rows.flatMap((row) => (row.username ? [row.username] : []));
  const names = [
    ...FIRST_NAMES.slice(0, 12).map((name) => name.slice(0, 3)),
    ...LAST_NAMES.slice(0, 12),
    'Garc',
    'smi',
    'Zhang',
    'Ivanova',
    'ok',
    'mül',
    'José G',
    'Mary Smith',
    'li w',
  ];
  return [
    {
      // What this machine adds to any authenticated request: the floor under every figure.
      name: 'baseline: GET /users/me (auth + one row)',
      targeted: false,
      queries: ['/users/me'],
    },
    { name: 'first page', targeted: true, queries: [''] },
    {
      name: `deep page (cursor after ${SETTINGS.deepWalkPages} pages)`,
      targeted: true,
      queries: [qs({ cursor: cursor ?? '' })].filter((query) => query !== 'cursor='),
    },
    {
      name: 'deep page (cursors at rows 100k…900k)',
      targeted: true,
      queries: sample.deep.map((deep) => qs({ cursor: deep })),
    },
    { name: 'q: email prefix', targeted: true, queries: prefixesOf(emails).map((q) => qs({ q })) },
    {
      name: 'q: username prefix',
      targeted: true,
      queries: prefixesOf(usernames).map((q) => qs({ q })),
    },
    { name: 'q: name prefix / word', targeted: true, queries: names.map((q) => qs({ q })) },
    {
      name: 'q + deep page (cursor at 500k)',
      targeted: true,
      queries: sample.deep
        .slice(2, 3)
        .flatMap((deep) => ['sm', 'ma', 'j', 'garcia'].map((q) => qs({ q, cursor: deep }))),
    },
    { name: 'role=support (3k holders)', targeted: false, queries: [qs({ role: 'support' })] },
    { name: 'role=user (everyone)', targeted: false, queries: [qs({ role: 'user' })] },
    {
      name: 'status=locked / disabled / deleted',
      targeted: false,
      queries: ['locked', 'disabled', 'deleted'].map((status) => qs({ status })),
    },
    {
      name: 'verified=true / false',
      targeted: false,
      queries: ['true', 'false'].map((verified) => qs({ verified })),
    },
    {
      name: 'combined: q + status + verified + role',
      targeted: false,
      queries: ['sm', 'wang', 'ana'].map((q) =>
        qs({ q, status: 'active', verified: 'true', role: 'user' }),
      ),
    },
  ].filter((scenario) => scenario.queries.length > 0);
}

// ---------------------------------------------------------------------------------------------
// Plans

/**
 * EXPLAIN ANALYZE of the page query the directory really sends for each filter (captured from
 * its pool), condensed to the plan's nodes: shows which index each filter uses.
 */
async function explainPlans(url: string): Promise<void> {
  const database = await openPostgresDatabase({ url, poolSize: 1 });
  const pool = (database.db as unknown as { session: { client: pg.Pool } }).session.client;
  const sent: { text: string; values: unknown[] }[] = [];
  type Query = (config: unknown, values?: unknown) => Promise<unknown>;
  const query = pool.query.bind(pool) as Query;
  (pool as unknown as { query: Query }).query = (config, values) => {
    const { text, values: bound } = config as { text: string; values?: unknown[] };
    sent.push({ text, values: bound ?? (values as unknown[] | undefined) ?? [] });
    return query(config, values);
  };
  const directory = new UserDirectory(database);
  const cases: [string, DirectoryFilter][] = [
    ['plain list', {}],
    ['q=j', { q: 'j' }],
    ['q=smi', { q: 'smi' }],
    ['q=jsmith', { q: 'jsmith' }],
    ['q=lsa', { q: 'lsa' }],
    ['q=wang', { q: 'wang' }],
    ['q=john.smith1', { q: 'john.smith1' }],
    ['role=support', { role: 'support' }],
    ['role=user', { role: 'user' }],
    ['status=locked', { status: 'locked' }],
    ['verified=false', { verified: false }],
    [
      'q=ma&status=active&verified=true&role=user',
      {
        q: 'ma',
        status: 'active',
        verified: true,
        role: 'user',
      },
    ],
  ];
  try {
    await withClient(url, async (client) => {
      for (const [name, filter] of cases) {
        sent.length = 0;
        const first = await directory.list(filter, 50);
        const firstStatements = [...sent];
        sent.length = 0;
        if (first.nextCursor) await directory.list(filter, 50, first.nextCursor);
        const pages = [
          ['first page', firstStatements],
          ['next page', [...sent]],
        ] as const;
        for (const [label, statements] of pages) {
          // Every id query (the last statement fetches the page's rows by primary key).
          for (const statement of statements.slice(0, -1)) {
            const { rows } = await client.query<{ 'QUERY PLAN': string }>({
              text: `EXPLAIN (ANALYZE, COSTS OFF) ${statement.text}`,
              values: statement.values,
            });
            const nodes = rows
              .map((row) => row['QUERY PLAN'])
              .filter((line) => /->|Execution Time/.test(line) && !/Cond:|Filter:/.test(line))
              .map((line) =>
                line
                  .trim()
                  .replace(/\(actual[^)]*\)/, '')
                  .replace(/\s+/g, ' '),
              );
            log(`plan ${name} (${label}): ${nodes.join(' | ')}`);
          }
        }
      }
    });
  } finally {
    await database.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Run

async function main(): Promise<void> {
  const url = databaseUrl(DATABASE_NAME);
  await withClient(SETTINGS.adminUrl, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS "${DATABASE_NAME}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${DATABASE_NAME}"`);
  });
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-bench-directory-'));
  let gatehouse: Awaited<ReturnType<typeof openGatehouse>> | undefined;
  try {
    const database = await openPostgresDatabase({ url, poolSize: 2 });
    await database.migrate();
    await database.close();
    log(`migrated ${DATABASE_NAME}; seeding ${SETTINGS.users.toLocaleString('en')} users`);
    const seedMs = await seed(url, SETTINGS.users);
    log(`seeded in ${(seedMs / 1000).toFixed(1)} s`);
    if (SETTINGS.explain) await explainPlans(url);

    const config = loadConfig({
      DATABASE_URL: url,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_ENABLED: 'false',
      PUBLIC_URL: 'http://127.0.0.1',
    });
    gatehouse = await openGatehouse(config, { logger: false });
    await gatehouse.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (gatehouse.app.server.address() as AddressInfo).port;

    const admin = {
      email: 'bench-admin@example.com',
      password: 'Bench-Directory-Admin-Lantern-42',
    };
    const registered = await requestJson(port, 'POST', `${API}/auth/register`, admin);
    if (registered.status !== 201) throw new Error(`register: ${JSON.stringify(registered.body)}`);
    await withClient(url, (client) =>
      client.query(`INSERT INTO user_roles (user_id, role_name) VALUES ($1, 'admin')`, [
        registered.body.user.id,
      ]),
    );
    const login = await requestJson(port, 'POST', `${API}/auth/login`, {
      identifier: admin.email,
      password: admin.password,
    });
    if (login.status !== 200) throw new Error(`login: ${JSON.stringify(login.body)}`);
    const token = login.body.access_token as string;

    const results: Measured[] = [];
    for (const scenario of await scenarios(url, port, token)) {
      const result = await measure(port, token, scenario);
      log(`${result.name}: p95 ${result.p95.toFixed(2)} ms`);
      results.push(result);
    }
    report(seedMs, results);
  } finally {
    await gatehouse?.close();
    closeHttpAgent();
    rmSync(dataDir, { recursive: true, force: true });
    if (SETTINGS.keep) log(`kept ${url}`);
    else {
      await withClient(SETTINGS.adminUrl, (client) =>
        client.query(`DROP DATABASE IF EXISTS "${DATABASE_NAME}" WITH (FORCE)`),
      );
    }
  }
}

function report(seedMs: number, results: Measured[]): void {
  const ms = (value: number) => value.toFixed(2);
  const lines = [
    '',
    `Admin directory on PostgreSQL, ${SETTINGS.users.toLocaleString('en')} users, sequential requests over HTTP`,
    '',
    `Seed: ${(seedMs / 1000).toFixed(1)} s (target < ${TARGET_SEED_MS / 1000} s) ${seedMs < TARGET_SEED_MS ? 'PASS' : 'FAIL'}`,
    '',
    '| scenario | requests | items/page | p50 ms | p95 ms | p99 ms | target p95 < 20 ms |',
    '|---|---:|---:|---:|---:|---:|---|',
    ...results.map(
      (r) =>
        `| ${r.name} | ${r.requests} | ${r.items.toFixed(1)} | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.p99)} | ${
          r.targeted ? (r.p95 < TARGET_P95_MS ? 'PASS' : 'FAIL') : '(not targeted)'
        } |`,
    ),
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
