// What the server committed to [R1] [M4] [M5]: each event's hash and chain link is recomputed, each head's
// signature checked with the pinned server key, and each sender's counter followed. Findings become
// `integrity` events; the messages themselves are still shown (with their own status). Chains and heads are
// also what members compare with each other to find a fork [R1].
import {
  GENESIS_CHAIN,
  eventHash,
  fromB64u,
  nextChain,
  toB64u,
  type Head,
  type RoomEvent,
} from '@parley/protocol';
import { SerialQueue, storeKey, type Ctx } from './context.ts';
import { HeadWatch } from './head-watch.ts';
import { PAGE_LIMIT, fetchPage } from './log.ts';
import { inPageLinks, type PageLinks } from './page-read.ts';
import type { Pins } from './pins.ts';
import { SenderCounters, checkedEvent, type CounterPair } from './sender-counters.ts';
import { VerifiedHeads } from './verified-heads.ts';
import type { EventsResponse } from '@parley/protocol';
import type { ChainHead, HeadComparison, IntegrityWarning } from './types.ts';

export interface IntegrityOptions {
  /** See ClientOptions.headGraceMs. */
  headGraceMs: number;
}

/** Chains remembered per room: enough to link the next page and compare the next heads. */
const CHAIN_MEMORY = 2000;

/** A sender's counter and the session it came in (unknown in what an earlier client persisted). */
interface Counted {
  counter: number;
  session?: string;
}

/** A persisted counter: earlier clients kept only the number. */
const counted = (saved: Counted | number | undefined): Counted | undefined =>
  typeof saved === 'number' ? { counter: saved } : saved;

export class Integrity {
  private readonly chains = new Map<string, Map<number, string>>();
  private readonly heads = new Map<string, Map<number, string>>();
  /**
   * Per room: the hash of each event whose previous event's chain was not known when it was checked (the
   * first event of a page read backwards). Its link is checked when that previous event arrives, so pages
   * read newest first are one chain up to the head that vouches for the newest [R1] [M5].
   */
  private readonly unlinked = new Map<string, Map<number, Uint8Array>>();
  private readonly reported = new Set<string>();
  private readonly signatures: VerifiedHeads;
  /** Per room: the newest head whose signature verified. */
  private readonly newest = new Map<string, Head>();
  private readonly counters = new SenderCounters();
  private readonly queue = new SerialQueue();
  private readonly watch: HeadWatch;

  constructor(
    private readonly ctx: Ctx,
    private readonly pins: Pins,
    o: IntegrityOptions,
  ) {
    this.signatures = new VerifiedHeads(pins);
    this.watch = new HeadWatch({
      graceMs: o.headGraceMs,
      recheck: async (room, seq) => this.checkHeads((await this.read(room, { after: seq - 1 }, 1)).heads),
      report: (room, seq) =>
        this.warn(room, 'missing_head', `no valid server head vouches for the events up to seq ${seq}`),
    });
  }

  /**
   * A history answer: its events, then its heads; every event must end up covered by a valid head [M5].
   * `links`: the page's hashes and links, computed earlier (page-read.ts, for a page read ahead).
   */
  async checkAnswer(page: EventsResponse, links?: PageLinks): Promise<void> {
    await this.checkPage(page.events, links);
    await this.checkHeads(page.heads);
    const last = page.events.at(-1);
    if (last) this.watch.expect(last.room, last.seq);
  }

  /** Every event's hash and in-page link, for a page whose links were not computed ahead (page-read.ts). */
  private async linksOf(events: readonly RoomEvent[]): Promise<PageLinks> {
    const hashes = await Promise.all(events.map((ev) => eventHash(ev)));
    return { hashes, links: await inPageLinks(events, hashes) };
  }

  /**
   * Checks a history page (read backwards, out of order). The hashes and links come from linksOf; the
   * bookkeeping (which chain is remembered, what is a fork) then runs in seq order, exactly as for one event
   * at a time. Counters are compared with everything checked before, across pages and live events [M4].
   */
  async checkPage(events: readonly RoomEvent[], precomputed?: PageLinks): Promise<void> {
    const { hashes, links } = precomputed ?? (await this.linksOf(events));
    return this.queue.run(async () => {
      const checked: RoomEvent[] = [];
      for (const [i, ev] of events.entries()) {
        const hash = hashes[i];
        const link = links[i];
        if (!hash) continue;
        const claimedPrev = events[i - 1]?.chain;
        await this.checkChain(ev, hash, link && claimedPrev !== undefined ? { prev: claimedPrev, link } : null);
        checked.push(ev);
      }
      const room = checked[0]?.room;
      if (room !== undefined) this.checkCounters(room, this.counters.add(room, checked.map(checkedEvent)));
    });
  }

