// Schema migrations, inline so they ship with the code. Written with Kysely's schema builder; the one
// dialect-specific spot is the shares id (autoincrement on SQLite, identity on PostgreSQL): a capability.
import { Migrator, type Kysely, type Migration } from 'kysely';

/** Where the SQL of the two backends really differs (STYLE 2): flags, not `if (postgres)`. */
export interface Capabilities {
  /** How an integer primary key numbers itself. */
  readonly serialId: 'autoincrement' | 'identity';
}

const init = (caps: Capabilities): Migration => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('users')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('salt', 'text', (c) => c.notNull())
      .addColumn('kdf', 'text', (c) => c.notNull())
      .addColumn('auth_hash', 'text', (c) => c.notNull())
      .addColumn('keys', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('failed_logins', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('failed_window_start', 'bigint', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema
      .createTable('sessions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('csrf_token', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();
    await db.schema
      .createTable('rooms')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('is_public', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('head_seq', 'bigint', (c) => c.notNull())
      .addColumn('head_chain', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('members')
      .addColumn('room', 'text', (c) => c.notNull().references('rooms.id'))
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('role', 'text')
      .addColumn('left_seq', 'bigint')
      .addPrimaryKeyConstraint('members_pk', ['room', 'user_id'])
      .execute();
    await db.schema.createIndex('members_user').on('members').columns(['user_id', 'room']).execute();
    await db.schema
      .createTable('events')
      .addColumn('room', 'text', (c) => c.notNull().references('rooms.id'))
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addColumn('ts', 'bigint', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('sender', 'text', (c) => c.notNull())
      .addColumn('client_msg_id', 'text')
      .addColumn('event_id', 'text')
      .addColumn('content', 'text', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .addColumn('chain', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('events_pk', ['room', 'seq'])
      .execute();
    // [D2] idempotency and [R2] replay protection are constraints, not just checks.
    await db.schema
      .createIndex('events_client_msg')
      .unique()
      .on('events')
      .columns(['room', 'sender', 'client_msg_id'])
      .execute();
    await db.schema.createIndex('events_event_id').unique().on('events').columns(['room', 'event_id']).execute();
    await db.schema
      .createTable('heads')
      .addColumn('room', 'text', (c) => c.notNull().references('rooms.id'))
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addColumn('ts', 'bigint', (c) => c.notNull())
      .addColumn('chain', 'text', (c) => c.notNull())
      .addColumn('signature', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('heads_pk', ['room', 'seq'])
      .execute();
    await db.schema
      .createTable('shares')
      .addColumn('id', 'integer', (c) =>
        caps.serialId === 'identity'
          ? c.primaryKey().generatedByDefaultAsIdentity()
          : c.primaryKey().autoIncrement(),
      )
      .addColumn('room', 'text', (c) => c.notNull())
      .addColumn('sender', 'text', (c) => c.notNull())
      .addColumn('recipient', 'text', (c) => c.notNull())
      .addColumn('session_id', 'text', (c) => c.notNull())
      .addColumn('ciphertext', 'text', (c) => c.notNull())
      .addColumn('signature', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('shares_recipient').on('shares').column('recipient').execute();
  },
});

/** [S1] Deployment-wide values every process must share (the server key and secret when in the database). */
const settings: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('settings')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute();
  },
};

/** Versions each room's membership, so a process can trust its cached member set [D6]. */
const memberSeq: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('rooms')
      .addColumn('member_seq', 'bigint', (c) => c.notNull().defaultTo(0))
      .execute();
  },
};

/**
 * Only membership changes carry an event_id, but the full unique index held an entry (NULL) for every
 * message too: one more B-tree written per message, about a fifth of a message batch's SQLite time. Unique
 * over the same non-null values, so [D2] is unchanged, and the lookup by event_id (`event_id = ?`) still uses it.
 */
const partialEventIdIndex: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.dropIndex('events_event_id').execute();
    await db.schema
      .createIndex('events_event_id')
      .unique()
      .on('events')
      .columns(['room', 'event_id'])
      .where('event_id', 'is not', null)
      .execute();
  },
};

/** [K9] The account vault: sealed records per user, and the user's change feed position. */
const vault: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('vault_records')
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('record_id', 'text', (c) => c.notNull())
      .addColumn('version', 'bigint', (c) => c.notNull())
      .addColumn('iv', 'text', (c) => c.notNull())
      .addColumn('ciphertext', 'text', (c) => c.notNull())
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('vault_records_pk', ['user_id', 'record_id'])
      .execute();
    await db.schema.createIndex('vault_records_seq').on('vault_records').columns(['user_id', 'seq']).execute();
    await db.schema
      .alterTable('users')
      .addColumn('vault_seq', 'bigint', (c) => c.notNull().defaultTo(0))
      .execute();
  },
};

/**
 * [M2] Key requests: a member missing a session asks its sender, and the request waits here until the sender's
 * client answers it or it expires. One pending request per (sender, room, requester, session).
 */
const keyRequests = (caps: Capabilities): Migration => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('key_requests')
      .addColumn('id', 'integer', (c) =>
        caps.serialId === 'identity'
          ? c.primaryKey().generatedByDefaultAsIdentity()
          : c.primaryKey().autoIncrement(),
      )
      .addColumn('sender', 'text', (c) => c.notNull())
      .addColumn('room', 'text', (c) => c.notNull())
      .addColumn('requester', 'text', (c) => c.notNull())
      .addColumn('session_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('key_requests_unique')
      .unique()
      .on('key_requests')
      .columns(['sender', 'room', 'requester', 'session_id'])
      .execute();
    await db.schema.createIndex('key_requests_requester').on('key_requests').columns(['requester']).execute();
    await db.schema.createIndex('shares_created').on('shares').columns(['recipient', 'created_at']).execute();
  },
});

/** [R5] A forwarded share names whose session it is (null: the sender's own). */
const shareOwner: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('shares').addColumn('owner', 'text').execute();
  },
};

/** Safe to run from several processes at once: Kysely's Migrator takes a lock (advisory on PostgreSQL). */
export async function migrate(db: Kysely<unknown>, caps: Capabilities): Promise<void> {
  const all = {
    '001_init': init(caps),
    '002_settings': settings,
    '003_member_seq': memberSeq,
    '004_partial_event_id_index': partialEventIdIndex,
    '005_vault': vault,
    '006_key_requests': keyRequests(caps),
    '007_share_owner': shareOwner,
  };
  const migrator = new Migrator({ db, provider: { getMigrations: () => Promise.resolve(all) } });
  const { error } = await migrator.migrateToLatest();
  if (error) throw new Error('database migration failed', { cause: error });
}
