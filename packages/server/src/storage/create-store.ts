// One factory knows the list of backends (STYLE 2); the heavy driver is imported lazily.
import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { Kysely, SqliteDialect } from 'kysely';
import type { DatabaseConfig, SqliteSynchronous } from '../config.ts';
import type { Database } from './schema.ts';
import type { Store } from './store.ts';
import { KyselyStore } from './kysely-store.ts';
import { migrate, type Capabilities } from './migrations.ts';
import { cachingStatements } from './statement-cache.ts';
import { SqliteMessages } from './sqlite-messages.ts';
import { PostgresMessages } from './postgres-messages.ts';
import type { MessageWriter } from './message-writer.ts';
import { WalSync } from './wal-sync.ts';
import { Checkpointer } from './checkpointer.ts';

const SYNCHRONOUS: Record<SqliteSynchronous, string> = { full: 'FULL', normal: 'NORMAL', off: 'OFF' };

async function sqlite(
  file: string,
  synchronous: SqliteSynchronous,
): Promise<{ db: Kysely<Database>; messages: (db: Kysely<Database>) => MessageWriter }> {
  const { default: BetterSqlite3 } = await import('better-sqlite3');
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const database = new BetterSqlite3(file);
  // The database holds auth hashes and wrapped private keys: readable by the server's user only. WAL mode
  // creates the -wal and -shm files with the database file's mode.
  chmodSync(file, 0o600);
  // [D1] WAL + synchronous=FULL (the default): a commit is on disk before the ack leaves.
  database.pragma('journal_mode = WAL');
  database.pragma(`synchronous = ${SYNCHRONOUS[synchronous]}`);
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  const statements = cachingStatements(database);
  const checkpointer = new Checkpointer(database, file);
  const closing = {
    ...statements,
    close: () => {
      void checkpointer.stop();
      statements.close();
    },
  };
  return {
    db: new Kysely<Database>({ dialect: new SqliteDialect({ database: closing }) }),
    // Its statements name the tables: prepared only once the migrations made them (and the WAL exists).
    messages: (db) =>
      new SqliteMessages(database, db, synchronous === 'full' ? new WalSync(`${file}-wal`) : undefined),
  };
}

export async function createStore(config: DatabaseConfig): Promise<Store> {
  let db: Kysely<Database>;
  let caps: Capabilities;
  let messages: (db: Kysely<Database>) => MessageWriter;
  switch (config.kind) {
    case 'sqlite':
      ({ db, messages } = await sqlite(config.path, config.synchronous ?? 'full'));
      caps = { serialId: 'autoincrement' };
      break;
    case 'postgres': {
      const { postgres } = await import('./postgres.ts');
      db = await postgres(config);
      caps = { serialId: 'identity' };
      messages = (pg) => new PostgresMessages(pg);
      break;
    }
  }
  try {
    await migrate(db as Kysely<unknown>, caps);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return new KyselyStore(db, messages(db));
}
