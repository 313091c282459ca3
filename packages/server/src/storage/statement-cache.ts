// Kysely's SqliteDialect prepares every query afresh; preparing costs as much as running a small statement.
// Kysely takes any object of better-sqlite3's shape, so `prepare` is wrapped with a cache keyed by the SQL
// text (Kysely compiles the same builder to the same text, with values as parameters).
import type { Database as BetterSqlite3, Statement } from 'better-sqlite3';

/** Distinct statements kept: the store has a few dozen shapes; the bound only guards against surprises. */
const MAX_STATEMENTS = 500;

export interface PreparingDatabase {
  close(): void;
  prepare(sql: string): Statement;
}

export function cachingStatements(db: BetterSqlite3, max = MAX_STATEMENTS): PreparingDatabase {
  const cache = new Map<string, Statement>();
  return {
    close: () => {
      cache.clear();
      db.close();
    },
    prepare(sql: string): Statement {
      let stmt = cache.get(sql);
      if (stmt) return stmt;
      stmt = db.prepare(sql);
      // Map order is insertion order: the oldest statement goes first (a finalised statement is GC's job).
      if (cache.size >= max) cache.delete(cache.keys().next().value!);
      cache.set(sql, stmt);
      return stmt;
    },
  };
}
