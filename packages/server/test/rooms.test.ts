/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- tests assert on parsed JSON bodies */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GENESIS_CHAIN,
  SERVER_ACTOR,
  eventHash,
  fromB64u,
  headBytes,
  importPublicKey,
  nextChain,
  randomId,
  rsaVerify,
  toB64u,
  verifyMemberEvent,
  roomEvent,
  head as headSchema,
} from '@parley/protocol';
import {
  api,
  createRoom,
  envelope,
  keyPool,
  member,
  register,
  startHarness,
  type Harness,
  type TestUser,
} from './harness.ts';

let h: Harness;
let alice: TestUser;
let bob: TestUser;
let carol: TestUser;
beforeAll(async () => {
  h = await startHarness();
  await keyPool();
  [alice, bob, carol] = await Promise.all([
    register(h, undefined, 0),
    register(h, undefined, 1),
    register(h, undefined, 2),
  ]);
});
afterAll(() => h.close());

const serverKey = async () =>
  (await importPublicKey('signing', fromB64u((await api(h, 'GET', '/api/')).body.serverKey.spki)))!;

describe('rooms', () => {
  it('create with invites, list, get with members, public list', async () => {
    const room = await createRoom(h, alice, { invite: [bob] });
    const mine = await api(h, 'GET', '/api/rooms', { token: bob.token });
    expect(mine.body.rooms).toContainEqual(
      expect.objectContaining({ id: room, role: 'member', public: false, headSeq: 2 }),
    );
    const got = await api(h, 'GET', `/api/rooms/${room}`, { token: alice.token });
    expect(got.body.members).toEqual(
      [
        { user: alice.name, role: 'admin' },
        { user: bob.name, role: 'member' },
      ].sort((a, b) => a.user.localeCompare(b.user)),
    );
    expect((await api(h, 'GET', `/api/rooms/${room}`, { token: carol.token })).status).toBe(403);
    expect((await api(h, 'GET', `/api/rooms/${randomId()}`, { token: carol.token })).status).toBe(404);
    expect((await api(h, 'GET', '/api/rooms/not-a-room', { token: carol.token })).status).toBe(400);
    const pub = await api(h, 'GET', '/api/rooms/public', { token: carol.token });
    expect(pub.body.rooms.map((r: any) => r.id)).not.toContain(room);
  });

  it('[R3] "general" exists, is public and its create event is signed by the server key', async () => {
    const pub = await api(h, 'GET', '/api/rooms/public', { token: carol.token });
    const general = pub.body.rooms.find((r: any) => r.name === 'general');
    expect(general).toMatchObject({ public: true, role: null });
    const join = await member(carol, { type: 'join', room: general.id, target: carol.name });
    expect(
      (await api(h, 'POST', `/api/rooms/${general.id}/members`, { token: carol.token, body: { event: join } }))
        .status,
    ).toBe(200);
    const log = await api(h, 'GET', `/api/rooms/${general.id}/events?after=0`, { token: carol.token });
    const create = log.body.events[0];
    expect(create.sender).toBe(SERVER_ACTOR);
    expect(await verifyMemberEvent(create.content, await serverKey())).toBe(true);
  });

  it('[R2] refuses a non-admin invite, a forged signature, a private self-join and a replayed eventId', async () => {
    const room = await createRoom(h, alice, { invite: [bob] });
    const post = (u: TestUser, event: unknown) =>
      api(h, 'POST', `/api/rooms/${room}/members`, { token: u.token, body: { event } });
    const nonAdmin = await post(bob, await member(bob, { type: 'invite', room, target: carol.name }));
    expect(nonAdmin.status).toBe(403);
    expect(nonAdmin.body.error.code).toBe('MEMBERSHIP_RULE');
    const forged = { ...(await member(carol, { type: 'invite', room, target: carol.name })), actor: alice.name };
    const f = await post(alice, forged);
    expect(f.status).toBe(403);
    expect(f.body.error.code).toBe('BAD_SIGNATURE');
    const selfJoin = await post(carol, await member(carol, { type: 'join', room, target: carol.name }));
    expect(selfJoin.body.error.code).toBe('MEMBERSHIP_RULE');
    const invite = await member(alice, { type: 'invite', room, target: carol.name });
    expect((await post(alice, invite)).status).toBe(200);
    expect((await post(carol, await member(carol, { type: 'leave', room, target: carol.name }))).status).toBe(200);
    const replay = await post(alice, invite);
    expect(replay.status).toBe(403);
    expect(replay.body.error.message).toMatch(/replay/);
    const someoneElses = await post(bob, invite);
    expect(someoneElses.body.error.code).toBe('FORBIDDEN');
  });
});

