// [R5] History for new members. In a room whose signed create event says "shared", whoever invites someone
// hands on the room's earlier sessions this device holds — every sender's, each from the earliest index it can
// read — as forwarded shares: signed by the inviter, naming whose session each is. The newcomer keeps them only
// when its own verified fold says the room is "shared" and the inviter was a member (inbound.ts). A forwarded
// key can be no better than its forwarder: one that does not match its messages makes them `tampered` (the key
// commitment [M9]), never another text, and it never reaches past what the inviter could read.
import { fromB64u, sealShare } from '@parley/protocol';
import { storeKey, type Ctx } from './context.ts';
import type { InboundSession } from './inbound.ts';
import type { Pins } from './pins.ts';
import type { Rooms } from './rooms.ts';
import { sealAndPost } from './share-upload.ts';

export class HistoryShares {
  constructor(
    private readonly ctx: Ctx,
    private readonly pins: Pins,
    private readonly rooms: Rooms,
    /** Fetches and keeps the shares still waiting for this device, so that all it may read is handed on. */
    private readonly collect: () => Promise<void>,
  ) {}

  /** Hands `invitee` every session of `room` this device holds; how many (0 in a "joined" room). */
  async forward(room: string, invitee: string): Promise<number> {
    const fold = await this.rooms.fold(room);
    if (fold.state.history !== 'shared' || !fold.state.members.has(invitee)) return 0;
    const keys = await this.pins.keys(invitee);
    if (!keys) return 0;
    await this.collect().catch(() => undefined);
    const me = this.ctx.me();
    const prefix = storeKey.inboundOf(room);
    const held = await this.ctx.store.list<InboundSession>(prefix);
    const posted = await sealAndPost(this.ctx.api, room, held, ([key, s]) => {
      // `in:ROOM:OWNER:SESSION`: neither a user id nor a session id holds a ':'.
      const [owner = '', sessionId = ''] = key.slice(prefix.length).split(':');
      return sealShare({
        room,
        sender: me.user,
        signingKey: me.signing,
        recipient: invitee,
        recipientEncryptionKey: keys.encryption,
        session: { sessionId, index: s.index, chainKey: fromB64u(s.chainKey) },
        ...(owner === me.user ? {} : { owner }),
      });
    });
    return posted.length;
  }
}
