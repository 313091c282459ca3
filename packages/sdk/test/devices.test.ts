// [M4] One account on two devices: the per-room counter is the user's, so messages sent from either device in
// turn count on from each other (each device's fold of the room has seen the other's), and no reader is told
// the server replayed anything; nor when both send at the same moment and meet on one counter.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IntegrityWarning, ParleyClient } from '../src/index.ts';
import { client, PASSWORD, registered, tamperingFetch, testServer } from './helpers.ts';

describe('two devices of one account', () => {
  let server: Awaited<ReturnType<typeof testServer>>;
  beforeAll(async () => {
    server = await testServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  /** `user` signed in on a laptop and a phone, and `reader`, whose integrity warnings are collected. */
  async function accountOnTwoDevices(user: string, reader: string, readerNet?: typeof fetch) {
    const laptop = await registered(server.url, user);
    const phone = client(server.url);
    await phone.login(user, PASSWORD);
    const other = await registered(server.url, reader, readerNet ? { fetch: readerNet } : {});
    const warnings: IntegrityWarning[] = [];
    other.on('integrity', (w) => warnings.push(w));
    return { laptop, phone, reader: other, warnings };
  }

  /** The reader reads every turn, in order, as ok, and was warned of nothing. */
  async function expectReadClean(reader: ParleyClient, room: string, turns: number, warnings: IntegrityWarning[]) {
    const read = await reader.history(room);
    expect(read.map((m) => [m.text, m.status])).toEqual(
      Array.from({ length: turns }, (_, i) => [`turn ${i}`, 'ok']),
    );
    expect(warnings).toEqual([]);
  }

  it('[M4] taking turns in a room, they count on from each other: readers see no replay', async () => {
    const { laptop, phone, reader: bob, warnings } = await accountOnTwoDevices('alice', 'bob');
    await Promise.all([laptop.connect(), phone.connect(), bob.connect()]);
    const room = (await laptop.createRoom('turns', { members: ['bob'] })).id;
    // What each client was shown live, by seq (the other device may show a message as waiting for its key
    // until the vault brings it [K9]: it is the event that matters here).
    const everyone = [laptop, phone, bob];
    const seen = everyone.map(() => new Set<number>());
    everyone.forEach((c, i) => c.on('message', (m) => seen[i]!.add(m.seq)));
    const turns: ParleyClient[] = [laptop, phone, laptop, phone, laptop];
    for (const [i, device] of turns.entries()) {
      const { seq } = await device.send(room, `turn ${i}`);
      // Everyone, the other device too, has had the message before the next turn.
      await expect.poll(() => seen.every((s) => s.has(seq))).toBe(true);
    }
    await expectReadClean(bob, room, turns.length, warnings);
    await Promise.all([laptop.disconnect(), phone.disconnect(), bob.disconnect()]);
  });

  it('[M4] a device that was not connected meanwhile counts on from the log (as the CLI, online per command)', async () => {
    const { laptop, phone, reader: dave, warnings } = await accountOnTwoDevices('carol', 'dave');
    const room = (await laptop.createRoom('offline turns', { members: ['dave'] })).id;
    // Neither device is connected: each send is a POST, and neither sees the other's messages go by.
    const turns: ParleyClient[] = [laptop, phone, laptop, laptop, phone];
    for (const [i, device] of turns.entries()) await device.send(room, `turn ${i}`);
    await expectReadClean(dave, room, turns.length, warnings);
  });

  it('[M4] sending at the same moment, they meet on one counter: readers see no replay', async () => {
    // The counters of the messages the reader was served, in seq order.
    const net = tamperingFetch();
    const counters = new Map<number, number>();
    net.hooks.rewrite = (url, body) => {
      if (url.includes('/events'))
        for (const e of body.events ?? []) if (e.kind === 'message') counters.set(e.seq, e.content.counter);
      return body;
    };
    const { laptop, phone, reader: frank, warnings } = await accountOnTwoDevices('erin', 'frank', net.fetch);
    const room = (await laptop.createRoom('at once', { members: ['frank'] })).id;
    await laptop.send(room, 'turn 0');
    // Each device reads the log up to the same message, then sends: both count on from turn 0.
    await Promise.all([laptop.send(room, 'turn 1'), phone.send(room, 'turn 2')]);
    await phone.send(room, 'turn 3');
    const read = await frank.history(room);
    expect(read.map((m) => m.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(read.map((m) => m.text).sort()).toEqual(['turn 0', 'turn 1', 'turn 2', 'turn 3']);
    // What this test is about: two messages with one counter, then the next counting on from it.
    expect([...counters.values()]).toEqual([1, 2, 2, 3]);
    expect(warnings).toEqual([]);
  });
});
