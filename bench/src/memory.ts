// Idle memory per connection: the server's RSS growth while handshaken connections sit idle. It is measured
// over the SECOND half of N connections: the first half absorbs whatever slack the process already holds
// (heap grown and freed by earlier work, e.g. Parley's registrations), which would otherwise hide the cost
// of the first connections and flatter whichever server did more work before the baseline.
import { openFleet, sleep, type Fleet } from './load.ts';
import { rssBytes } from './proc.ts';
import type { Target } from './targets/target.ts';

/** Rooms of up to 1,000 (Parley: a few users, many sockets each): the idle cost is per socket, not per user. */
const ROOM = 1000;

async function openIdle(target: Target, connections: number): Promise<Fleet> {
  const size = Math.min(ROOM, connections);
  return openFleet(target, await target.prepareRooms(Math.ceil(connections / size), size));
}

const socketsOf = (f: Fleet) => f.rooms.reduce((n, r) => n + r.sockets.length, 0);

export async function idleBytesPerConnection(target: Target, connections: number): Promise<number> {
  const half = Math.floor(connections / 2);
  const first = await openIdle(target, half);
  await sleep(500);
  const before = rssBytes(target.pid);
  const second = await openIdle(target, connections - half);
  await sleep(1000);
  const after = rssBytes(target.pid);
  first.close();
  second.close();
  return (after - before) / socketsOf(second);
}

export async function freshIdleBytes(start: () => Promise<Target>, connections: number): Promise<number> {
  const target = await start();
  try {
    return await idleBytesPerConnection(target, connections);
  } finally {
    await target.stop();
  }
}
