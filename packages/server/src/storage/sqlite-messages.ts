// The group commit's fast path on SQLite: a batch of messages written by better-sqlite3 directly, in one
// synchronous BEGIN IMMEDIATE transaction of prepared statements. Through Kysely the same batch cost about a
// millisecond of JavaScript (a query tree built, compiled and frozen per statement, a promise per step), more
// than the rest of a message's life on the server; here it costs tens of microseconds. Same rows, same
// checks and the same event construction (`nextEvent`) as the Kysely path of message-batch.ts, which
// PostgreSQL uses; the store contract suite runs both.
import type { Database as BetterSqlite3, Statement } from 'better-sqlite3';
import type { AppendResult } from './store.ts';
import type { MemberCache, MemberEntry } from './member-cache.ts';
import { buildMessages, type MessageInput } from './message-batch.ts';
import { nativeB64u, type EventRow, type LogTip } from './room-log.ts';
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

export class SqliteMessages {
  private readonly selectHead: Statement<[string], HeadRow>;
  private readonly selectMembers: Statement<[string], { user_id: string }>;
  private readonly insertEvent: Statement<[EventRow]>;
  private readonly updateHead: Statement<[number, string, string]>;
  private readonly commitBatch: (items: readonly MessageInput[], ts: number, cache: MemberCache) => AppendResult[];
  /** Whether the last commit left its flush to the WalSync. */
  private deferred = false;
  /** Member lists read by the running transaction, kept in the cache only once it committed. */
  private loaded = new Map<string, MemberEntry>();

  private readonly unflushed: { normal: Statement; full: Statement } | null;

  /** `wal`: commit without the inline fsync and flush the WAL off the event loop (wal-sync.ts). */
  constructor(
    private readonly db: BetterSqlite3,
    private readonly wal?: WalSync,
  ) {
    this.unflushed = wal
      ? { normal: db.prepare('pragma synchronous = normal'), full: db.prepare('pragma synchronous = full') }
      : null;
    this.selectHead = db.prepare('select head_seq, head_chain, member_seq from rooms where id = ?');
    this.selectMembers = db.prepare('select user_id from members where room = ? and role is not null');
    this.insertEvent = db.prepare(
      'insert into events (room, seq, ts, kind, sender, client_msg_id, event_id, content, hash, chain) ' +
        'values (@room, @seq, @ts, @kind, @sender, @client_msg_id, @event_id, @content, @hash, @chain)',
    );
    this.updateHead = db.prepare('update rooms set head_seq = ?, head_chain = ? where id = ?');
    const transaction = db.transaction((items: readonly MessageInput[], ts: number, cache: MemberCache) =>
      this.write(items, ts, cache),
    );
    this.commitBatch = (items, ts, cache) => transaction.immediate(items, ts, cache);
  }

  /**
   * Commits the batch, or throws (a unique violation means a resend: the caller takes the careful path).
   * Kysely's transactions on the same connection span several turns of the event loop; this one runs
   * synchronously, so it only has to wait for the connection while one of those is open (`busy`).
   */
  get busy(): boolean {
    return this.db.inTransaction;
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
    const { results, rows } = buildMessages(items, ts, heads, members);
    for (const row of rows) this.insertEvent.run(row);
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
