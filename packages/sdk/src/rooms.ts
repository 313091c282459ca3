// Rooms and signed membership [R2] [R3]. Every membership change is an event signed by its actor; the client
// folds the room's log again itself (verifyMemberEvent + applyMembership) and trusts only that fold when it
// decides who gets a room key — never the member list the server reports.
import {
  EMPTY_ROOM,
  GENESIS_CHAIN,
  eventHash,
  nextChain,
  toB64u,
  PROTOCOL_VERSION,
  SERVER_ACTOR,
  USER_ID,
  applyMembership,
  createRoomResponse,
  memberEventResponse,
  parseWith,
  randomId,
  roomName,
  roomsResponse,
  signMemberEvent,
  verifyMemberEvent,
  type HistoryVisibility,
  type MemberEvent,
  type MemberType,
  type RoomEvent,
  type RoomState,
  type RoomSummary as RoomSummaryAnswer,
} from '@parley/protocol';
import { SerialQueue, type Ctx } from './context.ts';
import { ParleyError } from './errors.ts';
import { readVerified } from './verified-log.ts';
import type { Pins } from './pins.ts';
import type { Member, MembershipNotice, RoomSummary } from './types.ts';

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
}

const toSummary = (r: RoomSummaryAnswer, official: boolean): RoomSummary => ({
  id: r.id,
  name: r.name,
  public: r.public,
  role: r.role ?? null,
  headSeq: r.headSeq ?? 0,
  official,
});

export function normalizeUser(name: string): string {
  const user = name.trim().toLowerCase();
  if (!USER_ID.test(user)) {
    throw new ParleyError(
      'INVALID_INPUT',
      `invalid user name "${name}": 3–32 of a-z 0-9 _ . - starting with a letter or digit`,
    );
  }
  return user;
}

/** [R4] Whether `user` was a member of the folded room at `seq` (its membership events vouched for). */
export function wasMemberAt(fold: Fold, user: string, seq: number): boolean {
  return (fold.periods.get(user) ?? []).some((p) => p.from < seq && (p.to === null || seq < p.to));
}

export class Rooms {
  private readonly folds = new Map<string, Fold>();
  /** The newest seq of each room seen live since the connection came up (cleared when it goes down). */
  private readonly live = new Map<string, number>();
  /** The rooms of the last list(), by id. */
  private known = new Map<string, RoomSummary>();
  private readonly queue = new SerialQueue();
  /** Rooms whose create event the server signed, verified with the pinned server key [R3]. */
  private readonly official = new Set<string>();
  private officialLoaded: Promise<void> | null = null;

  constructor(
    private readonly ctx: Ctx,
    private readonly pins: Pins,
    /** How long a read waits for the head that covers its newest events (see verified-log.ts). */
    private readonly retry: { retries: number; retryMs: number } = { retries: 10, retryMs: 250 },
  ) {}

  async list(): Promise<RoomSummary[]> {
    const [answer] = await Promise.all([this.ctx.api.get('/api/rooms', roomsResponse), this.loadOfficial()]);
    const rooms = answer.rooms.map((r) => toSummary(r, this.official.has(r.id)));
    this.known = new Map(rooms.map((r) => [r.id, r]));
    return rooms;
  }

  /** Public rooms; the server's own ones ("general") are `official` only when their create event verifies [R3]. */
  async publicList(): Promise<RoomSummary[]> {
    const { rooms } = await this.ctx.api.get('/api/rooms/public', roomsResponse);
    await Promise.all(
      rooms.map(async (r) => {
        if (await this.createdByServer(r)) this.official.add(r.id);
      }),
    );
    return rooms.map((r) => toSummary(r, this.official.has(r.id)));
  }

  /**
   * A room the user is in by id or name; with `includePublic`, also a public room to join. Of several rooms
   * with the name asked for, the server's own one is meant [R3]; else the name is ambiguous.
   */
  async resolve(idOrName: string, includePublic = false): Promise<RoomSummary> {
    const pick = (rooms: RoomSummary[]) => {
      const byId = rooms.find((r) => r.id === idOrName);
      if (byId) return byId;
      const named = rooms.filter((r) => r.name === idOrName);
      if (named.length <= 1) return named[0];
      const official = named.find((r) => r.official);
      if (official) return official;
      const ids = named.map((r) => r.id).join(', ');
      throw new ParleyError(
        'AMBIGUOUS_ROOM',
        `${named.length} rooms are named "${idOrName}": give the id (${ids})`,
      );
    };
    const mine = pick(await this.list());
    if (mine) return mine;
    const open = includePublic ? pick(await this.publicList()) : undefined;
    if (open) return open;
    throw new ParleyError('UNKNOWN_ROOM', `unknown room "${idOrName}": not a room you are in`);
  }

