// The client's own fold of each room's membership [R2] [R4]: built from verified events only (verified-log.ts),
// kept current by the live stream (a message that links to the chain moves it on; a membership event is folded
// from history, where a head vouches for it), and the one thing that decides who gets a room key.
import {
  EMPTY_ROOM,
  GENESIS_CHAIN,
  SERVER_ACTOR,
  applyMembership,
  eventHash,
  nextChain,
  toB64u,
  verifyMemberEvent,
  type MemberEvent,
  type RoomEvent,
  type RoomState,
} from '@parley/protocol';
import { SerialQueue, type Ctx } from './context.ts';
import type { Pins } from './pins.ts';
import type { MembershipNotice } from './types.ts';
import { readVerified } from './verified-log.ts';

export interface Fold {
  /** The last seq folded. */
  seq: number;
  /** The chain at `seq`, recomputed here [R1] [R4]. */
  chain: Uint8Array;
  /** Chains of membership events seen live and not folded yet: history must show them the same [R4]. */
  seen: Map<number, string>;
  state: RoomState;
  /** Seq at which each current member last became one: their shares start there [M3]. */
  since: Map<string, number>;
  /**
   * Each user's spells of membership, by seq: from the event that let them in up to (not including) the one
   * that removed them, `to` null while they are in [R4] [M6].
   */
  periods: Map<string, { from: number; to: number | null }[]>;
  /** Validity of each membership event folded, by seq. */
  valid: Map<number, boolean>;
  /** [M11] The seq of the latest membership event folded (valid or not): what an envelope names as memberSeq. */
  memberSeq: number;
  /**
   * [M4] The highest counter of this user's messages folded, from any of their devices: the next message counts
   * on from it (the counter is the user's, so two devices taking turns must not both send the same one).
   */
  ownCounter: number;
}

/** [R4] Whether `user` was a member of the folded room at `seq` (its membership events vouched for). */
export function wasMemberAt(fold: Fold, user: string, seq: number): boolean {
  return (fold.periods.get(user) ?? []).some((p) => p.from < seq && (p.to === null || seq < p.to));
}

/** A membership event signed by its actor's pinned key (the server's own for the server's create) [R2] [R3]. */
export async function verifyMember(pins: Pins, e: MemberEvent): Promise<boolean> {
  const key = e.actor === SERVER_ACTOR ? await pins.serverKey() : (await pins.keys(e.actor))?.signing;
  return key ? verifyMemberEvent(e, key) : false;
}

export class RoomFolds {
  private readonly folds = new Map<string, Fold>();
  /** The newest seq of each room seen live since the connection came up (cleared when it goes down). */
  private readonly live = new Map<string, number>();
  private readonly queue = new SerialQueue();

  constructor(
    private readonly ctx: Ctx,
    private readonly pins: Pins,
    /** How long a read waits for the head that covers its newest events (see verified-log.ts). */
    private readonly retry: { retries: number; retryMs: number },
  ) {}

  /**
   * The client's own fold of the room's membership, caught up to at least `upTo` (default: the head), from
   * verified events only [R4]: a gap, a broken chain, a fork or events no server head vouches for throw
   * LOG_UNVERIFIED, so nothing is decided (no key shared, nothing encrypted) on what the server made up.
   * `waitForHead` (default true): wait a while for a head that is signed late (a reader that only shows
   * notices does not).
   */
  fold(room: string, upTo?: number, o: { waitForHead?: boolean } = {}): Promise<Fold> {
    return this.queue.run(async () => {
      const fold: Fold = this.folds.get(room) ?? {
        seq: 0,
        chain: GENESIS_CHAIN,
        seen: new Map(),
        state: EMPTY_ROOM,
        since: new Map(),
        periods: new Map(),
        valid: new Map(),
        memberSeq: 0,
        ownCounter: 0,
      };
      this.folds.set(room, fold);
      if (upTo !== undefined && fold.seq >= upTo) return fold;
      const { events, end } = await readVerified({
        api: this.ctx.api,
        room,
        from: { seq: fold.seq, chain: fold.chain },
        serverKey: await this.pins.serverKey(),
        // A copy taken before the read: a live event that arrives while the read is answered is not yet in it.
        seen: new Map(fold.seen),
        ...(o.waitForHead === false ? { retries: 0, retryMs: 0 } : this.retry),
      });
      for (const ev of events) await this.apply(fold, ev);
      fold.chain = end.chain;
      for (const seq of fold.seen.keys()) if (seq <= fold.seq) fold.seen.delete(seq);
      return fold;
    });
  }

