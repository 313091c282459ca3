// PostgreSQL's message write path (message-writer.ts): one transaction, the batch's room rows locked in the
// global order [D6], the membership from the MemberCache, one query for the resends among the batch [D2]
// (the room locks keep a resend from arriving between it and the INSERT), every event in a few multi-row
// INSERTs and one head UPDATE per room. A round trip costs more than a row on PostgreSQL: the statements
// per batch stay a handful whatever its size.
import type { Kysely } from 'kysely';
import type { RoomEvent } from '@parley/protocol';
import type { Database } from './schema.ts';
import type { AppendResult } from './store.ts';
import type { MemberCache, MemberEntry } from './member-cache.ts';
import { lockOrder, rowToEvent, type EventRow, type Trx } from './event-rows.ts';
import { Batch } from './room-log.ts';
import { messageKey, writeMessages, type MessageInput, type MessageWriter } from './message-writer.ts';

/** Rows per INSERT: power-of-two chunks keep the distinct statement texts (and prepared statements) few. */
const CHUNK = 64;

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

/** The events already stored under the batch's client message ids, by room, sender and id. */
async function storedEarlier(trx: Trx, items: readonly MessageInput[]): Promise<Map<string, RoomEvent>> {
  const rows = await trx
    .selectFrom('events')
    .selectAll()
    .where((eb) =>
      eb(
        eb.refTuple('room', 'sender', 'client_msg_id'),
        'in',
        items.map((i) => eb.tuple(i.envelope.room, i.sender, i.envelope.clientMsgId)),
      ),
    )
    .execute();
  return new Map(rows.map((r) => [messageKey(r.room, r.sender, r.client_msg_id), rowToEvent(r)]));
}

export class PostgresMessages implements MessageWriter {
  constructor(private readonly db: Kysely<Database>) {}

  async append(items: readonly MessageInput[], ts: number, cache: MemberCache): Promise<AppendResult[]> {
    const loaded = new Map<string, MemberEntry>();
    const results = await this.db.transaction().execute(async (trx) => {
      const batch = new Batch(trx, ts, cache);
      const members = new Map<string, ReadonlySet<string>>();
      for (const room of lockOrder(items)) {
        const tip = await batch.head(room);
        if (tip) members.set(room, await cache.members(trx, room, tip.memberSeq, loaded));
      }
      const earlier = await storedEarlier(trx, items);
      const rows: EventRow[] = [];
      const out = writeMessages(items, ts, batch.tips(), members, {
        earlier: (i) => earlier.get(messageKey(i.envelope.room, i.sender, i.envelope.clientMsgId)),
        insert(row) {
          if (earlier.has(messageKey(row.room, row.sender, row.client_msg_id))) return false;
          rows.push(row);
          return true;
        },
      });
      await insertRows(trx, rows);
      await batch.finish();
      return out;
    });
    cache.keep(loaded);
    return results;
  }

  settled(): Promise<void> {
    return Promise.resolve();
  }

  close(): void {}
}