  /** The server's own "general" [R3]: the public room whose create event the pinned server key signed. */
  async general(): Promise<RoomSummary | null> {
    return (await this.publicList()).find((r) => r.official && r.name === 'general') ?? null;
  }

  /**
   * Like resolve, without a request when `idOrName` is the id of a room the last list() returned (its
   * headSeq may be stale). The server still checks membership on every read.
   */
  async resolveCached(idOrName: string): Promise<RoomSummary> {
    return this.known.get(idOrName) ?? this.resolve(idOrName);
  }

  async create(
    name: string,
    opts: { public?: boolean; members?: string[]; history?: HistoryVisibility } = {},
  ): Promise<RoomSummary> {
    const me = this.ctx.me();
    const named = parseWith(roomName, name);
    if (!named.ok) throw new ParleyError('INVALID_INPUT', `room name ${named.error}`);
    const room = randomId();
    const create = await this.sign({
      type: 'create',
      room,
      target: me.user,
      name,
      public: opts.public ?? false,
      history: opts.history ?? 'shared',
    });
    const targets = [...new Set((opts.members ?? []).map(normalizeUser))].filter((u) => u !== me.user);
    for (const t of targets) await this.requireUser(t);
    const invites = await Promise.all(targets.map((target) => this.sign({ type: 'invite', room, target })));
    const answer = await this.ctx.api.post('/api/rooms', { create, invites }, createRoomResponse);
    return toSummary(answer.room, false);
  }

  /** Posts one signed membership event: invite, join, leave, kick or promote. */
  async act(room: string, type: Exclude<MemberType, 'create'>, target: string): Promise<void> {
    if (target !== this.ctx.me().user) await this.requireUser(target);
    const event = await this.sign({ type, room, target });
    await this.ctx.api.post(`/api/rooms/${encodeURIComponent(room)}/members`, { event }, memberEventResponse);
  }

  /**
   * [R4] The other person of a direct message, from the verified fold: a private room of exactly two members,
   * this user and them, named as directMessage names it. Null otherwise, whatever the room is called: a room
   * someone else named "alice & bob" is not shown as a direct message.
   */
  async directPeer(room: string): Promise<string | null> {
    const me = this.ctx.me().user;
    const fold = await this.fold(room, undefined, { waitForHead: false }).catch(() => null);
    if (!fold || fold.state.public) return null;
    const members = [...fold.state.members.keys()];
    const other = members.find((u) => u !== me);
    if (members.length !== 2 || !members.includes(me) || !other) return null;
    return fold.state.name === [me, other].sort().join(' & ') ? other : null;
  }

  async members(room: string, online: ReadonlySet<string>): Promise<Member[]> {
    const fold = await this.fold(room);
    return [...fold.state.members].map(([user, role]) => ({ user, role, online: online.has(user) }));
  }

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
  }

  /** Folds one verified event (readVerified gives them contiguous and in order). */
  private async apply(fold: Fold, ev: RoomEvent): Promise<void> {
    if (ev.seq <= fold.seq) return;
    fold.seq = ev.seq;
    if (ev.kind !== 'member') return;
    const e = ev.content;
    let ok = e.room === ev.room && ev.sender === e.actor && (await this.verify(e));
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

  /** Once per client: which public rooms are the server's own, so list() can mark them (errors: none marked). */
  private loadOfficial(): Promise<void> {
    this.officialLoaded ??= this.publicList().then(
      () => undefined,
      () => {
        this.officialLoaded = null;
      },
    );
    return this.officialLoaded;
  }

  /** [R3] A create event by the server, for this very room, name and visibility, signed by the pinned key. */
  private async createdByServer(r: RoomSummaryAnswer): Promise<boolean> {
    const c = r.create;
    if (!c || c.actor !== SERVER_ACTOR || c.type !== 'create') return false;
    if (c.room !== r.id || c.name !== r.name || c.public !== true || !r.public) return false;
    return this.verify(c);
  }

  private async verify(e: MemberEvent): Promise<boolean> {
    const key = e.actor === SERVER_ACTOR ? await this.pins.serverKey() : (await this.pins.keys(e.actor))?.signing;
    return key ? verifyMemberEvent(e, key) : false;
  }

  private async requireUser(user: string): Promise<void> {
    if (!(await this.pins.keys(user))) throw new ParleyError('NOT_FOUND', `no such user: ${user}`, 404);
  }

  private sign(o: {
    type: MemberType;
    room: string;
    target: string;
    name?: string;
    public?: boolean;
    history?: HistoryVisibility;
  }) {
    const me = this.ctx.me();
    const unsigned = { v: PROTOCOL_VERSION, ...o, actor: me.user, eventId: randomId(), ts: Date.now() };
    return signMemberEvent(unsigned, me.signing);
  }
}
