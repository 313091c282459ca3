// Membership changes in the room log [R1] [R2] [D2]: room creation and member events, the careful path (Kysely,
// both backends). Seq assignment is serialised per room inside the transaction: the first touch of a room
// takes its row (an UPDATE ... RETURNING, which locks the row on PostgreSQL), later appends continue from
// memory, and the batch ends with one UPDATE of the room head. Messages have their own write path per
// backend (message-writer.ts); PostgreSQL's takes its row locks through `Batch` below.
import type { Kysely } from 'kysely';
import {
  applyMembership,
  fromB64u,
  toB64u,
  EMPTY_ROOM,
  GENESIS_CHAIN,
  SERVER_ACTOR,
  type MemberEvent,
  type Role,
  type RoomEvent,
  type RoomState,
  type EventContent,
} from '@parley/protocol';
import type { Database } from './schema.ts';
import type { AppendInput, AppendResult } from './store.ts';
import type { MemberCache } from './member-cache.ts';
import { lockOrder, nextEvent, type LogTip, type Trx } from './event-rows.ts';

/** What this path writes: everything but messages. */
export type MembershipInput = Exclude<AppendInput, { kind: 'message' }>;

export class Batch {
  private readonly heads = new Map<string, LogTip>();
  private readonly memberChanges = new Set<string>();
  constructor(
    private readonly trx: Trx,
    private readonly ts: number,
    private readonly cache: MemberCache,
  ) {}

  async head(room: string): Promise<LogTip | undefined> {
    const cached = this.heads.get(room);
    if (cached) return cached;
    const row = await this.trx
      .updateTable('rooms')
      .set((eb) => ({ head_seq: eb.ref('head_seq') }))
      .where('id', '=', room)
      .returning(['head_seq', 'head_chain', 'member_seq'])
      .executeTakeFirst();
    if (!row) return undefined;
    const head = { seq: Number(row.head_seq), chain: fromB64u(row.head_chain), memberSeq: Number(row.member_seq) };
    this.heads.set(room, head);
    return head;
  }

  startRoom(room: string): void {
    this.heads.set(room, { seq: 0, chain: GENESIS_CHAIN, memberSeq: 0 });
  }

  /** A membership change: the room's cached member set is stale from here on. */
  memberChanged(room: string, seq: number): void {
    const head = this.heads.get(room);
    if (head) head.memberSeq = seq;
    this.memberChanges.add(room);
    this.cache.invalidate(room);
  }

  async append(room: string, e: EventContent & { sender: string }): Promise<RoomEvent> {
    const head = await this.head(room);
    if (!head) throw new Error(`append to unknown room ${room}`);
    const { event, row } = nextEvent(room, head, this.ts, e);
    await this.trx.insertInto('events').values(row).execute();
    return event;
  }

  /** The tips of the rooms `head()` locked, advanced by whoever writes their events. */
  tips(): ReadonlyMap<string, LogTip> {
    return this.heads;
  }

  async finish(): Promise<void> {
    for (const [room, h] of this.heads) {
      const memberSeq = this.memberChanges.has(room) ? { member_seq: h.memberSeq } : {};
      await this.trx
        .updateTable('rooms')
        .set({ head_seq: h.seq, head_chain: toB64u(h.chain), ...memberSeq })
        .where('id', '=', room)
        .execute();
    }
  }
}

async function setMember(trx: Trx, room: string, user: string, role: Role | null, leftSeq: number | null) {
  await trx
    .insertInto('members')
    .values({ room, user_id: user, role, left_seq: leftSeq })
    .onConflict((oc) => oc.columns(['room', 'user_id']).doUpdateSet({ role, left_seq: leftSeq }))
    .execute();
}

async function applyEffect(trx: Trx, e: MemberEvent, seq: number, state: RoomState): Promise<void> {
  if (e.type === 'leave' || e.type === 'kick') return setMember(trx, e.room, e.target, null, seq);
  if (e.type === 'create' && e.actor === SERVER_ACTOR) return;
  const role = state.members.get(e.target);
  if (role) await setMember(trx, e.room, e.target, role, null);
}

