// Idle memory per connection: the server's RSS growth while N handshaken connections sit idle, divided by N.
// Measured on a server that has done nothing else, so freed memory from earlier work cannot hide the cost.
import { openFleet, sleep } from './load.ts';
import { rssBytes } from './proc.ts';
import type { Target } from './targets/target.ts';

/** Rooms of 1,000 (Parley: a few users, many sockets each): the idle cost is per socket, not per user. */
const ROOM = 1000;

export async function idleBytesPerConnection(target: Target, connections: number): Promise<number> {
  const specs = await target.prepareRooms(Math.ceil(connections / ROOM), Math.min(ROOM, connections));
  await sleep(300);
  const before = rssBytes(target.pid);
  const fleet = await openFleet(target, specs);
  const opened = fleet.rooms.reduce((n, r) => n + r.sockets.length, 0);
  await sleep(1000);
  const after = rssBytes(target.pid);
  fleet.close();
  return (after - before) / opened;
}

export async function freshIdleBytes(start: () => Promise<Target>, connections: number): Promise<number> {
  const target = await start();
  try {
    return await idleBytesPerConnection(target, connections);
  } finally {
    await target.stop();
  }
}
