// Idle memory per connection: the growth of a server's RSS while N handshaken connections sit idle, divided
// by N, on a process that has done nothing else (Parley restarts after registering its users), so memory
// freed by earlier work cannot absorb the new connections and flatter the server that did more of it. A full
// GC (over the V8 inspector) precedes both readings, so garbage left by start-up or handshakes counts for none.
import { openFleet, sleep } from './load.ts';
import { rssBytes } from './proc.ts';
import type { RoomSpec, Target, TargetFactory } from './targets/target.ts';

/** Rooms of up to 1,000 (Parley: a few users, many sockets each): the idle cost is per socket, not per user. */
const ROOM = 1000;
/** Opened and closed before the baseline, so lazily loaded code paths are not counted per connection. */
const WARM_UP = 50;

/** V8 gives pages back over more than one full GC; two in a row leave the heap at its floor. */
async function settleHeap(target: Target): Promise<void> {
  await target.collectGarbage();
  await sleep(100);
  await target.collectGarbage();
}

export interface PreparedServer {
  target: Target;
  rooms: RoomSpec[];
}

/** A fresh server holding the rooms for `connections` sockets; starting is slow, so callers may overlap it. */
export function prepareIdle(factory: TargetFactory, connections: number): Promise<PreparedServer> {
  const size = Math.min(ROOM, connections);
  return factory.startPrepared(Math.ceil(connections / size), size);
}

/** Measures one prepared server, alone, then stops it. */
export async function measureIdle({ target, rooms }: PreparedServer, connections: number): Promise<number> {
  try {
    const warm = await openFleet(target, [{ ...rooms[0]!, members: rooms[0]!.members.slice(0, WARM_UP) }]);
    warm.close();
    await sleep(500);
    await settleHeap(target);
    const before = rssBytes(target.pid);
    const fleet = await openFleet(target, rooms);
    await sleep(500);
    await settleHeap(target);
    const after = rssBytes(target.pid);
    fleet.close();
    return (after - before) / connections;
  } finally {
    await target.stop();
  }
}

export async function freshIdleBytes(factory: TargetFactory, connections: number): Promise<number> {
  return measureIdle(await prepareIdle(factory, connections), connections);
}