/**
 * The fold only ever looks at the actor's and the target's roles and at whether the eventId was seen, so the
 * state is built from those rows alone: a join to a room of 10 000 members reads two rows, not 10 000.
 */
async function partialState(trx: Trx, e: MemberEvent): Promise<RoomState | undefined> {
  const room = await trx
    .selectFrom('rooms')
    .select(['name', 'is_public'])
    .where('id', '=', e.room)
    .executeTakeFirst();
  if (!room) return undefined;
  const rows = await trx
    .selectFrom('members')
    .select(['user_id', 'role'])
    .where('room', '=', e.room)
    .where('user_id', 'in', [e.actor, e.target])
    .where('role', 'is not', null)
    .execute();
  const seen = await trx
    .selectFrom('events')
    .select('seq')
    .where('room', '=', e.room)
    .where('event_id', '=', e.eventId)
    .executeTakeFirst();
  return {
    created: true,
    name: room.name,
    public: Boolean(room.is_public),
    // [R5] Who reads earlier messages decides nothing the server enforces: the clients' shares carry it.
    history: 'joined',
    members: new Map(rows.map((r) => [r.user_id, r.role as Role])),
    eventIds: new Set(seen ? [e.eventId] : []),
  };
}

async function appendMember(trx: Trx, batch: Batch, e: MemberEvent): Promise<AppendResult> {
  const state = await partialState(trx, e);
  if (!state) return { ok: false, code: 'NOT_FOUND', message: 'no such room' };
  const next = applyMembership(state, e);
  if (!next.ok) return { ok: false, code: 'MEMBERSHIP_RULE', message: next.error };
  const event = await batch.append(e.room, { kind: 'member', content: e, sender: e.actor });
  await applyEffect(trx, e, event.seq, next.state);
  batch.memberChanged(e.room, event.seq);
  return { ok: true, events: [event], duplicate: false };
}

async function appendCreate(trx: Trx, batch: Batch, item: Extract<AppendInput, { kind: 'create' }>, ts: number) {
  let state = EMPTY_ROOM;
  const states: RoomState[] = [];
  for (const e of [item.create, ...item.invites]) {
    const next = applyMembership(state, e);
    if (!next.ok) return { ok: false as const, code: 'MEMBERSHIP_RULE' as const, message: next.error };
    states.push((state = next.state));
  }
  const { room } = item.create;
  // ON CONFLICT: a concurrent create of the same id (two processes making "general") is a CONFLICT result,
  // not an error that would abort the whole group commit on PostgreSQL.
  const inserted = await trx
    .insertInto('rooms')
    .values({
      id: room,
      name: state.name,
      is_public: state.public ? 1 : 0,
      created_at: ts,
      head_seq: 0,
      head_chain: toB64u(GENESIS_CHAIN),
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted) return { ok: false as const, code: 'CONFLICT' as const, message: 'a room with this id exists' };
  batch.startRoom(room);
  const events: RoomEvent[] = [];
  for (const [i, e] of [item.create, ...item.invites].entries()) {
    const event = await batch.append(room, { kind: 'member', content: e, sender: e.actor });
    await applyEffect(trx, e, event.seq, states[i]!);
    batch.memberChanged(room, event.seq);
    events.push(event);
  }
  return { ok: true as const, events, duplicate: false };
}

/** Commits the membership items in one transaction: one result per item, in order. */
export async function appendMembership(
  db: Kysely<Database>,
  items: readonly MembershipInput[],
  ts: number,
  cache: MemberCache,
): Promise<AppendResult[]> {
  return db.transaction().execute(async (trx) => {
    const batch = new Batch(trx, ts, cache);
    // [D6] Take every touched room's row lock up front, in one global order: two processes' batches then
    // never deadlock, and the duplicate checks below see everything committed before the lock.
    for (const room of lockOrder(items)) await batch.head(room);
    const results: AppendResult[] = [];
    for (const item of items) {
      switch (item.kind) {
        case 'create':
          results.push(await appendCreate(trx, batch, item, ts));
          break;
        case 'member':
          results.push(await appendMember(trx, batch, item.event));
          break;
      }
    }
    await batch.finish();
    return results;
  });
}
