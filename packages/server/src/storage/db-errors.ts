// What the database said, told apart the same way on every backend.

/**
 * A unique-constraint violation: PostgreSQL's SQLSTATE 23505, or SQLite's "UNIQUE constraint failed" (better-sqlite3
 * gives no SQLSTATE; its code is SQLITE_CONSTRAINT_UNIQUE, and the message says it).
 */
export const isUniqueViolation = (err: unknown): boolean =>
  (err as { code?: unknown } | null)?.code === '23505' ||
  (err as { code?: unknown } | null)?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
  (err instanceof Error && /unique/i.test(err.message));
