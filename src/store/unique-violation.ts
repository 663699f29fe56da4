/**
 * Whether a write failed because it would duplicate a UNIQUE or PRIMARY KEY value, on either
 * adapter: use cases treat that as "someone else got there first", not as a fault.
 * - SQLite (node-sqlite3): `SQLITE_CONSTRAINT: UNIQUE constraint failed: …` (PRIMARY KEY likewise);
 * - PostgreSQL (pg): SQLSTATE 23505, unique_violation, which covers primary keys too.
 */
export function isUniqueViolation(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if ((err as { code?: unknown }).code === '23505') return true;
  return /SQLITE_CONSTRAINT/.test(err.message) && /UNIQUE|PRIMARY KEY/i.test(err.message);
}