  /**
   * Checks one live event and follows its sender's counter [M4]: against the events checked before it in
   * this run, else against the counters persisted from earlier runs. `contiguous`: no event of the room was
   * skipped since the last one checked, so a counter jump means the server dropped something.
   */
  checkLive(ev: RoomEvent, contiguous: boolean): Promise<void> {
    return this.queue.run(async () => {
      await this.checkChain(ev, await eventHash(ev), null);
      this.watch.expect(ev.room, ev.seq);
      const pairs = this.counters.add(ev.room, [checkedEvent(ev)]);
      const key = storeKey.counters(ev.room);
      // After a skip, the counters seen before it say nothing about the next messages: start over.
      const seen = contiguous ? ((await this.ctx.store.get<Record<string, Counted | number>>(key)) ?? {}) : {};
      if (ev.kind !== 'message') {
        if (!contiguous) await this.ctx.store.set(key, seen);
        return;
      }
      const now = { counter: ev.content.counter, session: ev.content.sessionId };
      const before = counted(seen[ev.sender]);
      if (pairs.some((p) => p.later.seq === ev.seq)) this.checkCounters(ev.room, pairs);
      else if (before) this.checkCounter(ev.room, ev.sender, now, before, ev.seq);
      if (!contiguous || now.counter > (before?.counter ?? 0))
        await this.ctx.store.set(key, { ...seen, [ev.sender]: now });
    });
  }

  checkHead(head: Head): Promise<void> {
    return this.checkHeads([head]);
  }

  /**
   * Checks heads [M5]: each signature not verified before is verified (concurrently); a head already verified
   * with the same seq, chain and signature is not verified again. Then each is compared with the chains seen.
   */
  async checkHeads(heads: readonly Head[]): Promise<void> {
    const valid = await this.signatures.check(heads);
    return this.queue.run(() => {
      for (const [i, head] of heads.entries()) {
        if (!valid[i]) {
          this.warn(head.room, 'bad_head', `head ${head.seq} is not signed by the pinned server key`);
          continue;
        }
        remember(this.heads, head.room, head.seq, head.chain);
        this.watch.headSeen(head.room, head.seq);
        if (head.seq > (this.newest.get(head.room)?.seq ?? 0)) this.newest.set(head.room, head);
        const known = this.chains.get(head.room)?.get(head.seq);
        if (known && known !== head.chain) this.fork(head.room, head.seq);
      }
      return Promise.resolve();
    });
  }

  /** Events that never arrived and were not filled (the same words for a `gap` frame and a live seq jump). */
  gap(room: string, from: number, to: number): void {
    this.warn(room, 'gap', `events ${from}..${to} never arrived and the server did not fill them`);
  }

  /** A live event the protocol schema refused [§0]: it is not processed, and that is said. */
  refused(room: string, seq: number | null, why: string): void {
    this.warn(room, 'invalid_event', `live event ${seq ?? '?'} was refused and not processed: ${why}`);
  }

  /** The room's newest verified head, read fresh when the server answers (else the newest one seen). */
  async chainHead(room: string): Promise<ChainHead | null> {
    try {
      await this.checkAnswer(await this.read(room, { before: Number.MAX_SAFE_INTEGER }, 1));
    } catch {
      // Offline or refused: the newest head already verified is still this client's view.
    }
    const head = this.newest.get(room);
    return head ? { room: head.room, seq: head.seq, chain: head.chain } : null;
  }

  /** Another member's head against this client's chain [R1]; a different chain for one seq is a fork. */
  async compareHead(head: ChainHead): Promise<HeadComparison> {
    if (!Number.isSafeInteger(head.seq) || head.seq < 1) return 'unknown';
    let mine = this.chainAt(head.room, head.seq);
    if (mine === undefined) {
      await this.readUpTo(head.room, head.seq).catch(() => undefined);
      mine = this.chainAt(head.room, head.seq);
    }
    if (mine === undefined) return 'unknown';
    if (mine === head.chain) return 'match';
    this.warn(head.room, 'chain_mismatch', `another member holds a different chain for seq ${head.seq} (fork)`);
    return 'fork';
  }

  /** Forgets pending head checks (logout). */
  stop(): void {
    this.watch.stop();
  }

  private chainAt(room: string, seq: number): string | undefined {
    return this.chains.get(room)?.get(seq) ?? this.heads.get(room)?.get(seq);
  }

