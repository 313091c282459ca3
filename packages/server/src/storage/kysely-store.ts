// The one Store implementation, Kysely on SQLite and PostgreSQL; messages go through the backend's own write path.
import { sql, type Kysely } from 'kysely';
import {
  MAX_VAULT_RECORDS,
  type AccountKeys,
  type Head,
  type KdfParams,
  type VaultRecord,
} from '@parley/protocol';
import type { Database } from './schema.ts';
import type {
  AppendInput,
  AppendResult,
  SessionRecord,
  Store,
  StoredKeyRequest,
  StoredShare,
  UserRecord,
  VaultRefusal,
} from './store.ts';
import * as pending from './pending-keys.ts';
import { isUniqueViolation } from './db-errors.ts';
import { appendMembership, type MembershipInput } from './room-log.ts';
import type { MessageInput, MessageWriter } from './message-writer.ts';
import { MemberCache } from './member-cache.ts';
import * as reads from './room-reads.ts';
import { claimSetting, readSetting } from './settings.ts';
import { vaultAfter, writeVault } from './vault-store.ts';

type NewShare = Omit<StoredShare, 'id' | 'room' | 'sender'>;

type SessionRow = Database['sessions'];
const toSession = (
  r: Pick<SessionRow, 'id' | 'user_id' | 'csrf_token' | 'created_at' | 'last_seen_at'>,
): SessionRecord => ({
  id: r.id,
  user: r.user_id,
  csrfToken: r.csrf_token,
  createdAt: Number(r.created_at),
  lastSeenAt: Number(r.last_seen_at),
});

/** Carries a vault refusal out of a transaction, so that the transaction rolls back. */
class VaultRollback extends Error {
  constructor(readonly refusal: VaultRefusal) {
    super('vault write refused');
  }
}

