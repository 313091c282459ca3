// Reading a room back: history pages (messages and membership notices, checked and decrypted) and the
// per-room read marks that make unread counts survive a reload.
import type { RoomEvent } from '@parley/protocol';
import { storeKey, type Ctx } from './context.ts';
import type { Inbound, MessageEvent } from './inbound.ts';
import type { Integrity, PageLinks } from './integrity.ts';
import { fetchPage } from './log.ts';
import type { EventsAnswer } from './schemas.ts';
import type { Rooms } from './rooms.ts';
import type { HistoryPage, MembershipNotice, MessageStatus, UnreadCount } from './types.ts';

type MemberEvent = Extract<RoomEvent, { kind: 'member' }>;

const messagesOf = (page: EventsAnswer) => page.events.filter((ev): ev is MessageEvent => ev.kind === 'message');

/** Largest page one history call reads. */
export const MAX_HISTORY_PAGE = 200;
/** Unread counts read at most this many events after the read mark (the UI shows "99+" anyway). */
const UNREAD_SCAN = 100;

/** A page on its way, and the work on it that needs no state: signatures, hashes and in-page links. */
interface Prefetched {
  page: Promise<EventsAnswer>;
  /** The waiting key shares, fetched when the page was requested. */
  shares: Promise<unknown>;
  verified: Promise<(MessageStatus | null)[]>;
  links: Promise<PageLinks>;
}

export class Timeline {
  /**
   * The next older page, requested ahead of time and checked as far as it can be without state; events are
   * immutable once committed, so it cannot go stale.
   */
  private readAhead: { at: string; next: Prefetched } | null = null;

  constructor(
    private readonly ctx: Ctx,
    private readonly rooms: Rooms,
    private readonly integrity: Integrity,
    private readonly inbound: Inbound,
  ) {}

  /**
   * One page of a room's log, oldest first. The page and waiting key shares are fetched together; the chain,
   * heads and signatures are checked and the messages decrypted concurrently [R1] [M4] [M5].
   */
  async page(room: string, opts: { limit?: number; before?: number } = {}): Promise<HistoryPage> {
    const id = (await this.rooms.resolveCached(room)).id;
    const before = opts.before ?? Number.MAX_SAFE_INTEGER;
    const limit = Math.max(1, Math.min(opts.limit ?? 50, MAX_HISTORY_PAGE));
    const fetched = this.fetch(id, before, limit);
    const page = await fetched.page;
    const oldest = page.events[0]?.seq;
    // Whoever reads a page back usually reads the one before it next: have it on its way, its signatures
    // verified and its hashes computed while the key shares are opened and this page is decrypted.
    if (oldest !== undefined && oldest > 1) {
      this.readAhead = { at: `${id}|${oldest}|${limit}`, next: this.prefetch(id, oldest, limit) };
    }
    await fetched.shares;
    const [decrypted, notices] = await Promise.all([
      this.inbound.decryptMany(messagesOf(page), fetched.verified),
      this.notices(id, page.events),
      this.integrity.checkAnswer(page, fetched.links),
    ]);
    return {
      messages: decrypted,
      notices,
      oldestSeq: oldest ?? null,
      hasMore: oldest !== undefined && oldest > 1,
    };
  }

  /** The page before `before`: the one read ahead when it is that one (used once), else a request. */
  private fetch(room: string, before: number, limit: number): Prefetched {
    const ahead = this.readAhead;
    this.readAhead = null;
    if (ahead?.at === `${room}|${before}|${limit}`) return ahead.next;
    return this.prefetch(room, before, limit);
  }

  private prefetch(room: string, before: number, limit: number): Prefetched {
    const page = fetchPage(this.ctx.api, room, { before }, limit);
    // Shares with the page, as before the read-ahead: a page read ahead brings the shares waiting then.
    const shares = this.inbound.fetchShares();
    const verified = page.then((p) => this.inbound.verifyAll(messagesOf(p)));
    const links = page.then((p) => this.integrity.linksOf(p.events));
    // A failed read-ahead is reported by the call that uses it; until then nothing is left unhandled.
    for (const p of [page, shares, verified, links]) p.catch(() => undefined);
    return { page, shares, verified, links };
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
    const fold = await this.rooms.fold(room, last.seq);
    return members.map((ev): MembershipNotice => ({
      room: ev.room,
      seq: ev.seq,
      ts: ev.ts,
      type: ev.content.type,
      actor: ev.content.actor,
      target: ev.content.target,
      valid: fold.valid.get(ev.seq) ?? false,
    }));
  }
}
