// SQLite's message write path (message-writer.ts): a batch written by better-sqlite3 directly, in one
// synchronous BEGIN IMMEDIATE transaction of prepared statements. Through Kysely the same batch cost about a
// millisecond of JavaScript (a query tree built, compiled and frozen per statement, a promise per step), more
// than the rest of a message's life on the server; here it costs tens of microseconds. A resend [D2] is found
// by the INSERT itself (ON CONFLICT DO NOTHING on the client message id's unique index), so a fresh message
// costs no lookup. The store contract suite runs this and PostgreSQL's path alike.
import type { Database as BetterSqlite3, Statement } from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';
import type { AppendResult } from './store.ts';
import type { MemberCache, MemberEntry } from './member-cache.ts';
import { nativeB64u, rowToEvent, type EventRow, type LogTip } from './event-rows.ts';
import { writeMessages, type MessageInput, type MessageWriter } from './message-writer.ts';
import type { WalSync } from './wal-sync.ts';

interface HeadRow {
  head_seq: number;
  head_chain: string;
  member_seq: number;
}

/**
 * Smaller batches fsync inside COMMIT. The thread-pool round trip costs two wake-ups (the pool thread's and
 * the event loop's; `npm run bench:floor` measures one), more than a batch of tens of messages gains from
 * reading frames during its flush: deferring the flush from 4 messages raised both ingest p99 and CPU per
 * message (docs/performance.md, "What changed"). Bursts (a saturated server commits hundreds at once) still
 * flush on the pool.
 */
export const DEFERRED_FLUSH_MIN = 64;

export class SqliteMessages implements MessageWriter {
  private readonly selectHead: Statement<[string], HeadRow>;
  private readonly selectMembers: Statement<[string], { user_id: string }>;
  private readonly insertEvent: Statement<[EventRow]>;
  private readonly selectEarlier: Statement<[string, string, string], EventRow>;
  private readonly updateHead: Statement<[number, string, string]>;
  private readonly commitBatch: (items: readonly MessageInput[], ts: number, cache: MemberCache) => AppendResult[];
  /** Whether the last commit left its flush to the WalSync. */
  private deferred = false;
  /** Member lists read by the running transaction, kept in the cache only once it committed. */
  private loaded = new Map<string, MemberEntry>();

  private readonly unflushed: { normal: Statement; full: Statement } | null;

  /**
   * `kysely`: the Kysely instance on the same connection, whose (asynchronous) transactions this one must not
   * run inside. `wal`: commit without the inline fsync and flush the WAL off the event loop (wal-sync.ts).
   */
  constructor(
    private readonly db: BetterSqlite3,
    private readonly kysely: Kysely<Database> | null,
    private readonly wal?: WalSync,
  ) {
    this.unflushed = wal
      ? { normal: db.prepare('pragma synchronous = normal'), full: db.prepare('pragma synchronous = full') }
      : null;
    this.selectHead = db.prepare('select head_seq, head_chain, member_seq from rooms where id = ?');
    this.selectMembers = db.prepare('select user_id from members where room = ? and role is not null');
    this.insertEvent = db.prepare(
      'insert into events (room, seq, ts, kind, sender, client_msg_id, event_id, content, hash, chain) ' +
        'values (@room, @seq, @ts, @kind, @sender, @client_msg_id, @event_id, @content, @hash, @chain) ' +
        'on conflict (room, sender, client_msg_id) do nothing',
    );
    this.selectEarlier = db.prepare('select * from events where room = ? and sender = ? and client_msg_id = ?');
    this.updateHead = db.prepare('update rooms set head_seq = ?, head_chain = ? where id = ?');
    const transaction = db.transaction((items: readonly MessageInput[], ts: number, cache: MemberCache) =>
      this.write(items, ts, cache),
    );
    this.commitBatch = (items, ts, cache) => transaction.immediate(items, ts, cache);
  }

  /** Commits the batch (message-writer.ts); durable when it resolves [D1]. */
  async append(items: readonly MessageInput[], ts: number, cache: MemberCache): Promise<AppendResult[]> {
    // Kysely's transactions on this connection span several turns of the event loop; this one runs
    // synchronously, so it only waits for the connection while one of those is open. Holding Kysely's one
    // connection keeps its transactions off it meanwhile.
    const results =
      this.db.inTransaction && this.kysely
        ? await this.kysely.connection().execute(() => Promise.resolve(this.commit(items, ts, cache)))
        : this.commit(items, ts, cache);
    await this.durable();
    return results;
  }

  /**
   * Commits the batch; a batch of at least DEFERRED_FLUSH_MIN messages is durable only once `durable()`
   * resolves (wal-sync.ts), a smaller one on return.
   */
  commit(items: readonly MessageInput[], ts: number, cache: MemberCache): AppendResult[] {
    this.loaded = new Map();
    this.deferred = this.unflushed !== null && items.length >= DEFERRED_FLUSH_MIN;
    // Only this transaction skips the inline fsync: every other write on the connection keeps FULL.
    if (this.deferred) this.unflushed!.normal.run();
    try {
      const results = this.commitBatch(items, ts, cache);
      cache.keep(this.loaded);
      return results;
    } finally {
      if (this.deferred) this.unflushed!.full.run();
    }
  }

  /** Resolves once the last batch committed is on disk. */
  durable(): Promise<void> {
    return this.deferred ? this.wal!.durable() : Promise.resolve();
  }

  close(): void {
    this.wal?.close();
  }

  /** Resolves once no committed batch waits for its flush: reads show nothing that a crash could take back. */
  settled(): Promise<void> {
    return this.wal?.settled() ?? Promise.resolve();
  }

  private write(items: readonly MessageInput[], ts: number, cache: MemberCache): AppendResult[] {
    const heads = new Map<string, LogTip>();
    const members = new Map<string, ReadonlySet<string>>();
    for (const { envelope } of items) {
      if (heads.has(envelope.room)) continue;
      const row = this.selectHead.get(envelope.room);
      if (!row) continue;
      heads.set(envelope.room, {
        seq: row.head_seq,
        chain: Buffer.from(row.head_chain, 'base64url'),
        memberSeq: row.member_seq,
      });
      members.set(envelope.room, this.members(cache, envelope.room, row.member_seq));
    }
    const results = writeMessages(items, ts, heads, members, {
      earlier: (i) => {
        const row = this.selectEarlier.get(i.envelope.room, i.sender, i.envelope.clientMsgId);
        return row && rowToEvent(row);
      },
      insert: (row) => this.insertEvent.run(row).changes === 1,
    });
    for (const [room, head] of heads) this.updateHead.run(head.seq, nativeB64u(head.chain), room);
    return results;
  }

  private members(cache: MemberCache, room: string, version: number): ReadonlySet<string> {
    const hit = cache.cached(room, version);
    if (hit) return hit;
    const users = new Set(this.selectMembers.all(room).map((r) => r.user_id));
    this.loaded.set(room, { version, users });
    return users;
  }
}