  /**
   * The fold a send uses. While the connection is up and the fold holds every event of the room seen live since
   * (messages linked by the chain, membership events folded from history), it is current: no request. Else it
   * is read like any fold. A membership change still in flight when the message leaves is caught by the server,
   * which refuses a message whose `memberSeq` is older than the room's latest membership event [M11]: the
   * sender then folds again with `fold()` and resends, so no key ever goes to someone out of the room.
   */
  async foldForSend(room: string): Promise<Fold> {
    // In the queue: a fold being read now is finished first.
    const current = await this.queue.run(() => {
      const fold = this.folds.get(room);
      const seen = this.live.get(room);
      return Promise.resolve(fold && seen !== undefined && fold.seq >= seen ? fold : null);
    });
    return current ?? this.fold(room);
  }

  /** The connection went down: what arrives next is a replay, and no fold is current until it is seen again. */
  offline(): void {
    this.live.clear();
  }

  /**
   * A live event. A message that links to the chain folded so far is taken at once (it changes no membership);
   * a membership event is folded only from history, where a head vouches for it, and is remembered so that
   * history must show it the same. Describes it when it is a membership event.
   */
  async observe(ev: RoomEvent): Promise<MembershipNotice | null> {
    this.live.set(ev.room, Math.max(ev.seq, this.live.get(ev.room) ?? 0));
    const fold = this.folds.get(ev.room);
    if (ev.kind === 'message') {
      if (fold) await this.queue.run(() => this.takeLinked(fold, ev));
      return null;
    }
    fold?.seen.set(ev.seq, ev.chain);
    let valid = false;
    try {
      valid = (await this.fold(ev.room, ev.seq)).valid.get(ev.seq) ?? false;
    } catch {
      // Not verifiable now: the notice says invalid, and the next send reads the log again (and refuses).
    }
    const e = ev.content;
    return { room: ev.room, seq: ev.seq, ts: ev.ts, type: e.type, actor: e.actor, target: e.target, valid };
  }

  private async takeLinked(fold: Fold, ev: RoomEvent): Promise<void> {
    if (ev.seq !== fold.seq + 1) return;
    const chain = await nextChain(fold.chain, await eventHash(ev));
    if (toB64u(chain) !== ev.chain) return;
    fold.seq = ev.seq;
    fold.chain = chain;
    this.countOwn(fold, ev);
  }

  private countOwn(fold: Fold, ev: RoomEvent): void {
    if (ev.kind === 'message' && ev.sender === this.ctx.me().user) {
      fold.ownCounter = Math.max(fold.ownCounter, ev.content.counter);
    }
  }

  /** Folds one verified event (readVerified gives them contiguous and in order). */
  private async apply(fold: Fold, ev: RoomEvent): Promise<void> {
    if (ev.seq <= fold.seq) return;
    fold.seq = ev.seq;
    this.countOwn(fold, ev);
    if (ev.kind !== 'member') return;
    const e = ev.content;
    let ok = e.room === ev.room && ev.sender === e.actor && (await verifyMember(this.pins, e));
    if (ok) {
      const r = applyMembership(fold.state, e);
      if (r.ok) fold.state = r.state;
      ok = r.ok;
    }
    fold.valid.set(ev.seq, ok);
    fold.memberSeq = ev.seq;
    if (ok && (e.type === 'invite' || e.type === 'join' || e.type === 'create')) {
      fold.since.set(e.target, ev.seq);
      fold.periods.set(e.target, [...(fold.periods.get(e.target) ?? []), { from: ev.seq, to: null }]);
    }
    if (ok && (e.type === 'leave' || e.type === 'kick')) {
      fold.since.delete(e.target);
      const open = fold.periods.get(e.target)?.at(-1);
      if (open) open.to = ev.seq;
    }
    if (!ok) {
      const detail = `event ${ev.seq} (${e.type} of ${e.target} by ${e.actor}) is not backed by a valid signature and rule`;
      this.ctx.emit('integrity', { room: ev.room, kind: 'invalid_membership', detail });
    }
  }
}
