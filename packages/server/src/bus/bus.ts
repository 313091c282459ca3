// The Bus port: carries deliveries between server processes. It is never the source of truth [D6]: a lost
// bus message delays a delivery (the client's resume fills it from the store), it never loses an event.
import type { BusConfig } from '../config.ts';

/** What travels on a channel. `frame` is the already-serialised server frame, written as-is to sockets. */
export type BusMessage =
  | {
      kind: 'frame';
      frame: string;
      room?: string;
      /** Room events carry their seq so a connection that is replaying can skip duplicates [D3]. */
      seq?: number;
      /** A membership change, applied to the fan-out index before (join) or after (leave) delivery. */
      membership?: { type: string; target: string };
      /** Not delivered to this user's sockets (typing echoes). */
      skipUser?: string;
    }
  /**
   * Consecutive message events of one room committed in one batch: `frames[i]` is the event of seq `seq + i`.
   * Fanned out as one write per socket (realtime/shared-frame.ts).
   */
  | { kind: 'events'; room: string; seq: number; frames: string[] }
  | { kind: 'close'; sessionIds?: readonly string[]; code: number; reason: string };

export type { BusConfig };

export type Channel = `room:${string}` | `user:${string}`;

export interface Bus {
  publish(channel: Channel, message: BusMessage): void;
  /** Returns the unsubscribe function. */
  subscribe(channel: Channel, handler: (message: BusMessage) => void): () => void;

  // Presence, shared by every process. The hub calls join on a user's first socket in this process and
  // leave on its last; a process that dies without leaving is expired by the others.
  /** True when the user was offline in every process before. */
  join(user: string): Promise<boolean>;
  /** True when the user is now offline in every process. */
  leave(user: string): Promise<boolean>;
  onlineAmong(users: readonly string[]): Promise<Set<string>>;
  /** `handler` gets the users whose every process died (presence expiry), once, in one live process. */
  onExpired(handler: (users: string[]) => void): void;

  /** Throws when the bus cannot carry messages (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** One process: delivery is a function call. */
export class LocalBus implements Bus {
  private readonly handlers = new Map<string, Set<(m: BusMessage) => void>>();

  publish(channel: Channel, message: BusMessage): void {
    const set = this.handlers.get(channel);
    if (!set) return;
    for (const h of set) h(message);
  }

  subscribe(channel: Channel, handler: (message: BusMessage) => void): () => void {
    let set = this.handlers.get(channel);
    if (!set) this.handlers.set(channel, (set = new Set()));
    set.add(handler);
    return () => {
      set.delete(handler);
      if (set.size === 0) this.handlers.delete(channel);
    };
  }

  private readonly online = new Set<string>();

  join(user: string): Promise<boolean> {
    const first = !this.online.has(user);
    this.online.add(user);
    return Promise.resolve(first);
  }

  leave(user: string): Promise<boolean> {
    return Promise.resolve(this.online.delete(user));
  }

  onlineAmong(users: readonly string[]): Promise<Set<string>> {
    return Promise.resolve(new Set(users.filter((u) => this.online.has(u))));
  }

  /** One process cannot outlive itself: nothing ever expires here. */
  onExpired(): void {}

  ping(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.handlers.clear();
    this.online.clear();
    return Promise.resolve();
  }
}

/** One factory knows the list (STYLE 2); the Redis client is imported only when REDIS_URL asks for it. */
export async function createBus(config: BusConfig): Promise<Bus> {
  switch (config.kind) {
    case 'local':
      return new LocalBus();
    case 'redis': {
      const { RedisBus } = await import('./redis-bus.ts');
      return RedisBus.connect(config);
    }
  }
}
