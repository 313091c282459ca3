/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- the rewritten
   answers are parsed JSON; typing each one would hide what the attack changes. */
// Trust II (issue 22), item 8: names the server or another user cannot fake. Anyone can create a public room
// named "general"; the real one is the room whose create event the server signed [R3]. Anyone can name a room
// "alice & bob"; a direct message is one whose verified membership is exactly those two [R4].
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParleyClient } from '../../packages/sdk/src/index.ts';
import { adversary, PASSWORD, registered, type Adversary } from './adversary.ts';

let a: Adversary;
let alice: ParleyClient;
let bob: ParleyClient;
let mallory: ParleyClient;
let fake: string;

beforeAll(async () => {
  a = await adversary();
  [alice, bob, mallory] = await registered(a, ['alice', 'bob', 'mallory']);
  fake = (await mallory.createRoom('general', { public: true })).id;
}, 120_000);
afterAll(() => a?.close());

/** The public list as `user` is served it: mallory's "general" first, then `edit` applied to each room. */
function servePublicList(user: string, edit: (room: any) => any = (r) => r): void {
  a.http = (who, url, body) => {
    if (who !== user || !url.endsWith('/api/rooms/public')) return undefined;
    const rooms = [...body.rooms].sort((x: any, y: any) => (x.id === fake ? -1 : y.id === fake ? 1 : 0));
    return { rooms: rooms.map(edit) };
  };
}

const generals = (rooms: { name: string; id: string; official: boolean }[]) =>
  rooms.filter((r) => r.name === 'general').map((r) => ({ fake: r.id === fake, official: r.official }));

describe('[R3] the real "general" is the one the server signed', () => {
  it('a newcomer joins the server\'s "general", not a public room another user named "general" listed first', async () => {
    servePublicList('dave');
    const dave = a.client('dave');
    try {
      await dave.register('dave', PASSWORD);
    } finally {
      a.http = null;
    }
    expect(generals(await dave.rooms())).toEqual([{ fake: false, official: true }]);
    expect(generals(await dave.publicRooms())).toEqual(
      expect.arrayContaining([
        { fake: true, official: false },
        { fake: false, official: true },
      ]),
    );
  });

  it('a create event that claims the server but is not signed by its key makes no room official', async () => {
    // The server relabels mallory's create as its own (her signature kept), and strips the real one's.
    servePublicList('erin', (r) =>
      r.id === fake
        ? { ...r, create: { ...r.create, actor: '@server', target: '@server' } }
        : { ...r, create: undefined },
    );
    const erin = a.client('erin');
    try {
      await erin.register('erin', PASSWORD);
      expect((await erin.publicRooms()).filter((r) => r.official)).toEqual([]);
    } finally {
      a.http = null;
    }
    // erin joined neither: no "general" the server could not prove.
    expect(generals(await erin.rooms())).toEqual([]);
  });

  it('"general" names the server\'s room for someone in both; two rooms of one name and neither the server\'s are ambiguous', async () => {
    await bob.join(fake);
    expect((await bob.resolveRoom('general')).id).not.toBe(fake);
    expect((await bob.resolveRoom('general')).official).toBe(true);
    await alice.createRoom('plans', { members: ['bob'] });
    await mallory.createRoom('plans', { members: ['bob'] });
    await expect(bob.resolveRoom('plans')).rejects.toMatchObject({
      code: 'AMBIGUOUS_ROOM',
      message: expect.stringMatching(/^2 rooms are named "plans": give the id/),
    });
  });
});

describe('[R4] a direct message is its verified membership, not its name', () => {
  it('a room mallory named "alice & bob" with herself in it is no direct message; the real one is', async () => {
    const named = await mallory.createRoom('alice & bob', { members: ['alice', 'bob'] });
    expect(await alice.directPeer(named.id)).toBeNull();
    const dm = await alice.directMessage('bob');
    expect(await alice.directPeer(dm.id)).toBe('bob');
    expect(await bob.directPeer(dm.id)).toBe('alice');
  });
});
