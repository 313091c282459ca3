// What a message must pass before it is decrypted, and what is said about it besides: the sender's signature
// [M4], the sender's membership at its seq by the verified fold [M6] [R4], a membership named older than a
// removal [M11], and whether the reader verified the sender [K6]. And what the fold says of a key share's room.
import { messageSignatureInput, type HistoryVisibility, type RoomEvent } from '@parley/protocol';
import type { Ctx } from './context.ts';
import type { SignatureInput } from './page-read.ts';
import type { Pins } from './pins.ts';
import { wasMemberAt, type Fold, type Rooms } from './rooms.ts';
import type { MessageStatus } from './types.ts';
import type { Verifier, VerifyItem } from './verifier.ts';

export type MessageEvent = Extract<RoomEvent, { kind: 'message' }>;

export class MessageChecks {
  /** Messages already reported as stale_membership, by room|seq. */
  private readonly staleReported = new Set<string>();

  constructor(
    private readonly ctx: Ctx,
    private readonly parts: { pins: Pins; rooms: Rooms; verifier: Verifier },
  ) {}

  /**
   * The sender signature of each event [M4]: null when valid, else the status it gives the message. An
   * envelope signed for another room than the one it was delivered in is moved, whoever signed it: tampered,
   * before any key is looked up (or asked for). Stateless (pinned keys only), so a page read ahead can be
   * verified before it is asked for. `signed`: the events' signature inputs when already built (page-read.ts).
   */
  async signatures(
    events: readonly MessageEvent[],
    signed?: readonly SignatureInput[],
  ): Promise<(MessageStatus | null)[]> {
    // The keys first (the `tampered` check needs none), then the signatures in one batch.
    const keys = await Promise.all(
      events.map((ev) => (ev.content.room === ev.room ? this.parts.pins.keys(ev.sender) : Promise.resolve(null))),
    );
    const items: VerifyItem[] = [];
    const statuses = events.map((ev, i): MessageStatus | number => {
      if (ev.content.room !== ev.room) return 'tampered';
      const key = keys[i]?.signing;
      if (!key) return 'unknown_sender';
      return items.push({ key, ...(signed?.[i] ?? messageSignatureInput(ev.content, ev.sender)) }) - 1;
    });
    const valid = await this.parts.verifier.verifyAll(items);
    return statuses.map((s) => (typeof s === 'number' ? (valid[s] ? null : 'bad_signature') : s));
  }

  /**
   * [M6] [R4] A validly signed message whose sender was not a member at its seq (by the verified fold) is
   * `not_member`, and is not decrypted. A log that cannot be verified yet decides nothing here: its messages
   * keep the status their keys give them.
   */
  async membersOnly(
    events: readonly MessageEvent[],
    signed: readonly (MessageStatus | null)[],
  ): Promise<(MessageStatus | null)[]> {
    const last = events.at(-1);
    if (!last) return [...signed];
    const fold = await this.parts.rooms.fold(last.room, last.seq, { waitForHead: false }).catch(() => null);
    if (!fold) return [...signed];
    this.flagStale(fold, events);
    return events.map((ev, i) =>
      signed[i] === null && ev.room === last.room && !wasMemberAt(fold, ev.sender, ev.seq)
        ? 'not_member'
        : signed[i]!,
    );
  }

  /**
   * Per room of these shares, by the verified fold [R4]: whether each sender was ever a member, and who reads
   * earlier messages [R5]. A room whose log cannot be verified now is left out: its own shares are kept (their
   * senders' messages are judged when read), forwarded ones are not.
   */
  async shareRooms(
    shares: readonly { room: string; sender: string }[],
  ): Promise<Map<string, { everMember: Map<string, boolean>; history: HistoryVisibility }>> {
    const out = new Map<string, { everMember: Map<string, boolean>; history: HistoryVisibility }>();
    for (const room of new Set(shares.map((s) => s.room))) {
      const fold = await this.parts.rooms.fold(room, undefined, { waitForHead: false }).catch(() => null);
      if (!fold) continue;
      const senders = shares.filter((s) => s.room === room).map((s) => s.sender);
      out.set(room, {
        everMember: new Map(senders.map((u) => [u, fold.periods.has(u)])),
        history: fold.state.history,
      });
    }
    return out;
  }

  /** The senders of these events whose keys this user verified [K6]. */
  async verifiedSenders(events: readonly MessageEvent[]): Promise<Set<string>> {
    const senders = [...new Set(events.map((ev) => ev.sender))];
    const flags = await Promise.all(senders.map((u) => this.parts.pins.isVerified(u)));
    return new Set(senders.filter((_, i) => flags[i]));
  }

  /**
   * [M11] A message that names a membership older than a removal before it was encrypted for people no longer
   * in the room: the server should have refused it. Said once per message (`integrity`, stale_membership).
   */
  private flagStale(fold: Fold, events: readonly MessageEvent[]): void {
    const removals = [...fold.periods.values()].flatMap((spells) =>
      spells.flatMap((p) => (p.to === null ? [] : [p.to])),
    );
    for (const ev of events) {
      const id = `${ev.room}|${ev.seq}`;
      if (this.staleReported.has(id)) continue;
      const removal = removals.find((r) => ev.content.memberSeq < r && r < ev.seq);
      if (removal === undefined) continue;
      this.staleReported.add(id);
      this.ctx.emit('integrity', {
        room: ev.room,
        kind: 'stale_membership',
        user: ev.sender,
        detail: `message ${ev.seq} names membership seq ${ev.content.memberSeq}, before the removal at seq ${removal}`,
      });
    }
  }
}