describe('the log', () => {
  it('[R1] seq is gap-free and the chain recomputes on the client; [M5] heads verify with the server key', async () => {
    const room = await createRoom(h, alice, { invite: [bob] });
    const sends = [];
    for (let i = 1; i <= 6; i++) {
      const u = i % 2 ? alice : bob;
      sends.push(api(h, 'POST', '/api/chat', { token: u.token, body: { envelope: await envelope(u, room, i) } }));
    }
    const acks = await Promise.all(sends);
    expect(acks.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
    const log = await api(h, 'GET', `/api/rooms/${room}/events?after=0&limit=500`, { token: bob.token });
    expect(log.body.headSeq).toBe(8);
    expect(log.body.events.map((e: any) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    let chain: Uint8Array = GENESIS_CHAIN;
    for (const e of log.body.events) {
      expect(roomEvent.safeParse(e).success).toBe(true);
      const hash = await eventHash(e);
      expect(toB64u(hash)).toBe(e.hash);
      chain = await nextChain(chain, hash);
      expect(toB64u(chain)).toBe(e.chain);
    }
    const key = await serverKey();
    expect(log.body.heads.length).toBeGreaterThan(0);
    for (const head of log.body.heads) {
      expect(headSchema.safeParse(head).success).toBe(true);
      expect(await rsaVerify(key, fromB64u(head.signature), headBytes(head))).toBe(true);
      expect(head.chain).toBe(log.body.events[head.seq - 1].chain);
    }
    const latest = log.body.heads[log.body.heads.length - 1];
    expect(latest.seq).toBe(8);
    // [M5] group commit: six concurrent sends need fewer signed heads than events.
    expect(log.body.heads.length).toBeLessThan(8);
    const page = await api(h, 'GET', `/api/rooms/${room}/events?before=8&limit=3`, { token: bob.token });
    expect(page.body.events.map((e: any) => e.seq)).toEqual([5, 6, 7]);
    expect((await api(h, 'GET', `/api/rooms/${room}/events?limit=501`, { token: bob.token })).status).toBe(400);
    expect((await api(h, 'GET', `/api/rooms/${room}/events?after=-1`, { token: bob.token })).status).toBe(400);
    expect((await api(h, 'GET', `/api/rooms/${room}/events`, { token: carol.token })).status).toBe(403);
  });

  it('[D2] an HTTP resend with the same clientMsgId returns the original ack', async () => {
    const room = await createRoom(h, alice);
    const env = await envelope(alice, room);
    const first = await api(h, 'POST', '/api/chat', { token: alice.token, body: { envelope: env } });
    const again = await api(h, 'POST', '/api/chat', { token: alice.token, body: { envelope: env } });
    expect(again.body).toEqual(first.body);
    expect(first.body).toMatchObject({ room, seq: 2 });
    expect((await api(h, 'GET', `/api/rooms/${room}/events?after=0`, { token: alice.token })).body.headSeq).toBe(
      2,
    );
  });

  it('a non-member send is refused; bad envelopes are 400', async () => {
    const room = await createRoom(h, alice);
    const r = await api(h, 'POST', '/api/chat', {
      token: carol.token,
      body: { envelope: await envelope(carol, room) },
    });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('NOT_MEMBER');
    const env = await envelope(alice, room);
    for (const bad of [
      { ...env, v: 2 },
      { ...env, iv: 'short' },
      { ...env, extra: 1 },
      { ...env, counter: 0 },
    ]) {
      expect((await api(h, 'POST', '/api/chat', { token: alice.token, body: { envelope: bad } })).status).toBe(
        400,
      );
    }
    expect((await api(h, 'POST', '/api/chat', { body: { envelope: env } })).status).toBe(401);
  });

  it('a room name with control or bidirectional-override characters is a 400 that names the cause', async () => {
    for (const name of ['ops\u001b[8m', 'line\nbreak', 'gnp\u202egeneral', 'a\u2066b', 'del\u007f']) {
      const room = randomId();
      const create = await member(alice, { type: 'create', room, target: alice.name, name, public: false });
      const r = await api(h, 'POST', '/api/rooms', { token: alice.token, body: { create } });
      expect(r.status, JSON.stringify(name)).toBe(400);
      expect(r.body.error.code).toBe('BAD_REQUEST');
      expect(r.body.error.message).toMatch(/must not contain control or bidirectional-override characters/);
    }
    const fine = randomId();
    const create = await member(alice, {
      type: 'create',
      room: fine,
      target: alice.name,
      name: 'café ☕ 東京',
      public: false,
    });
    expect((await api(h, 'POST', '/api/rooms', { token: alice.token, body: { create } })).status).toBe(201);
  });

  it('[M11] a message encrypted before a later membership change is refused with MEMBERSHIP_CHANGED', async () => {
    const room = await createRoom(h, alice, { invite: [bob] }); // create 1, invite 2
    const fresh = await envelope(alice, room, 1, randomId(), 2);
    expect((await api(h, 'POST', '/api/chat', { token: alice.token, body: { envelope: fresh } })).status).toBe(
      200,
    );
    const kick = await member(alice, { type: 'kick', room, target: bob.name });
    const kicked = await api(h, 'POST', `/api/rooms/${room}/members`, {
      token: alice.token,
      body: { event: kick },
    });
    expect(kicked.body.seq).toBe(4);
    const stale = await envelope(alice, room, 2, randomId(), 2);
    const r = await api(h, 'POST', '/api/chat', { token: alice.token, body: { envelope: stale } });
    expect(r.status).toBe(409);
    expect(r.body.error).toEqual({
      code: 'MEMBERSHIP_CHANGED',
      message:
        "the room's membership changed at seq 4, after this message was encrypted (for seq 2): encrypt it again",
    });
    const again = await envelope(alice, room, 2, randomId(), 4);
    expect((await api(h, 'POST', '/api/chat', { token: alice.token, body: { envelope: again } })).status).toBe(
      200,
    );
  });

  it('a former member reads up to the seq it left at', async () => {
    const room = await createRoom(h, alice, { invite: [bob] });
    await api(h, 'POST', `/api/rooms/${room}/members`, {
      token: bob.token,
      body: { event: await member(bob, { type: 'leave', room, target: bob.name }) },
    });
    await api(h, 'POST', '/api/chat', { token: alice.token, body: { envelope: await envelope(alice, room) } });
    const log = await api(h, 'GET', `/api/rooms/${room}/events?after=0`, { token: bob.token });
    expect(log.body.events.map((e: any) => e.seq)).toEqual([1, 2, 3]);
    expect(log.body.headSeq).toBe(3);
  });
});

describe('[M2] key shares', () => {
  it('are stored per recipient until acked', async () => {
    const room = await createRoom(h, alice, { invite: [bob] });
    const share = {
      recipient: bob.name,
      sessionId: randomId(),
      ciphertext: toB64u(new Uint8Array(384)),
      signature: toB64u(new Uint8Array(384)),
    };
    expect(
      (await api(h, 'POST', `/api/rooms/${room}/shares`, { token: alice.token, body: { shares: [share] } }))
        .status,
    ).toBe(204);
    const got = await api(h, 'GET', '/api/shares', { token: bob.token });
    expect(got.body.shares).toEqual([expect.objectContaining({ ...share, room, sender: alice.name })]);
    const ids = got.body.shares.map((s: any) => s.id);
    expect((await api(h, 'GET', '/api/shares', { token: alice.token })).body.shares).toEqual([]);
    expect((await api(h, 'POST', '/api/shares/ack', { token: bob.token, body: { ids } })).status).toBe(204);
    expect((await api(h, 'GET', '/api/shares', { token: bob.token })).body.shares).toEqual([]);
    const toOutsider = await api(h, 'POST', `/api/rooms/${room}/shares`, {
      token: alice.token,
      body: { shares: [{ ...share, recipient: carol.name }] },
    });
    expect(toOutsider.status).toBe(403);
    expect((await api(h, 'POST', '/api/shares/ack', { token: bob.token, body: { ids: [] } })).status).toBe(400);
  });

  it("[M3] waiting for someone who leaves or is removed, they are deleted; other rooms' stay", async () => {
    const room = await createRoom(h, alice, { invite: [bob, carol] });
    const other = await createRoom(h, alice, { invite: [bob] });
    const share = (recipient: TestUser) => ({
      recipient: recipient.name,
      sessionId: randomId(),
      ciphertext: toB64u(new Uint8Array(384)),
      signature: toB64u(new Uint8Array(384)),
    });
    const postShares = (r: string, to: TestUser[]) =>
      api(h, 'POST', `/api/rooms/${r}/shares`, { token: alice.token, body: { shares: to.map(share) } });
    expect((await postShares(room, [bob, carol])).status).toBe(204);
    expect((await postShares(other, [bob])).status).toBe(204);
    const waiting = async (u: TestUser) =>
      ((await api(h, 'GET', '/api/shares', { token: u.token })).body.shares as { room: string }[]).map(
        (x) => x.room,
      );
    expect(await waiting(bob)).toEqual(expect.arrayContaining([room, other]));
    const leave = await member(bob, { type: 'leave', room, target: bob.name });
    expect(
      (await api(h, 'POST', `/api/rooms/${room}/members`, { token: bob.token, body: { event: leave } })).status,
    ).toBe(200);
    expect(await waiting(bob)).toEqual([other]);
    const kick = await member(alice, { type: 'kick', room, target: carol.name });
    expect(
      (await api(h, 'POST', `/api/rooms/${room}/members`, { token: alice.token, body: { event: kick } })).status,
    ).toBe(200);
    expect((await waiting(carol)).filter((r) => r === room)).toEqual([]);
  });
});
