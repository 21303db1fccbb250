import type { Database } from '../../src/adapters/db/index.js';
import type { TestApp } from './app.js';

const connections = new WeakMap<TestApp, Promise<Database>>();
function dbOf(t: TestApp): Promise<Database> {
  let db = connections.get(t);
  if (!db) {
    db = t.db.open();
    connections.set(t, db);
  }
  return db;
}

export interface AuditRow {
  type: string;
  outcome: string;
  actor_user_id: string | null;
  subject_user_id: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  detail: Record<string, unknown>;
}

/** The audit rows about one user, oldest first, read straight from the table. */
export async function auditRows(t: TestApp, userId: string): Promise<AuditRow[]> {
  const db = await dbOf(t);
  const result = await db.query<AuditRow>(
    'test_audit_rows',
    `SELECT type, outcome, actor_user_id, subject_user_id, ip, user_agent, request_id, detail
       FROM audit_events WHERE subject_user_id = $1 ORDER BY occurred_at, seq`,
    [userId],
  );
  return result;
}

/** Every row of the table, as text: for "no secret anywhere" checks. */
export async function wholeAuditTable(t: TestApp): Promise<string> {
  const db = await dbOf(t);
  const rows = await db.query('test_audit_all', 'SELECT * FROM audit_events', []);
  return JSON.stringify(rows);
}
