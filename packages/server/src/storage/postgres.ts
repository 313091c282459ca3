// PostgreSQL for several server processes [D6]: the same Kysely store and migrations as SQLite. The pg
// driver is imported here only, lazily, by createStore. Every connection's search_path is the configured
// schema, so deployments (and test runs) can share one database without seeing each other.
import { Kysely, PostgresDialect } from 'kysely';
import type { Database } from './schema.ts';

/** 42P06 duplicate_schema / 23505 unique_violation: another process created the schema first. */
const ALREADY_THERE = new Set(['42P06', '23505']);

export async function postgres(config: { url: string; schema: string }): Promise<Kysely<Database>> {
  const { default: pg } = await import('pg');
  // The schema name was validated as a plain identifier by config.ts, so quoting it is enough.
  const pool = new pg.Pool({ connectionString: config.url, max: 10, options: `-c search_path=${config.schema}` });
  // An idle client that loses its connection emits 'error' on the pool; unhandled, that ends the process.
  // The next query fails instead, and /readyz reports it.
  pool.on('error', () => undefined);
  try {
    await pool.query(`CREATE SCHEMA IF NOT EXISTS "${config.schema}"`);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (!code || !ALREADY_THERE.has(code)) {
      await pool.end();
      throw new Error(`DATABASE_URL: cannot reach PostgreSQL or create schema ${config.schema}`, { cause: err });
    }
  }
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
