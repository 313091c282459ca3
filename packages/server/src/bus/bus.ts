// The Bus port: carries deliveries between server processes. It is never the source of truth [D6]: a lost
// bus message delays a delivery (the client's resume fills it from the store), it never loses an event.

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
  | { kind: 'close'; sessionIds?: readonly string[]; code: number; reason: string };

export type Channel = `room:${string}` | `user:${string}`;

export interface Bus {
  publish(channel: Channel, message: BusMessage): void;
  /** Returns the unsubscribe function. */
  subscribe(channel: Channel, handler: (message: BusMessage) => void): () => void;
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

  close(): Promise<void> {
    this.handlers.clear();
    return Promise.resolve();
  }
}

export type BusConfig = { kind: 'local' };

export function createBus(config: BusConfig): Bus {
  switch (config.kind) {
    case 'local':
      return new LocalBus();
  }
}
