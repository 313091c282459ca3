// The user's sending side [M1] [M2] [M3] [M4]: one sender-key session per room, shared only with members the
// client's own fold accepts [R2], rotated when someone left, after 100 messages and after 7 days.
import {
  fromB64u,
  nextChainKey,
  randomBytes,
  randomId,
  ratchetTo,
  sealMessage,
  sealShare,
  timeOrderedId,
  toB64u,
  type Envelope,
} from '@parley/protocol';
import { SerialQueue, storeKey, vaultId, type Ctx } from './context.ts';
import { ParleyError } from './errors.ts';
import { sealAndPost } from './share-upload.ts';
import type { InboundSession } from './inbound.ts';
import type { Pins } from './pins.ts';
import type { Rooms } from './rooms.ts';

export const MAX_SESSION_MESSAGES = 100;
export const MAX_SESSION_AGE_MS = 7 * 24 * 3600 * 1000;
/** Rotated-out sessions kept per room, so a key_request for a recent one can still be answered. */
export const RECENT_SESSIONS = 4;

export interface OutboundSession {
  sessionId: string;
  /** Chain key at index 0 (b64u): a re-share to a member starts at the index they first got. */
  chainKey0: string;
  /** Chain key at `index` (b64u). */
  chainKey: string;
  index: number;
  createdAt: number;
  /** Who holds this session, and from which index. */
  shared: Record<string, number>;
}

export class Outbound {
  private readonly queue = new SerialQueue();

  constructor(
    private readonly ctx: Ctx,
    private readonly pins: Pins,
    private readonly rooms: Rooms,
  ) {}

  /**
   * Encrypts and signs the next message of the room; the ratchet and counter are saved before it leaves.
   * `fresh`: read the room's log first even when the live fold is current (the server said it is not [M11]).
   * This device's first message in a room reads it too: it then goes out on what the log vouches for, not only
   * on what the live stream showed.
   */
  prepare(room: string, text: string, o: { fresh?: boolean; now?: number } = {}): Promise<Envelope> {
    const now = o.now ?? Date.now();
    return this.queue.run(async () => {
      const me = this.ctx.me();
      const sent = await this.ctx.store.get<number>(storeKey.ownCounter(room));
      const fold =
        o.fresh || sent === undefined ? await this.rooms.fold(room) : await this.rooms.foldForSend(room);
      const members = fold.state.members;
      if (!members.has(me.user)) throw new ParleyError('NOT_MEMBER', 'not a member of this room');
      let s = await this.ctx.store.get<OutboundSession>(storeKey.outbound(room));
      if (!s || this.mustRotate(s, members, now)) s = await this.startSession(room, now);
      await this.shareWith(
        room,
        s,
        [...members.keys()].filter((u) => u !== me.user && !(u in s.shared)),
      );
      // [M4] The counter is the user's, not this device's: the fold has seen every message up to the head,
      // those the user's other devices sent too, so the next one counts on from the newest of them.
      const counter = Math.max(sent ?? 0, fold.ownCounter) + 1;
      const envelope = await sealMessage({
        room,
        sender: me.user,
        signingKey: me.signing,
        sessionId: s.sessionId,
        chainKey: fromB64u(s.chainKey),
        index: s.index,
        memberSeq: fold.memberSeq,
        counter,
        clientMsgId: timeOrderedId(),
        text,
      });
      const next = { ...s, chainKey: toB64u(await nextChainKey(fromB64u(s.chainKey))), index: s.index + 1 };
      await this.ctx.store.set(storeKey.outbound(room), next);
      await this.ctx.store.set(storeKey.ownCounter(room), counter);
      return envelope;
    });
  }

  /** A prepared message the server refused: its counter is given back, so the next message takes it [M4]. */
  unsent(room: string, envelope: Envelope): Promise<void> {
    return this.queue.run(async () => {
      const stored = await this.ctx.store.get<number>(storeKey.ownCounter(room));
      if (stored === envelope.counter) await this.ctx.store.set(storeKey.ownCounter(room), envelope.counter - 1);
    });
  }

  /**
   * Answers a key_request, to a member of the client's own fold only: the current session (from the index
   * the requester first got, or now for a newcomer), or one of the last few rotated-out sessions, which goes
   * only to a member who had been given it already — never to someone who joined after it ended [M3]. In a
   * room whose history is "shared" [R5], any current member gets either, from its first message.
   * A session no longer (or never) this device's to send in is answered in a "shared" room from what the
   * device keeps to read it (`reshareKept`). `not_held` when this device cannot answer (another device of the
   * account may: its caller decides); else `decided`.
   */
  reshare(room: string, requester: string, sessionId: string): Promise<'decided' | 'not_held'> {
    return this.queue.run(async () => {
      if (requester === this.ctx.me().user) return 'decided';
      const current = await this.ctx.store.get<OutboundSession>(storeKey.outbound(room));
      const past = (await this.ctx.store.get<OutboundSession[]>(storeKey.outboundPast(room))) ?? [];
      const session = current?.sessionId === sessionId ? current : past.find((p) => p.sessionId === sessionId);
      if (!session) return this.reshareKept(room, requester, sessionId);
      const { state } = await this.rooms.fold(room);
      if (!state.members.has(requester)) return 'decided';
      const fromStart = state.history === 'shared';
      if (session !== current && !fromStart && !(requester in session.shared)) return 'decided';
      if (session === current) await this.shareWith(room, session, [requester], fromStart);
      else await this.postShares(room, session, [requester], fromStart);
      return 'decided';
    });
  }