  /** Reads the events up to `seq` from the nearest chain already held, so each one's link is checked. */
  private async readUpTo(room: string, seq: number): Promise<void> {
    let from = 0;
    for (const s of this.chains.get(room)?.keys() ?? []) if (s < seq && s > from) from = s;
    if (seq - from > PAGE_LIMIT) return;
    await this.checkAnswer(await this.read(room, { after: from }, seq - from));
  }

  private read(room: string, at: { after: number } | { before: number }, limit: number): Promise<EventsResponse> {
    return fetchPage(this.ctx.api, room, at, limit);
  }

  /**
   * `pre`: the link to the page's previous event, computed ahead from that event's claimed chain; used only
   * when that claimed chain is the one remembered for seq − 1 (else the link is computed again here).
   */
  private async checkChain(
    ev: RoomEvent,
    hash: Uint8Array,
    pre: { prev: string; link: Uint8Array } | null,
  ): Promise<void> {
    if (toB64u(hash) !== ev.hash) {
      return this.warn(ev.room, 'chain_mismatch', `event ${ev.seq} does not match its hash`);
    }
    const prev = ev.seq === 1 ? toB64u(GENESIS_CHAIN) : this.chains.get(ev.room)?.get(ev.seq - 1);
    if (prev !== undefined) {
      const link = pre && pre.prev === prev ? pre.link : await nextChain(fromB64u(prev), hash);
      if (toB64u(link) !== ev.chain) {
        return this.warn(
          ev.room,
          'chain_mismatch',
          `event ${ev.seq} does not extend the chain of event ${ev.seq - 1}`,
        );
      }
    }
    const known = this.chains.get(ev.room)?.get(ev.seq);
    const signed = this.heads.get(ev.room)?.get(ev.seq);
    if ((known && known !== ev.chain) || (signed && signed !== ev.chain)) return this.fork(ev.room, ev.seq);
    remember(this.chains, ev.room, ev.seq, ev.chain);
    if (prev === undefined) remember(this.unlinked, ev.room, ev.seq, hash);
    await this.linkNext(ev);
  }

  /** The event after `ev`, checked earlier without its link (a newer page): its chain must extend ev's. */
  private async linkNext(ev: RoomEvent): Promise<void> {
    const waiting = this.unlinked.get(ev.room);
    const hash = waiting?.get(ev.seq + 1);
    const next = this.chains.get(ev.room)?.get(ev.seq + 1);
    if (!waiting || !hash) return;
    waiting.delete(ev.seq + 1);
    if (next === undefined || toB64u(await nextChain(fromB64u(ev.chain), hash)) === next) return;
    this.warn(ev.room, 'chain_mismatch', `event ${ev.seq + 1} does not extend the chain of event ${ev.seq}`);
  }

  private checkCounters(room: string, pairs: readonly CounterPair[]): void {
    for (const p of pairs) this.checkCounter(room, p.sender, p.later, p.earlier, p.later.seq);
  }

  /**
   * `later` must count on from `earlier` by one. The one exception is the same counter in another session:
   * two of the sender's devices (each has its own session) sent at the same moment, each counting on from the
   * same last message. A server cannot make that up: it cannot sign, and a copy served again is the same
   * session (and the ratchet reads it as `replayed`).
   */
  private checkCounter(room: string, sender: string, later: Counted, earlier: Counted, seq: number): void {
    const { counter } = later;
    const last = earlier.counter;
    const concurrent = counter === last && earlier.session !== undefined && later.session !== earlier.session;
    if (counter <= last && !concurrent)
      this.warn(room, 'counter_replay', `${sender}'s counter ${counter} at seq ${seq} was already seen`, sender);
    else if (counter > last + 1) {
      this.warn(
        room,
        'counter_gap',
        `${counter - last - 1} message(s) of ${sender} before seq ${seq} are missing`,
        sender,
      );
    }
  }

  private fork(room: string, seq: number): void {
    this.warn(room, 'chain_mismatch', `two different chains were served for seq ${seq} (fork)`);
  }

  private warn(room: string, kind: IntegrityWarning['kind'], detail: string, user?: string): void {
    const id = `${room}|${kind}|${detail}`;
    if (this.reported.has(id)) return;
    this.reported.add(id);
    this.ctx.emit('integrity', user === undefined ? { room, kind, detail } : { room, kind, detail, user });
  }
}

function remember<T>(map: Map<string, Map<number, T>>, room: string, seq: number, value: T): void {
  let m = map.get(room);
  if (!m) map.set(room, (m = new Map<number, T>()));
  m.set(seq, value);
  if (m.size > CHAIN_MEMORY) {
    const oldest = m.keys().next();
    if (!oldest.done) m.delete(oldest.value);
  }
}
