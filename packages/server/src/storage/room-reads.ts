// The room log's read side: summaries, members, history pages and heads.
import type { Kysely } from 'kysely';
import type { Head, MemberEvent, Role, RoomEvent } from '@parley/protocol';
import type { Database } from './schema.ts';
import type { MembershipRecord, PublicRoomRecord, RoomSummaryRecord } from './store.ts';
import { rowToEvent } from './event-rows.ts';

type Db = Kysely<Database>;

function summarySelect(db: Db, user: string) {
  return db
    .selectFrom('rooms')
    .leftJoin('members', (j) => j.onRef('members.room', '=', 'rooms.id').on('members.user_id', '=', user))
    .select(['rooms.id', 'rooms.name', 'rooms.is_public', 'rooms.head_seq', 'members.role']);
}

type SummaryRow = { id: string; name: string; is_public: number; head_seq: number; role: string | null };
const toSummary = (r: SummaryRow): RoomSummaryRecord => ({
  id: r.id,
  name: r.name,
  public: Boolean(r.is_public),
  role: (r.role as Role | null) ?? null,
  headSeq: Number(r.head_seq),
});

export async function roomsOf(db: Db, user: string): Promise<RoomSummaryRecord[]> {
  const rows = await summarySelect(db, user).where('members.role', 'is not', null).orderBy('rooms.name').execute();
  return rows.map(toSummary);
}

export async function publicRooms(db: Db, user: string): Promise<PublicRoomRecord[]> {
  const rows = await summarySelect(db, user)
    .innerJoin('events', (j) => j.onRef('events.room', '=', 'rooms.id').on('events.seq', '=', 1))
    .select('events.content')
    .where('rooms.is_public', '=', 1)
    .orderBy('rooms.name')
    .limit(1000)
    .execute();
  return rows.map((r) => ({ ...toSummary(r), create: JSON.parse(r.content) as MemberEvent }));
}

export async function getRoom(db: Db, id: string, user: string): Promise<RoomSummaryRecord | undefined> {
  const row = await summarySelect(db, user).where('rooms.id', '=', id).executeTakeFirst();
  return row && toSummary(row);
}

export async function members(db: Db, room: string): Promise<{ user: string; role: Role }[]> {
  const rows = await db
    .selectFrom('members')
    .select(['user_id', 'role'])
    .where('room', '=', room)
    .where('role', 'is not', null)
    .orderBy('user_id')
    .execute();
  return rows.map((r) => ({ user: r.user_id, role: r.role as Role }));
}

export async function membership(db: Db, room: string, user: string): Promise<MembershipRecord | undefined> {
  const row = await db
    .selectFrom('members')
    .select(['role', 'left_seq'])
    .where('room', '=', room)
    .where('user_id', '=', user)
    .executeTakeFirst();
  return (
    row && {
      role: (row.role as Role | null) ?? null,
      leftSeq: row.left_seq === null ? null : Number(row.left_seq),
    }
  );
}

export async function coMembers(db: Db, user: string): Promise<string[]> {
  const rows = await db
    .selectFrom('members as other')
    .innerJoin('members as mine', 'mine.room', 'other.room')
    .select('other.user_id')
    .distinct()
    .where('mine.user_id', '=', user)
    .where('mine.role', 'is not', null)
    .where('other.role', 'is not', null)
    .where('other.user_id', '!=', user)
    .execute();
  return rows.map((r) => r.user_id);
}

export async function readEvents(
  db: Db,
  room: string,
  q: { after?: number; before?: number; limit: number; maxSeq?: number },
): Promise<RoomEvent[]> {
  let query = db.selectFrom('events').selectAll().where('room', '=', room);
  if (q.maxSeq !== undefined) query = query.where('seq', '<=', q.maxSeq);
  if (q.before !== undefined) query = query.where('seq', '<', q.before);
  if (q.after !== undefined) {
    const rows = await query.where('seq', '>', q.after).orderBy('seq', 'asc').limit(q.limit).execute();
    return rows.map(rowToEvent);
  }
  const rows = await query.orderBy('seq', 'desc').limit(q.limit).execute();
  return rows.reverse().map(rowToEvent);
}

/**
 * Every head with lo ≤ seq ≤ hi, the first head after hi when none is at hi, and the room's latest [M5]. A
 * history page asks for (last, last): the closest head vouching for its last event, which the client links
 * to the page by the hash chain, and the newest. A quiet room has a head per message, so the heads of the
 * whole page (or, before, every head after it) cost its reader one RSA verification per message for nothing
 * that one linked head does not already prove.
 */
export async function readHeads(db: Db, room: string, lo: number, hi: number): Promise<Head[]> {
  const byRoom = db.selectFrom('heads').selectAll().where('room', '=', room);
  // One after another: a few primary-key reads, never several pool connections for one request.
  const all = await byRoom.where('seq', '>=', lo).where('seq', '<=', hi).orderBy('seq').limit(1000).execute();
  const next =
    all.at(-1)?.seq === hi
      ? undefined
      : await byRoom.where('seq', '>', hi).orderBy('seq').limit(1).executeTakeFirst();
  const latest = await byRoom.orderBy('seq', 'desc').limit(1).executeTakeFirst();
  for (const h of [next, latest]) if (h && !all.some((a) => a.seq === h.seq)) all.push(h);
  return all.map((h) => ({
    room: h.room,
    seq: Number(h.seq),
    ts: Number(h.ts),
    chain: h.chain,
    signature: h.signature,
  }));
}

export async function headSeq(db: Db, room: string): Promise<number> {
  const row = await db.selectFrom('rooms').select('head_seq').where('id', '=', room).executeTakeFirst();
  return row ? Number(row.head_seq) : 0;
}
