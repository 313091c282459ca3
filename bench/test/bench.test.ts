// The regression guard: a few seconds of the real benchmark (real servers, real sockets, real crypto) that
// fails only on ratios with a wide margin, never on absolute timings, so machine noise cannot fail it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFleet, runClosedLoop, usePayload, type Fleet, type RunSample } from '../src/load.ts';
import { freshIdleBytes } from '../src/memory.ts';
import { sealTemplate } from '../src/messages.ts';
import { spread } from '../src/stats.ts';
import { clientKit } from '../src/targets/parley-accounts.ts';
import { parleyTarget } from '../src/targets/parley.ts';
import { socketIo, wsBroadcast } from '../src/targets/peers.ts';
import type { Target } from '../src/targets/target.ts';

// Generous: the targets are 1.25× bare ws for CPU and 12 KB per idle connection; these only catch
// a regression of several times. Under load Parley measures 0.8–1.1× bare ws (docs/performance.md); other
// test files share the 2 cores meanwhile, hence the margin.
const MAX_CPU_VS_WS = 3;
const MAX_IDLE_VS_SOCKETIO = 1.5;

let targets: Target[] = [];
const byName = (name: string) => targets.find((t) => t.name === name)!;

beforeAll(async () => {
  const [, ...up] = await Promise.all([
    clientKit(),
    wsBroadcast.start(),
    socketIo.start(),
    parleyTarget().start(),
  ]);
  targets = up;
}, 180_000);
afterAll(async () => {
  await Promise.all(targets.map((t) => t.stop()));
});

/** Server CPU per delivery under load (the primary figure of `npm run bench`); the first run warms up. */
async function cpuPerDelivery(fleet: Fleet): Promise<number[]> {
  const runs: RunSample[] = [];
  for (let i = 0; i < 4; i++) runs.push(await runClosedLoop(fleet, { window: 4, durationMs: 500 }));
  for (const r of runs) expect(r.deliveries).toBe(r.expected);
  return runs.slice(1).map((r) => r.serverCpuUs / r.deliveries);
}

describe('bench regression guard', { timeout: 180_000 }, () => {
  it('[§8] idle memory per Parley connection stays below Socket.IO (with margin)', async () => {
    // 2,000 sockets: RSS moves by a few MB on its own, which would swamp a smaller count.
    const parley = await freshIdleBytes(parleyTarget(), 2000);
    const sio = await freshIdleBytes(socketIo, 2000);
    expect(parley).toBeGreaterThan(0);
    expect(parley).toBeLessThan(sio * MAX_IDLE_VS_SOCKETIO);
  });

  it('[§8] Parley delivers every message of a room of 100 within a few times bare ws CPU', async () => {
    const { keys } = await clientKit();
    const medians = new Map<string, number>();
    for (const name of ['ws', 'parley']) {
      const target = byName(name);
      const fleet = await openFleet(target, await target.prepareRooms(1, 100));
      try {
        await usePayload(fleet, (room) =>
          sealTemplate({ room: room.id, sender: room.sender, keys, bytes: 512, memberSeq: room.memberSeq ?? 0 }),
        );
        medians.set(name, spread(await cpuPerDelivery(fleet)).median);
      } finally {
        fleet.close();
      }
    }
    expect(medians.get('parley')! / medians.get('ws')!).toBeLessThan(MAX_CPU_VS_WS);
  });
});
