// Messages whose session this client lacks [M6]: why (`before_join`; `missing_key`, and the key asked for of
// its sender [M2]; or `sender_left`, with nobody to ask), and which messages wait for which session, so they
// are read again when it comes.
import type { Ctx } from './context.ts';
import type { MessageEvent } from './message-checks.ts';
import type { Rooms } from './rooms.ts';
import type { InboundSession } from './session-cache.ts';
import type { MessageStatus } from './types.ts';

/** Sends a key_request; false when it could not be sent: it is retried by `requestWaiting`. */
export type RequestKey = (room: string, sender: string, sessionId: string) => boolean;

/** [M6] The message is shown without its text until its session comes (from a share or the vault). */
export const waitsForKey = (status: MessageStatus) => status === 'missing_key' || status === 'sender_left';

const idOf = (room: string, sender: string, sessionId: string) => `${room}|${sender}|${sessionId}`;

export class MissingKeys {
  /** Messages waiting for a key, by room|sender|session. */
  private readonly waiting = new Map<string, Map<number, MessageEvent>>();
  /** Sessions not to ask for (again): asked for already, or their sender has left the room (nobody to ask). */
  private readonly settled = new Set<string>();

  constructor(
    private readonly ctx: Ctx,
    private readonly rooms: Rooms,
    private readonly requestKey: RequestKey,
  ) {}

  /**
   * before_join when the message predates this user's membership (or the share they got) in a room whose
   * history is "joined"; else missing_key, and the key is asked for: in a "shared" room [R5] the earlier keys
   * come from the inviter or, asked, from their sender. sender_left when the sender is out of the room by the
   * fold: they dropped the room's sessions as they left, so asking them is pointless. `held`: what this
   * client holds of the session.
   */
  async why(ev: MessageEvent, held: InboundSession | undefined): Promise<MessageStatus> {
    // A log that cannot be verified [R4] cannot say when this user joined: the key is asked for all the same.
    const fold = await this.rooms.fold(ev.room, ev.seq, { waitForHead: false }).catch(() => null);
    const shared = fold?.state.history === 'shared';
    if (held && !shared) return 'before_join';
    const since = fold?.since.get(this.ctx.me().user);
    if (!shared && since !== undefined && ev.seq < since) return 'before_join';
    const id = idOf(ev.room, ev.sender, ev.content.sessionId);
    if (fold && !fold.state.members.has(ev.sender)) {
      this.settled.add(id);
      return 'sender_left';
    }
    if (!this.settled.has(id) && this.requestKey(ev.room, ev.sender, ev.content.sessionId)) this.settled.add(id);
    return 'missing_key';
  }

  /** `ev` is shown as missing_key or sender_left: it is read again when its session comes. */
  wait(ev: MessageEvent): void {
    const id = idOf(ev.room, ev.sender, ev.content.sessionId);
    const list = this.waiting.get(id) ?? new Map<number, MessageEvent>();
    list.set(ev.seq, ev);
    this.waiting.set(id, list);
  }

  /** The messages that waited for these sessions, no longer waiting: grouped by room, in seq order. */
  take(opened: readonly { room: string; sender: string; sessionId: string }[]): MessageEvent[] {
    const again: MessageEvent[] = [];
    for (const o of opened) {
      const id = idOf(o.room, o.sender, o.sessionId);
      const list = this.waiting.get(id);
      if (!list) continue;
      this.waiting.delete(id);
      again.push(...list.values());
    }
    return again.sort((a, b) => (a.room === b.room ? a.seq - b.seq : a.room < b.room ? -1 : 1));
  }

  /**
   * `sender` has left `room`: the messages waiting for their sessions, in seq order, which can no longer be
   * asked for. They still wait, for the vault.
   */
  senderLeft(room: string, sender: string): MessageEvent[] {
    const prefix = `${room}|${sender}|`;
    const gone: MessageEvent[] = [];
    for (const [id, list] of this.waiting) {
      if (!id.startsWith(prefix)) continue;
      this.settled.add(id);
      gone.push(...list.values());
    }
    return gone.sort((a, b) => a.seq - b.seq);
  }

  /** After (re)connecting: asks again for every key still missing that could not be asked for before. */
  requestWaiting(): void {
    for (const [id, list] of this.waiting) {
      const ev = list.values().next().value;
      if (!ev || this.settled.has(id)) continue;
      if (this.requestKey(ev.room, ev.sender, ev.content.sessionId)) this.settled.add(id);
    }
  }

  /** The user is out of `room`: nothing of it waits any more. */
  forgetRoom(room: string): void {
    for (const id of [...this.waiting.keys()]) if (id.startsWith(`${room}|`)) this.waiting.delete(id);
    for (const id of [...this.settled]) if (id.startsWith(`${room}|`)) this.settled.delete(id);
  }
}