export class KyselyStore implements Store {
  /** Per process: who may post where, versioned by the rooms' member_seq [D6]. */
  private readonly memberCache = new MemberCache();
  /** `messages`: the backend's message write path (sqlite-messages.ts, postgres-messages.ts). */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly messages: MessageWriter,
  ) {}

  async createUser(u: Omit<UserRecord, 'failedLogins' | 'failedWindowStart'>, now: number): Promise<boolean> {
    try {
      await this.db
        .insertInto('users')
        .values({
          id: u.id,
          salt: u.salt,
          kdf: JSON.stringify(u.kdf),
          auth_hash: u.authHash,
          keys: JSON.stringify(u.keys),
          created_at: now,
          failed_logins: 0,
          failed_window_start: 0,
        })
        .execute();
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  async getUser(id: string): Promise<UserRecord | undefined> {
    const r = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) return undefined;
    return {
      id: r.id,
      salt: r.salt,
      kdf: JSON.parse(r.kdf) as KdfParams,
      authHash: r.auth_hash,
      keys: JSON.parse(r.keys) as AccountKeys,
      failedLogins: Number(r.failed_logins),
      failedWindowStart: Number(r.failed_window_start),
    };
  }

  async userExists(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.db
      .selectFrom('users')
      .select('id')
      .where('id', 'in', [...ids])
      .execute();
    return new Set(rows.map((r) => r.id));
  }

  async setLoginFailures(id: string, count: number, windowStart: number): Promise<void> {
    await this.db
      .updateTable('users')
      .set({ failed_logins: count, failed_window_start: windowStart })
      .where('id', '=', id)
      .execute();
  }

  async changePassword(
    c: { user: string; salt: string; kdf: KdfParams; authHash: string; keys: AccountKeys },
    keepSessionId: string,
    vault?: readonly VaultRecord[],
  ): Promise<{ sessionsEnded: string[] } | VaultRefusal> {
    return this.db
      .transaction()
      .execute(async (trx) => {
        if (vault) {
          const written = await writeVault(trx, c.user, vault, {
            maxRecords: MAX_VAULT_RECORDS,
            mustCoverAll: true,
          });
          // A refusal rolls the whole change back: the password and the vault move together or not at all.
          if ('refused' in written) throw new VaultRollback(written);
        }
        await trx
          .updateTable('users')
          .set({ salt: c.salt, kdf: JSON.stringify(c.kdf), auth_hash: c.authHash, keys: JSON.stringify(c.keys) })
          .where('id', '=', c.user)
          .execute();
        const gone = await trx
          .deleteFrom('sessions')
          .where('user_id', '=', c.user)
          .where('id', '!=', keepSessionId)
          .returning('id')
          .execute();
        return { sessionsEnded: gone.map((r) => r.id) };
      })
      .catch((e: unknown) => {
        if (e instanceof VaultRollback) return e.refusal;
        throw e;
      });
  }

  vaultAfter = (user: string, after: number, limit: number) => vaultAfter(this.db, user, after, limit);

  async putVault(user: string, records: readonly VaultRecord[], maxRecords: number) {
    return this.db
      .transaction()
      .execute(async (trx) => {
        const written = await writeVault(trx, user, records, { maxRecords });
        if ('refused' in written) throw new VaultRollback(written);
        return written;
      })
      .catch((e: unknown) => {
        if (e instanceof VaultRollback) return e.refusal;
        throw e;
      });
  }

  async createSession(s: SessionRecord & { tokenHash: string }): Promise<void> {
    await this.db
      .insertInto('sessions')
      .values({
        id: s.id,
        token_hash: s.tokenHash,
        user_id: s.user,
        csrf_token: s.csrfToken,
        created_at: s.createdAt,
        last_seen_at: s.lastSeenAt,
      })
      .execute();
  }

  async findSession(tokenHash: string): Promise<SessionRecord | undefined> {
    const r = await this.db
      .selectFrom('sessions')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
    return r && toSession(r);
  }

  async touchSession(id: string, now: number): Promise<void> {
    await this.db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', id).execute();
  }

  async deleteSession(id: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('id', '=', id).execute();
  }

  async listSessions(user: string): Promise<SessionRecord[]> {
    const rows = await this.db
      .selectFrom('sessions')
      .selectAll()
      .where('user_id', '=', user)
      .orderBy('created_at')
      .execute();
    return rows.map(toSession);
  }

  /**
   * Messages go to the backend's message path, membership changes to room-log.ts: each run of one kind in one
   * transaction, the runs in order (a kick then a message in one batch: the message sees the kick [M11]).
   */
  async appendBatch(items: readonly AppendInput[], ts: number): Promise<AppendResult[]> {
    const results: AppendResult[] = [];
    for (let at = 0; at < items.length;) {
      const messages = items[at]!.kind === 'message';
      let end = at + 1;
      while (end < items.length && (items[end]!.kind === 'message') === messages) end++;
      const run = items.slice(at, end);
      results.push(
        ...(messages
          ? await this.messages.append(run as MessageInput[], ts, this.memberCache)
          : await appendMembership(this.db, run as MembershipInput[], ts, this.memberCache)),
      );
      at = end;
    }
    return results;
  }

  async insertHeads(heads: readonly Head[]): Promise<void> {
    if (heads.length === 0) return;
    await this.db
      .insertInto('heads')
      .values(heads.map((h) => ({ ...h })))
      .onConflict((oc) => oc.columns(['room', 'seq']).doNothing())
      .execute();
  }

  roomsOf = (user: string) => reads.roomsOf(this.db, user);
  publicRooms = (user: string) => reads.publicRooms(this.db, user);
  getRoom = (id: string, user: string) => reads.getRoom(this.db, id, user);
  members = (room: string) => reads.members(this.db, room);
  membership = (room: string, user: string) => reads.membership(this.db, room, user);
  coMembers = (user: string) => reads.coMembers(this.db, user);
  // Events and heads are read only once the message batches committed before the read are on disk.
  readEvents = async (room: string, q: { after?: number; before?: number; limit: number; maxSeq?: number }) => {
    await this.messages.settled();
    return reads.readEvents(this.db, room, q);
  };
  readHeads = async (room: string, lo: number, hi: number) => {
    await this.messages.settled();
    return reads.readHeads(this.db, room, lo, hi);
  };
  headSeq = async (room: string) => {
    await this.messages.settled();
    return reads.headSeq(this.db, room);
  };

  insertShares = (room: string, sender: string, shares: readonly NewShare[], limits: { maxPending: number }) =>
    pending.insertShares(this.db, room, sender, shares, limits.maxPending);
  sharesFor = (recipient: string, since: number) => pending.sharesFor(this.db, recipient, since);
  deleteShares = (recipient: string, ids: readonly number[]) => pending.deleteShares(this.db, recipient, ids);
  dropPending = (room: string, user: string) => pending.dropPending(this.db, room, user);
  insertKeyRequest = (r: Omit<StoredKeyRequest, 'id'>) => pending.insertKeyRequest(this.db, r);
  pendingKeyRequests = (requester: string) => pending.pendingKeyRequests(this.db, requester);
  keyRequestsFor = (sender: string, since: number) => pending.keyRequestsFor(this.db, sender, since);
  deleteKeyRequests = (sender: string, ids: readonly number[]) => pending.deleteKeyRequests(this.db, sender, ids);

  claimSetting = (name: string, value: string) => claimSetting(this.db, name, value);
  readSetting = (name: string) => readSetting(this.db, name);

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  async close(): Promise<void> {
    await this.messages.settled();
    await this.db.destroy();
    this.messages.close();
  }
}