  /**
   * [R5] [K9] In a room whose history is "shared", any current member may have any session from its first
   * message. A device keeps every session of its user's to read it, from index 0: the ones it made, and the
   * other devices' from the vault. So a session rotated out of the last few, or made on a device that is now
   * gone, is still answered, from there. Elsewhere only the device that made it knows whom it was given to.
   */
  private async reshareKept(room: string, requester: string, sessionId: string): Promise<'decided' | 'not_held'> {
    const kept = await this.ctx.store.get<InboundSession>(storeKey.inbound(room, this.ctx.me().user, sessionId));
    if (!kept || kept.index !== 0) return 'not_held';
    const { state } = await this.rooms.fold(room);
    if (state.history !== 'shared') return 'not_held';
    if (!state.members.has(requester)) return 'decided';
    const session = {
      sessionId,
      chainKey0: kept.chainKey,
      chainKey: kept.chainKey,
      index: 0,
      createdAt: 0,
      shared: {},
    };
    await this.postShares(room, session, [requester], true);
    return 'decided';
  }

  private mustRotate(s: OutboundSession, members: ReadonlyMap<string, unknown>, now: number): boolean {
    if (s.index >= MAX_SESSION_MESSAGES || now - s.createdAt >= MAX_SESSION_AGE_MS) return true;
    return Object.keys(s.shared).some((u) => !members.has(u));
  }

  private async startSession(room: string, now: number): Promise<OutboundSession> {
    const me = this.ctx.me();
    await this.retire(room);
    const chainKey = toB64u(randomBytes(32));
    const s: OutboundSession = {
      sessionId: randomId(),
      chainKey0: chainKey,
      chainKey,
      index: 0,
      createdAt: now,
      shared: {},
    };
    // The sender reads its own messages back from history with the same machinery as everyone else's.
    const own: InboundSession = { chainKey, index: 0, used: {} };
    await this.ctx.store.set(storeKey.inbound(room, me.user, s.sessionId), own);
    await this.ctx.store.set(storeKey.outbound(room), s);
    // [K9] The account's other devices read these messages too (queued: the send does not wait for it).
    this.ctx.vault.queueWrite(vaultId.session(room, me.user, s.sessionId), { chainKey, index: 0 });
    return s;
  }

  /** Keeps the session being replaced among the last RECENT_SESSIONS of the room. */
  private async retire(room: string): Promise<void> {
    const current = await this.ctx.store.get<OutboundSession>(storeKey.outbound(room));
    if (!current) return;
    const past = (await this.ctx.store.get<OutboundSession[]>(storeKey.outboundPast(room))) ?? [];
    const kept = [current, ...past.filter((p) => p.sessionId !== current.sessionId)].slice(0, RECENT_SESSIONS);
    await this.ctx.store.set(storeKey.outboundPast(room), kept);
  }

  /** Shares the current session and saves who now holds it. */
  private async shareWith(room: string, s: OutboundSession, recipients: string[], fromStart = false) {
    if (await this.postShares(room, s, recipients, fromStart))
      await this.ctx.store.set(storeKey.outbound(room), s);
  }

  /**
   * Seals the session to each recipient at the index they first got (now, for a newcomer) [M2] [M3];
   * records them in `s.shared` once their chunk is stored. `fromStart`: from index 0, for a "shared history"
   * room [R5]. False when nothing was sent.
   */
  private async postShares(room: string, s: OutboundSession, recipients: string[], fromStart = false) {
    const me = this.ctx.me();
    const posted = await sealAndPost(this.ctx.api, room, recipients, async (recipient) => {
      const keys = await this.pins.keys(recipient);
      if (!keys) return null;
      const index = fromStart ? 0 : (s.shared[recipient] ?? s.index);
      const chainKey = index === s.index ? fromB64u(s.chainKey) : await ratchetTo(fromB64u(s.chainKey0), 0, index);
      return sealShare({
        room,
        sender: me.user,
        signingKey: me.signing,
        recipient,
        recipientEncryptionKey: keys.encryption,
        session: { sessionId: s.sessionId, index, chainKey },
      });
    });
    const first = fromStart ? 0 : s.index;
    for (const share of posted) s.shared[share.recipient] = Math.min(s.shared[share.recipient] ?? first, first);
    return posted.length > 0;
  }
}
