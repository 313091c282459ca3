// Rooms and signed membership [R2] [R3]. Every membership change is an event signed by its actor; the client
// folds the room's log again itself (verifyMemberEvent + applyMembership) and trusts only that fold when it
// decides who gets a room key — never the member list the server reports.
import {
  PROTOCOL_VERSION,
  SERVER_ACTOR,
  USER_ID,
  createRoomResponse,
  memberEventResponse,
  parseWith,
  randomId,
  roomName,
  roomsResponse,
  signMemberEvent,
  type HistoryVisibility,
  type MemberType,
  type RoomEvent,
  type RoomSummary as RoomSummaryAnswer,
} from '@parley/protocol';
import type { Ctx } from './context.ts';
import { ParleyError } from './errors.ts';
import { RoomFolds, verifyMember, type Fold } from './room-folds.ts';
import type { Pins } from './pins.ts';
import type { Member, MembershipNotice, RoomSummary } from './types.ts';

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

export { wasMemberAt, type Fold } from './room-folds.ts';

export class Rooms {
  private readonly folds: RoomFolds;
  /** The rooms of the last list(), by id. */
  private known = new Map<string, RoomSummary>();
  /** Rooms whose create event the server signed, verified with the pinned server key [R3]. */
  private readonly official = new Set<string>();
  private officialLoaded: Promise<void> | null = null;

  constructor(
    private readonly ctx: Ctx,
    private readonly pins: Pins,
    /** How long a read waits for the head that covers its newest events (see verified-log.ts). */
    retry: { retries: number; retryMs: number } = { retries: 10, retryMs: 250 },
  ) {
    this.folds = new RoomFolds(ctx, pins, retry);
  }

  /** The client's own fold of the room's membership (room-folds.ts), caught up to `upTo` or the head. */
  fold(room: string, upTo?: number, o: { waitForHead?: boolean } = {}): Promise<Fold> {
    return this.folds.fold(room, upTo, o);
  }

  /** The fold a send uses: the live one while it is current, else read (room-folds.ts). */
  foldForSend(room: string): Promise<Fold> {
    return this.folds.foldForSend(room);
  }

  /** The connection went down: no fold is current until the live stream is seen again. */
  offline(): void {
    this.folds.offline();
  }

  /** A live event, folded; described when it is a membership event. */
  observe(ev: RoomEvent): Promise<MembershipNotice | null> {
    return this.folds.observe(ev);
  }

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
    return verifyMember(this.pins, c);
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
