// The live stream, one event at a time and in order: integrity -> membership fold -> decryption -> events.
// A seq that jumps (an event that never arrived) is filled from history first, so a dropped frame costs a
// request, not a message; what the server does not fill is said as a `gap` [R1] [D3]. A frame the protocol
// schema refuses (another version, §0) is never processed, and that is said too.
import { PROTOCOL_VERSION, type RoomEvent } from '@parley/protocol';
import { storeKey, type Ctx } from './context.ts';
import type { Inbound } from './inbound.ts';
import type { Integrity } from './integrity.ts';
import { PAGE_LIMIT, fetchPage } from './log.ts';
import type { Rooms } from './rooms.ts';

/** A live jump over more events than this is not read back (the server says such gaps itself, [D3]). */
const MAX_FILL = 2 * PAGE_LIMIT;
const ROOM_ID_MAX = 64;

export class Live {
  constructor(
    private readonly ctx: Ctx,
    private readonly integrity: Integrity,
    private readonly rooms: Rooms,
    private readonly inbound: Inbound,
  ) {}

  async event(ev: RoomEvent): Promise<void> {
    const last = (await this.lastSeq())[ev.room] ?? 0;
    if (ev.seq <= last) return; // a replay of what this client already processed
    let contiguous = ev.seq === last + 1;
    // A room seen for the first time, or one this user is let into again, starts where it starts.
    if (!contiguous && last > 0 && !this.letsMeIn(ev)) contiguous = await this.fill(ev.room, last, ev.seq);
    await this.process(ev, contiguous);
  }

  /** A frame the schema refused: reported when it was a room event, never processed [§0]. */
  refused(raw: unknown): void {
    if (!isObject(raw) || raw.type !== 'event' || !isObject(raw.event)) return;
    const { room, seq, content } = raw.event;
    if (typeof room !== 'string' || room.length > ROOM_ID_MAX) return;
    const v = isObject(content) ? content.v : undefined;
    const why =
      v !== PROTOCOL_VERSION
        ? `protocol version ${String(v).slice(0, 16)}, not ${PROTOCOL_VERSION}`
        : 'it does not match the protocol';
    this.integrity.refused(room, Number.isSafeInteger(seq) ? (seq as number) : null, why);
  }

  private async process(ev: RoomEvent, contiguous: boolean): Promise<void> {
    await this.integrity.checkLive(ev, contiguous);
    await this.ctx.store.set(storeKey.lastSeq, { ...(await this.lastSeq()), [ev.room]: ev.seq });
    const notice = await this.rooms.observe(ev);
    // Removed by a valid event (a forged one must not cost the user keys): the room's sessions go first.
    const out = notice?.type === 'leave' || notice?.type === 'kick';
    if (out && notice.valid && notice.target === this.ctx.me().user) await this.inbound.forgetRoom(ev.room);
    if (notice) this.ctx.emit('member', notice);
    if (out && notice.valid && notice.target !== this.ctx.me().user)
      for (const m of await this.inbound.senderLeft(ev.room, notice.target)) this.ctx.emit('keyUnavailable', m);
    if (ev.kind === 'message') this.ctx.emit('message', await this.inbound.decrypt(ev));
  }

  /**
   * Reads the events between `last` and `next` from history and processes them in order. True when every
   * one came; else the rest is reported as a gap.
   */
  private async fill(room: string, last: number, next: number): Promise<boolean> {
    let at = last;
    const tooFar = next - 1 - last > MAX_FILL;
    try {
      while (!tooFar && at < next - 1) {
        const page = await fetchPage(this.ctx.api, room, { after: at }, Math.min(PAGE_LIMIT, next - 1 - at));
        const start = at;
        for (const e of page.events) {
          if (e.room !== room || e.seq !== at + 1 || e.seq >= next) break;
          await this.process(e, true);
          at = e.seq;
        }
        await this.integrity.checkHeads(page.heads);
        if (at === start) break;
      }
    } catch {
      // The server could not or would not fill it: said below.
    }
    if (at === next - 1) return true;
    this.integrity.gap(room, at + 1, next - 1);
    return false;
  }

  /** An invite or join of this user: the events before it were never this user's to receive live. */
  private letsMeIn(ev: RoomEvent): boolean {
    if (ev.kind !== 'member') return false;
    const { type, target } = ev.content;
    return (type === 'invite' || type === 'join') && target === this.ctx.me().user;
  }

  private async lastSeq(): Promise<Record<string, number>> {
    return (await this.ctx.store.get<Record<string, number>>(storeKey.lastSeq)) ?? {};
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}
