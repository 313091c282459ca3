// [M2] Keys that heal: a member whose client lacks a session asks the session's sender. The request is stored
// until the sender's client answers it (a share for that session, from any of the sender's devices, or an
// acknowledgement once it has decided) or it expires, so a sender offline now answers when next online. The
// server only relays: whether the requester may have the session is the sender's client's decision, made on
// its own verified fold.
import type { Bus } from '../bus/bus.ts';
import { AppError } from '../errors.ts';
import type { RateLimiter } from '../security/rate-limit.ts';
import type { Store, StoredKeyRequest } from '../storage/store.ts';

/** A request not answered within a week is dropped: by then the sender has rotated the session [M3]. */
export const KEY_REQUEST_TTL_MS = 7 * 24 * 3600_000;
/** Requests one user may have waiting, across every sender and room. */
export const MAX_PENDING_KEY_REQUESTS = 1000;
/** A share not collected within 30 days is dropped; its recipient can still ask for the key. */
export const SHARE_TTL_MS = 30 * 24 * 3600_000;
/** Shares one recipient may have waiting; beyond, new ones are not stored (the recipient asks instead). */
export const MAX_PENDING_SHARES = 10_000;

export class KeyRequests {
  constructor(private readonly deps: { store: Store; bus: Bus; limiter: RateLimiter }) {}

  /** Stores `requester`'s request and tells the sender's online devices. */
  async ask(requester: string, r: { room: string; sender: string; sessionId: string }): Promise<void> {
    const wait = this.deps.limiter.take(requester);
    if (wait > 0)
      throw new AppError('RATE_LIMITED', `too many key requests; retry in ${wait} s`, { retryAfterSec: wait });
    if (r.sender === requester) throw new AppError('BAD_REQUEST', 'you cannot ask yourself for a key');
    if (!(await this.deps.store.membership(r.room, requester))?.role)
      throw new AppError('NOT_MEMBER', 'you are not a member of this room');
    // Their devices dropped the room's sessions as they left: no device of theirs can answer [M6].
    if (!(await this.deps.store.membership(r.room, r.sender))?.role)
      throw new AppError('NOT_MEMBER', `${r.sender} is not a member of this room: nobody can send that key now`);
    if ((await this.deps.store.pendingKeyRequests(requester)) >= MAX_PENDING_KEY_REQUESTS)
      throw new AppError(
        'RATE_LIMITED',
        `${MAX_PENDING_KEY_REQUESTS} key requests of yours are already waiting; retry once they are answered`,
        { retryAfterSec: 60 },
      );
    const id = await this.deps.store.insertKeyRequest({ ...r, requester });
    if (id === null) return;
    this.deps.bus.publish(`user:${r.sender}`, {
      kind: 'frame',
      frame: JSON.stringify({ type: 'key_request', id, room: r.room, from: requester, sessionId: r.sessionId }),
    });
  }

  /** What waits for `sender`'s answer, oldest first. */
  waiting(sender: string): Promise<StoredKeyRequest[]> {
    return this.deps.store.keyRequestsFor(sender, Date.now() - KEY_REQUEST_TTL_MS);
  }

  /** The sender's client has answered (or declined) these. */
  done(sender: string, ids: readonly number[]): Promise<void> {
    return this.deps.store.deleteKeyRequests(sender, ids);
  }
}
