// The group commit's fast path, for a batch of messages only (the steady state): one transaction with one
// row lock per room, the membership check from the MemberCache, every event in a few multi-row INSERTs and
// one head UPDATE per room. Duplicates [D2] are found by the unique index, not by a SELECT per message: a
// resend is rare, so the batch is tried optimistically and, when the index refuses it, rolled back and
// re-run on the careful path of room-log.ts, which answers the resend with its original events. On SQLite
// the same batch is written by sqlite-messages.ts, without Kysely.
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';
import type { AppendInput, AppendResult } from './store.ts';
import {
  Batch,
  appendBatch,
  lockOrder,
  membershipChanged,
  nextEvent,
  type EventRow,
  type LogTip,
  type Trx,
} from './room-log.ts';
import type { MemberCache, MemberEntry } from './member-cache.ts';
import type { SqliteMessages } from './sqlite-messages.ts';
import { isUniqueViolation } from './db-errors.ts';

export type MessageInput = Extract<AppendInput, { kind: 'message' }>;

/** Rows per INSERT: power-of-two chunks keep the distinct statement texts (and prepared statements) few. */
const CHUNK = 64;

const NOT_MEMBER: AppendResult = { ok: false, code: 'NOT_MEMBER', message: 'you are not a member of this room' };

function onlyFreshMessages(items: readonly AppendInput[]): items is readonly MessageInput[] {
  const seen = new Set<string>();
  for (const i of items) {
    if (i.kind !== 'message') return false;
    const key = `${i.envelope.room}\n${i.sender}\n${i.envelope.clientMsgId}`;
    if (seen.has(key)) return false;
    seen.add(key);
  }
  return true;
}

async function insertRows(trx: Trx, rows: readonly EventRow[]): Promise<void> {
  let at = 0;
  while (at < rows.length) {
    let n = CHUNK;
    while (n > rows.length - at) n >>= 1;
    await trx
      .insertInto('events')
      .values(rows.slice(at, at + n))
      .execute();
    at += n;
  }
}

/**
 * The events of a batch whose rooms are locked (`heads`, advanced here) and whose members are known: one
 * result per item, in order, and the rows to insert. A sender who is not a member gets NOT_MEMBER.
 */
export function buildMessages(
  items: readonly MessageInput[],
  ts: number,
  heads: ReadonlyMap<string, LogTip>,
  members: ReadonlyMap<string, ReadonlySet<string>>,
): { results: AppendResult[]; rows: EventRow[] } {
  const rows: EventRow[] = [];
  const results = items.map((item): AppendResult => {
    const { room } = item.envelope;
    const head = heads.get(room);
    if (!head || !members.get(room)?.has(item.sender)) return NOT_MEMBER;
    if (item.envelope.memberSeq < head.memberSeq)
      return membershipChanged(head.memberSeq, item.envelope.memberSeq);
    const { event, row } = nextEvent(room, head, ts, {
      kind: 'message',
      content: item.envelope,
      sender: item.sender,
    });
    rows.push(row);
    return { ok: true, events: [event], duplicate: false };
  });
  return { results, rows };
}

async function commitMessages(
  db: Kysely<Database>,
  items: readonly MessageInput[],
  ts: number,
  cache: MemberCache,
): Promise<AppendResult[]> {
  const loaded = new Map<string, MemberEntry>();
  const results = await db.transaction().execute(async (trx) => {
    const batch = new Batch(trx, ts, cache);
    const members = new Map<string, ReadonlySet<string>>();
    // [D6] Row locks in one global order, as on the careful path.
    for (const room of lockOrder(items)) {
      const head = await batch.head(room);
      if (head) members.set(room, await cache.members(trx, room, head.memberSeq, loaded));
    }
    const heads = new Map<string, LogTip>();
    for (const room of members.keys()) heads.set(room, batch.locked(room)!);
    const { results: out, rows } = buildMessages(items, ts, heads, members);
    await insertRows(trx, rows);
    await batch.finish();
    return out;
  });
  cache.keep(loaded);
  return results;
}

/** Commits every item in one transaction (the Store's appendBatch); `sqlite` is the SQLite fast writer. */
export async function appendItems(
  db: Kysely<Database>,
  items: readonly AppendInput[],
  ts: number,
  cache: MemberCache,
  sqlite?: SqliteMessages,
): Promise<AppendResult[]> {
  if (onlyFreshMessages(items)) {
    try {
      if (sqlite) {
        // Holding Kysely's one SQLite connection keeps its own (asynchronous) transactions off it meanwhile.
        const results = sqlite.busy
          ? await db.connection().execute(() => Promise.resolve(sqlite.commit(items, ts, cache)))
          : sqlite.commit(items, ts, cache);
        await sqlite.durable();
        return results;
      }
      return await commitMessages(db, items, ts, cache);
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
  }
  return appendBatch(db, items, ts, cache);
}
