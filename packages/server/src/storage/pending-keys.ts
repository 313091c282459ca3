// [M2] What waits on the server between two members' clients: key shares for a recipient, and key requests
// for a sender. Both are bounded: shares per recipient and requests per requester are capped by the caller,
// both expire (read with `since`, older rows deleted as they are found), and both go when the user leaves.
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';
import type { StoredKeyRequest, StoredShare } from './store.ts';

type Db = Kysely<Database>;
type NewShare = Omit<StoredShare, 'id' | 'room' | 'sender'>;

/** Stored shares in one read; a statement of this many recipients stays far under any engine's limit. */
const READ_LIMIT = 1000;

export async function insertShares(
  db: Db,
  room: string,
  sender: string,
  shares: readonly NewShare[],
  maxPending: number,
): Promise<string[]> {
  const recipients = [...new Set(shares.map((s) => s.recipient))];
  const full = new Set(
    (
      await db
        .selectFrom('shares')
        .select(['recipient', db.fn.countAll<number>().as('n')])
        .where('recipient', 'in', recipients)
        .groupBy('recipient')
        .execute()
    )
      .filter((r) => Number(r.n) >= maxPending)
      .map((r) => r.recipient),
  );
  const kept = shares.filter((s) => !full.has(s.recipient));
  const now = Date.now();
  if (kept.length > 0) {
    await db
      .insertInto('shares')
      .values(
        kept.map((s) => ({
          room,
          sender,
          recipient: s.recipient,
          session_id: s.sessionId,
          ciphertext: s.ciphertext,
          signature: s.signature,
          owner: s.owner ?? null,
          created_at: now,
        })),
      )
      .execute();
    // A share answers the requests for it, whichever of the sender's devices sent it.
    await db
      .deleteFrom('key_requests')
      .where('sender', '=', sender)
      .where('room', '=', room)
      .where('requester', 'in', [...new Set(kept.map((s) => s.recipient))])
      .where('session_id', 'in', [...new Set(kept.map((s) => s.sessionId))])
      .execute();
  }
  return [...full];
}

export async function sharesFor(db: Db, recipient: string, since: number): Promise<StoredShare[]> {
  await db.deleteFrom('shares').where('recipient', '=', recipient).where('created_at', '<', since).execute();
  const rows = await db
    .selectFrom('shares')
    .selectAll()
    .where('recipient', '=', recipient)
    .orderBy('id')
    .limit(READ_LIMIT)
    .execute();
  return rows.map((r) => ({
    id: Number(r.id),
    room: r.room,
    sender: r.sender,
    recipient: r.recipient,
    sessionId: r.session_id,
    ciphertext: r.ciphertext,
    signature: r.signature,
    ...(r.owner === null ? {} : { owner: r.owner }),
  }));
}

export async function deleteShares(db: Db, recipient: string, ids: readonly number[]): Promise<void> {
  await db
    .deleteFrom('shares')
    .where('recipient', '=', recipient)
    .where('id', 'in', [...ids])
    .execute();
}

export async function dropPending(db: Db, room: string, user: string): Promise<void> {
  await db.deleteFrom('shares').where('room', '=', room).where('recipient', '=', user).execute();
  await db
    .deleteFrom('key_requests')
    .where('room', '=', room)
    .where((eb) => eb.or([eb('requester', '=', user), eb('sender', '=', user)]))
    .execute();
}

export async function insertKeyRequest(db: Db, r: Omit<StoredKeyRequest, 'id'>): Promise<number | null> {
  const row = await db
    .insertInto('key_requests')
    .values({
      sender: r.sender,
      room: r.room,
      requester: r.requester,
      session_id: r.sessionId,
      created_at: Date.now(),
    })
    .onConflict((oc) => oc.columns(['sender', 'room', 'requester', 'session_id']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return row ? Number(row.id) : null;
}

export async function pendingKeyRequests(db: Db, requester: string): Promise<number> {
  const row = await db
    .selectFrom('key_requests')
    .select(db.fn.countAll<number>().as('n'))
    .where('requester', '=', requester)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function keyRequestsFor(db: Db, sender: string, since: number): Promise<StoredKeyRequest[]> {
  await db.deleteFrom('key_requests').where('sender', '=', sender).where('created_at', '<', since).execute();
  const rows = await db
    .selectFrom('key_requests')
    .selectAll()
    .where('sender', '=', sender)
    .orderBy('id')
    .limit(READ_LIMIT)
    .execute();
  return rows.map((r) => ({
    id: Number(r.id),
    room: r.room,
    requester: r.requester,
    sender: r.sender,
    sessionId: r.session_id,
  }));
}

export async function deleteKeyRequests(db: Db, sender: string, ids: readonly number[]): Promise<void> {
  await db
    .deleteFrom('key_requests')
    .where('sender', '=', sender)
    .where('id', 'in', [...ids])
    .execute();
}
