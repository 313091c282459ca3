/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- the rewritten
   answers are parsed JSON; typing each one would hide what the attack changes. */
// Trust II (issue 22): who is in a room is decided from the verified log only [R4]. A server that hides a kick
// from one member's reads, and lists the kicked person as a member again, must not get that member's client to
// share a room key with her [M3].
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoomEvent } from '@parley/protocol';
import type { MembershipNotice, ParleyClient } from '../../packages/sdk/src/index.ts';
import { adversary, PASSWORD, rechain, type Adversary } from './adversary.ts';

let a: Adversary;
let alice: ParleyClient;
let bob: ParleyClient;
let carol: ParleyClient;

beforeAll(async () => {
  a = await adversary();
  [alice, bob, carol] = ['alice', 'bob', 'carol'].map((u) => a.client(u)) as [
    ParleyClient,
    ParleyClient,
    ParleyClient,
  ];
  await Promise.all([
    alice.register('alice', PASSWORD),
    bob.register('bob', PASSWORD),
    carol.register('carol', PASSWORD),
  ]);
}, 120_000);
afterAll(() => a?.close());

const isKick = (e: RoomEvent) => e.kind === 'member' && e.content.type === 'kick';

/** The room's whole log, read as alice (the server's own copy). */
async function fetchLog(room: string): Promise<{ events: RoomEvent[] }> {
  const token = (await a.stores.get('alice')!.get<{ token: string }>('alice/session'))!.token;
  const res = await fetch(`${a.url}/api/rooms/${room}/events?after=0&limit=500`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return (await res.json()) as { events: RoomEvent[] };
}

/** bob's reads: `events` pages rewritten by `edit`, and the member list with carol in it. */
function hideFromBob(room: string, edit: (body: any) => any): void {
  a.http = (who, url, body) => {
    if (who !== 'bob') return undefined;
    if (url.includes(`/api/rooms/${room}/events`) && body?.events) return edit(body);
    if (url.endsWith(`/api/rooms/${room}`) && body?.members && !body.members.some((m: any) => m.user === 'carol'))
      return { ...body, members: [...body.members, { user: 'carol', role: 'member' }] };
    return undefined;
  };
}

const sharesTo = (user: string, room: string) =>
  a.sent
    .filter((s) => s.user === 'bob' && s.url.includes(`/api/rooms/${room}/shares`))
    .flatMap((s) => s.body.shares)
    .filter((x: any) => x.recipient === user);

describe('[R4] [M3] the hidden kick', () => {
  it("the kick left out of bob's history (a gap), carol listed again: bob's send is refused, no key share to carol", async () => {
    const room = (await alice.createRoom('hidden-kick', { members: ['bob', 'carol'] })).id;
    await alice.send(room, 'before the kick');
    expect((await bob.history(room)).map((m) => m.text)).toEqual(['before the kick']);
    await alice.kick(room, 'carol');
    hideFromBob(room, (body) => ({ ...body, events: body.events.filter((e: RoomEvent) => !isKick(e)) }));
    a.sent.length = 0;
    try {
      await expect(bob.send(room, 'for members only')).rejects.toMatchObject({
        code: 'LOG_UNVERIFIED',
        message: expect.stringMatching(
          /^cannot verify who is in this room: the server left out event \d+ of the log$/,
        ),
      });
    } finally {
      a.http = null;
    }
    expect(sharesTo('carol', room)).toEqual([]);
    // The honest log again: bob's send goes, and to bob's fold carol is gone: no share for her.
    await bob.send(room, 'for members only');
    expect(sharesTo('carol', room)).toEqual([]);
    expect((await bob.members(room)).map((m) => m.user).sort()).toEqual(['alice', 'bob']);
  });

  it('the kick seen live, then left out of a rechained, countersigned history: the send is refused, no key share to carol', async () => {
    const room = (await alice.createRoom('rechained-kick', { members: ['bob', 'carol'] })).id;
    await alice.send(room, 'before the kick');
    await bob.history(room);
    await bob.connect();
    // From now on bob's history reads show a log without any kick: renumbered, rechained, countersigned with the
    // server's real key, so every hash, link and head in it checks out.
    const kicked = new Promise<MembershipNotice>((resolve) =>
      bob.on('member', (n) => n.room === room && n.type === 'kick' && resolve(n)),
    );
    // The log as it stands before the kick, countersigned with the server's real key: what bob will be shown.
    const { events, head } = await rechain(a.key, (await fetchLog(room)).events);
    hideFromBob(room, () => ({ events, heads: [head], headSeq: head.seq }));
    await alice.kick(room, 'carol');
    const notice = await kicked;
    expect(notice.valid).toBe(false);
    a.sent.length = 0;
    try {
      await expect(bob.send(room, 'for members only')).rejects.toMatchObject({ code: 'LOG_UNVERIFIED' });
    } finally {
      a.http = null;
    }
    expect(sharesTo('carol', room)).toEqual([]);
    await bob.disconnect();
  });

  it('an honest log with a kick: the next send starts a new session that carol never receives', async () => {
    const room = (await alice.createRoom('honest-kick', { members: ['bob', 'carol'] })).id;
    await bob.send(room, 'one');
    await alice.kick(room, 'carol');
    a.sent.length = 0;
    await bob.send(room, 'two');
    const shares = a.sent
      .filter((s) => s.user === 'bob' && s.url.includes('/shares'))
      .flatMap((s) => s.body.shares);
    expect(shares.map((x: any) => x.recipient).sort()).toEqual(['alice']);
  });
});
