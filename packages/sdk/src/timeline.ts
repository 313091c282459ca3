// Reading a room back: history pages (messages and membership notices, checked and decrypted) and the
// per-room read marks that make unread counts survive a reload.
import type { RoomEvent } from '@parley/protocol';
import { storeKey, type Ctx } from './context.ts';
import type { Inbound } from './inbound.ts';
import type { Integrity } from './integrity.ts';
import { fetchPage } from './log.ts';
import { waitsForKey } from './missing-keys.ts';
import { ReadAhead, messagesOf } from './read-ahead.ts';
import type { Rooms } from './rooms.ts';
import type { DecryptedMessage, HistoryPage, MembershipNotice, MessageStatus, UnreadCount } from './types.ts';
import type { MessageEvent } from './inbound.ts';
import type { Verifier } from './verifier.ts';

type MemberEvent = Extract<RoomEvent, { kind: 'member' }>;

export interface TimelineParts {
  rooms: Rooms;
  integrity: Integrity;
  inbound: Inbound;
  /** Reads pages (parse, validation, hashes) and verifies signatures off the page's thread where it can. */
  verifier: Verifier;
  /** Reads what the account's other devices kept in the vault [K9]. */
  pullVault: () => Promise<void>;
}

/** Largest page one history call reads. */
export const MAX_HISTORY_PAGE = 200;
/** Unread counts read at most this many events after the read mark (the UI shows "99+" anyway). */
const UNREAD_SCAN = 100;

export class Timeline {
  private readonly rooms: Rooms;
  private readonly integrity: Integrity;
  private readonly inbound: Inbound;
  private readonly pages: ReadAhead;
  private readonly pullVault: () => Promise<void>;

  constructor(
    private readonly ctx: Ctx,
    parts: TimelineParts,
  ) {
    ({ rooms: this.rooms, integrity: this.integrity, inbound: this.inbound, pullVault: this.pullVault } = parts);
    this.pages = new ReadAhead(ctx, parts);
  }

  /**
   * One page of a room's log, oldest first. The page and waiting key shares are fetched together; the chain,
   * heads and signatures are checked and the messages decrypted concurrently [R1] [M4] [M5].
   */
  async page(room: string, opts: { limit?: number; before?: number } = {}): Promise<HistoryPage> {
    const id = (await this.rooms.resolveCached(room)).id;
    const before = opts.before ?? Number.MAX_SAFE_INTEGER;
    const limit = Math.max(1, Math.min(opts.limit ?? 50, MAX_HISTORY_PAGE));
    // Whoever reads a page back usually reads the ones before it next: they are put on their way, read and
    // verified while the key shares are opened and this page is decrypted.
    const fetched = this.pages.take(id, before, limit);
    const read = await fetched.read;
    const page = read.answer;
    const oldest = page.events[0]?.seq;
    await fetched.shares;
    const events = messagesOf(read).messages;
    const [decrypted, notices] = await Promise.all([
      this.inbound.decryptMany(events, fetched.verified),
      this.notices(id, page.events),
      this.integrity.checkAnswer(page, read.links),
    ]);
    return {
      messages: await this.withVaultKeys(events, decrypted, fetched.verified),
      notices,
      oldestSeq: oldest ?? null,
      hasMore: oldest !== undefined && oldest > 1,
    };
  }

  /**
   * [K9] Messages whose key this device lacks: another device of the account may have collected the share (and
   * the server deleted it); the vault is read once and those messages decrypted again.
   */
  private async withVaultKeys(
    events: readonly MessageEvent[],
    decrypted: DecryptedMessage[],
    verified: Promise<(MessageStatus | null)[]>,
  ): Promise<DecryptedMessage[]> {
    const missing = new Set(decrypted.filter((m) => waitsForKey(m.status)).map((m) => m.seq));
    if (missing.size === 0) return decrypted;
    await this.pullVault().catch(() => undefined);
    // The signatures were verified with the page: only the decryption runs again.
    const isMissing = (ev: MessageEvent) => missing.has(ev.seq);
    const signatures = verified.then((all) => all.filter((_, i) => isMissing(events[i]!)));
    const again = await this.inbound.decryptMany(events.filter(isMissing), signatures);
    const bySeq = new Map(again.map((m) => [m.seq, m]));
    return decrypted.map((m) => bySeq.get(m.seq) ?? m);
  }

  /** Remembers that the user has read the room up to `seq` (never moves back). */
  async markRead(room: string, seq: number): Promise<void> {
    const marks = (await this.ctx.store.get<Record<string, number>>(storeKey.readMarks)) ?? {};
    if ((marks[room] ?? 0) >= seq) return;
    await this.ctx.store.set(storeKey.readMarks, { ...marks, [room]: seq });
  }

  /**
   * Messages from others after each room's read mark, counted from the log (nothing decrypted). The first
   * call on a fresh store marks every room read at its head, so only what arrives from then on counts; a room
   * joined later counts from its start.
   */
  async unread(): Promise<Record<string, UnreadCount>> {
    const rooms = await this.rooms.list();
    const stored = await this.ctx.store.get<Record<string, number>>(storeKey.readMarks);
    if (!stored) {
      await this.ctx.store.set(storeKey.readMarks, Object.fromEntries(rooms.map((r) => [r.id, r.headSeq])));
    }
    const me = this.ctx.me().user;
    const counts = await Promise.all(
      rooms.map(async (r): Promise<[string, UnreadCount]> => {
        const mark = stored ? (stored[r.id] ?? 0) : r.headSeq;
        if (r.headSeq <= mark) return [r.id, { count: 0, upTo: r.headSeq }];
        const page = await fetchPage(this.ctx.api, r.id, { after: mark }, UNREAD_SCAN);
        const count = page.events.filter((ev) => ev.kind === 'message' && ev.sender !== me).length;
        return [r.id, { count, upTo: page.events.at(-1)?.seq ?? mark }];
      }),
    );
    return Object.fromEntries(counts);
  }

  /** Membership notices of a page, with validity from the client's own fold [R2]. */
  private async notices(room: string, events: readonly RoomEvent[]): Promise<MembershipNotice[]> {
    const members = events.filter((ev): ev is MemberEvent => ev.kind === 'member');
    const last = members.at(-1);
    if (!last) return [];
    // A log that cannot be verified [R4] vouches for no membership event.
    const fold = await this.rooms.fold(room, last.seq, { waitForHead: false }).catch(() => null);
    return members.map((ev): MembershipNotice => ({
      room: ev.room,
      seq: ev.seq,
      ts: ev.ts,
      type: ev.content.type,
      actor: ev.content.actor,
      target: ev.content.target,
      valid: fold?.valid.get(ev.seq) ?? false,
    }));
  }
}
