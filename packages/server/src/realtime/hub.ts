// The fan-out index of this process: which local connections belong to which user and which room. It
// subscribes to a bus channel while it has a connection there, and answers "is this user online here".
import type { FastifyBaseLogger } from 'fastify';
import type { Bus, BusMessage } from '../bus/bus.ts';
import type { Store } from '../storage/store.ts';
import { SharedFrame, SharedRun } from './shared-frame.ts';

/** What the hub needs of a connection. */
export interface Peer {
  readonly user: string;
  readonly sessionId: string;
  /** Writes a frame framed once for every socket; room events carry room and seq for de-duplication. */
  deliver(frame: SharedFrame, room?: string, seq?: number): void;
  /** Writes consecutive events of a room, in one write where the socket is up to date. */
  deliverRun(run: SharedRun): void;
  close(code: number, reason: string): void;
}

interface Group {
  peers: Set<Peer>;
  unsubscribe: () => void;
}

const JOINS = new Set(['create', 'invite', 'join']);
const PARTS = new Set(['leave', 'kick']);

export class Hub {
  private readonly users = new Map<string, Group>();
  private readonly rooms = new Map<string, Group>();

  constructor(
    private readonly bus: Bus,
    private readonly store: Store,
    private readonly log: FastifyBaseLogger,
  ) {
    // A process that died without saying goodbye: its users are announced offline by one live process.
    bus.onExpired((users) => {
      for (const u of users)
        this.announce(u, false).catch((err: unknown) => this.log.error({ err }, 'presence fan-out failed'));
    });
  }

  /** Adds a peer to its user's and rooms' groups; announces the user online on its first socket. */
  async register(peer: Peer): Promise<string[]> {
    const rooms = (await this.store.roomsOf(peer.user)).map((r) => r.id);
    const first = !this.users.has(peer.user);
    this.group(this.users, peer.user, `user:${peer.user}`, (m) => this.onUserMessage(peer.user, m)).add(peer);
    for (const room of rooms) this.joinRoom(room, peer);
    // Presence is shared by every process: online is announced only when no other process had the user.
    if (first && (await this.bus.join(peer.user))) await this.announce(peer.user, true);
    return rooms;
  }

  unregister(peer: Peer): void {
    for (const [room, g] of this.rooms) if (g.peers.has(peer)) this.leaveRoom(room, peer);
    const g = this.users.get(peer.user);
    if (!g?.peers.delete(peer)) return;
    if (g.peers.size > 0) return;
    g.unsubscribe();
    this.users.delete(peer.user);
    this.bus
      .leave(peer.user)
      .then((gone) => (gone ? this.announce(peer.user, false) : undefined))
      .catch((err: unknown) => this.log.error({ err }, 'presence fan-out failed'));
  }

  /** Has a socket in this process (presence across processes is the bus's). */
  isOnline(user: string): boolean {
    return this.users.has(user);
  }

  inRoom(peer: Peer, room: string): boolean {
    return this.rooms.get(room)?.peers.has(peer) ?? false;
  }

  /** Online users this peer shares a room with, for the presence snapshot after `ready`. */
  async onlineCoMembers(user: string): Promise<string[]> {
    return [...(await this.bus.onlineAmong(await this.store.coMembers(user)))];
  }

  peers(): Peer[] {
    return [...this.users.values()].flatMap((g) => [...g.peers]);
  }

  private group(
    map: Map<string, Group>,
    key: string,
    channel: `room:${string}` | `user:${string}`,
    handler: (m: BusMessage) => void,
  ) {
    let g = map.get(key);
    if (!g) {
      g = { peers: new Set(), unsubscribe: this.bus.subscribe(channel, handler) };
      map.set(key, g);
    }
    return g.peers;
  }

  private joinRoom(room: string, peer: Peer): void {
    this.group(this.rooms, room, `room:${room}`, (m) => this.onRoomMessage(room, m)).add(peer);
  }

  private leaveRoom(room: string, peer: Peer): void {
    const g = this.rooms.get(room);
    if (!g) return;
    g.peers.delete(peer);
    if (g.peers.size === 0) {
      g.unsubscribe();
      this.rooms.delete(room);
    }
  }

  private async announce(user: string, online: boolean): Promise<void> {
    const frame = JSON.stringify({ type: 'presence', user, online });
    for (const other of await this.store.coMembers(user))
      this.bus.publish(`user:${other}`, { kind: 'frame', frame });
  }

  private onRoomMessage(room: string, m: BusMessage): void {
    if (m.kind === 'events') {
      const run = new SharedRun(room, m.seq, m.frames);
      for (const p of [...(this.rooms.get(room)?.peers ?? [])]) p.deliverRun(run);
      return;
    }
    if (m.kind !== 'frame') return;
    const target = m.membership && this.users.get(m.membership.target);
    if (target && JOINS.has(m.membership!.type)) for (const p of target.peers) this.joinRoom(room, p);
    const g = this.rooms.get(room);
    if (g) {
      const frame = new SharedFrame(m.frame);
      for (const p of [...g.peers]) if (p.user !== m.skipUser) p.deliver(frame, m.room, m.seq);
    }
    if (target && PARTS.has(m.membership!.type)) for (const p of target.peers) this.leaveRoom(room, p);
  }

  private onUserMessage(user: string, m: BusMessage): void {
    const g = this.users.get(user);
    if (!g || m.kind === 'events') return;
    if (m.kind === 'close') {
      for (const p of [...g.peers])
        if (!m.sessionIds || m.sessionIds.includes(p.sessionId)) p.close(m.code, m.reason);
      return;
    }
    if (m.membership && m.room) {
      // A membership event about this user: index first (room channel copies are de-duplicated by seq).
      this.onRoomMessage(m.room, m);
      return;
    }
    const frame = new SharedFrame(m.frame);
    for (const p of g.peers) p.deliver(frame, m.room, m.seq);
  }
}
