// [R5] History for new members. In a room whose signed create event says "shared", whoever invites someone
// hands on the room's earlier sessions this device holds — every sender's, each from the earliest index it can
// read — as forwarded shares: signed by the inviter, naming whose session each is. The newcomer keeps them only
// when its own verified fold says the room is "shared" and the inviter was a member (inbound.ts). A forwarded
// key can be no better than its forwarder: one that does not match its messages makes them `tampered` (the key
// commitment [M9]), never another text, and it never reaches past what the inviter could read.
import { MAX_SHARES_PER_REQUEST, fromB64u, sealShare, type KeyShare } from '@parley/protocol';
import { storeKey, type Ctx } from './context.ts';
import type { InboundSession } from './inbound.ts';
import type { Pins } from './pins.ts';
import type { Rooms } from './rooms.ts';

export class HistoryShares {
  constructor(
    private readonly ctx: Ctx,
    private readonly pins: Pins,
    private readonly rooms: Rooms,
  ) {}

  /** Hands `invitee` every session of `room` this device holds; how many (0 in a "joined" room). */
  async forward(room: string, invitee: string): Promise<number> {
    const fold = await this.rooms.fold(room);
    if (fold.state.history !== 'shared' || !fold.state.members.has(invitee)) return 0;
    const keys = await this.pins.keys(invitee);
    if (!keys) return 0;
    const me = this.ctx.me();
    const prefix = storeKey.inboundOf(room);
    const held = await this.ctx.store.list<InboundSession>(prefix);
    let sent = 0;
    for (let at = 0; at < held.length; at += MAX_SHARES_PER_REQUEST) {
      const shares = await Promise.all(
        held.slice(at, at + MAX_SHARES_PER_REQUEST).map(([key, s]): Promise<KeyShare> => {
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
        }),
      );
      await this.ctx.api.send('POST', `/api/rooms/${encodeURIComponent(room)}/shares`, { shares });
      sent += shares.length;
    }
    return sent;
  }
}
