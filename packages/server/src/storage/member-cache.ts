// Who may post in a room, kept in memory so a message costs no membership query. Several processes write
// one database [D6], so an entry is trusted only at the version it was read at: every membership change
// sets the room's `member_seq` in the same transaction, and a batch compares it, read under the room's row
// lock, with the entry's version. A stale or missing entry costs one query per room per batch.
import type { Trx } from './event-rows.ts';

/** Rooms kept; past it the oldest entry goes (a busy room is read again at once). */
const MAX_ROOMS = 10_000;

export interface MemberEntry {
  version: number;
  users: ReadonlySet<string>;
}

export class MemberCache {
  private readonly rooms = new Map<string, MemberEntry>();

  constructor(private readonly max = MAX_ROOMS) {}

  /** The room's current members at `version`, from memory or (once) from the transaction. */
  async members(
    trx: Trx,
    room: string,
    version: number,
    loaded: Map<string, MemberEntry>,
  ): Promise<ReadonlySet<string>> {
    const hit = this.cached(room, version);
    if (hit) return hit;
    const rows = await trx
      .selectFrom('members')
      .select('user_id')
      .where('room', '=', room)
      .where('role', 'is not', null)
      .execute();
    const entry = { version, users: new Set(rows.map((r) => r.user_id)) };
    loaded.set(room, entry);
    return entry.users;
  }

  /** The room's members if known at exactly `version`. */
  cached(room: string, version: number): ReadonlySet<string> | undefined {
    const hit = this.rooms.get(room);
    return hit?.version === version ? hit.users : undefined;
  }

  /** Entries read inside a transaction are kept only once it committed. */
  keep(loaded: ReadonlyMap<string, MemberEntry>): void {
    for (const [room, entry] of loaded) {
      this.rooms.delete(room);
      if (this.rooms.size >= this.max) this.rooms.delete(this.rooms.keys().next().value!);
      this.rooms.set(room, entry);
    }
  }

  invalidate(room: string): void {
    this.rooms.delete(room);
  }
}
