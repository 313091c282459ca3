/* eslint-disable @typescript-eslint/no-unsafe-return -- tests assert on parsed JSON bodies */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { randomId } from '@parley/protocol';
import { MAX_REPLAY } from '../src/realtime/replay.ts';
import {
  api,
  connect,
  createRoom,
  envelope,
  keyPool,
  member,
  register,
  startHarness,
  TestSocket,
  type Harness,
  type TestUser,
} from './harness.ts';

let h: Harness;
let alice: TestUser;
let bob: TestUser;
let carol: TestUser;
beforeAll(async () => {
  h = await startHarness({ maxFrameBytes: 200_000, maxBufferedBytes: 64 * 1024 });
  await keyPool();
  [alice, bob, carol] = await Promise.all([
    register(h, undefined, 0),
    register(h, undefined, 1),
    register(h, undefined, 2),
  ]);
});
afterAll(() => h.close());

function refused(headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(h.wsUrl, { headers });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('open', () => reject(new Error('upgrade was accepted')));
    ws.on('error', () => undefined);
  });
}

describe('upgrade', () => {
  it('[ASVS 4.4] refuses no auth, a foreign Origin, and cookie auth without an Origin', async () => {
    expect(await refused({})).toBe(401);
    expect(await refused({ authorization: `Bearer ${alice.token}`, origin: 'https://evil.example' })).toBe(403);
    expect(await refused({ cookie: alice.cookie, origin: 'https://evil.example' })).toBe(403);
    expect(await refused({ cookie: alice.cookie })).toBe(403);
    const ok = await TestSocket.open(h.wsUrl, { cookie: alice.cookie, origin: 'http://localhost:5000' });
    ok.close();
  });
});

describe('frames', () => {
  it('send -> ack after commit, event fan-out to members only, [D2] resend returns the original ack', async () => {
    const room = await createRoom(h, alice, { invite: [bob] });
    const [a, b, c] = await Promise.all([connect(h, alice), connect(h, bob), connect(h, carol)]);
    const env = await envelope(alice, room);
    a.send({ type: 'send', envelope: env });
    const ack = await a.next((f) => f.type === 'ack');
    expect(ack).toMatchObject({ room, clientMsgId: env.clientMsgId, seq: 3 });
    const ev = await b.next((f) => f.type === 'event');
    expect(ev.event).toMatchObject({ room, seq: 3, sender: alice.name, content: env });
    expect((await b.next((f) => f.type === 'head')).head.seq).toBe(3);
    a.send({ type: 'send', envelope: env });
    expect(await a.next((f) => f.type === 'ack')).toEqual(ack);
    c.send({ type: 'send', envelope: await envelope(carol, room) });
    expect(await c.next((f) => f.type === 'error')).toMatchObject({ code: 'NOT_MEMBER' });
    expect(c.frames.some((f) => f.type === 'event' && f.event.room === room)).toBe(false);
    for (const s of [a, b, c]) s.close();
  });

  it('typing reaches other members; key_request reaches the named sender; presence on connect/close', async () => {
    const room = await createRoom(h, alice, { invite: [bob] });
    const b = await connect(h, bob);
    const a = await connect(h, alice);
    expect(await b.next((f) => f.type === 'presence' && f.user === alice.name)).toMatchObject({ online: true });
    expect(await a.next((f) => f.type === 'presence' && f.user === bob.name)).toMatchObject({ online: true });
    a.send({ type: 'typing', room });
    expect(await b.next((f) => f.type === 'typing')).toEqual({ type: 'typing', room, user: alice.name });
    const sessionId = randomId();
    b.send({ type: 'key_request', room, sender: alice.name, sessionId });
    expect(await a.next((f) => f.type === 'key_request')).toEqual({
      type: 'key_request',
      id: expect.any(Number),
      room,
      from: bob.name,
      sessionId,
    });
    a.close();
    expect(await b.next((f) => f.type === 'presence' && f.user === alice.name)).toMatchObject({ online: false });
    b.close();
  });

  it('a bad frame gets an error and the connection stays; pong answers ping', async () => {
    const a = await connect(h, alice);
    a.send({ type: 'send', envelope: { nope: 1 } });
    expect((await a.next((f) => f.type === 'error')).code).toBe('BAD_REQUEST');
    a.send({ type: 'hello', v: 1 });
    expect((await a.next((f) => f.type === 'error')).code).toBe('BAD_REQUEST');
    a.send({ type: 'ping', n: 7 });
    expect(await a.next((f) => f.type === 'pong')).toEqual({ type: 'pong', n: 7 });
    a.close();
  });

  it('non-JSON closes with 1008, an oversize frame with 1009', async () => {
    const a = await connect(h, alice);
    a.ws.send('this is not json');
    expect((await a.closed).code).toBe(1008);
    const b = await connect(h, alice);
    b.ws.send('x'.repeat(250_000));
    expect((await b.closed).code).toBe(1009);
  });

  it('[D4] a socket that stops reading is closed past maxBufferedBytes', async () => {
    const room = await createRoom(h, alice, { invite: [bob] });
    const slow = await connect(h, bob);
    const socket = (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    const a = await connect(h, alice);
    await a.next((f) => f.type === 'presence' && f.user === bob.name && f.online);
    const gone = a.next((f) => f.type === 'presence' && f.user === bob.name && !f.online, 60_000);
    let closed = false;
    void gone.then(() => (closed = true));
    // Kernel socket buffers absorb a few MB first; keep writing until the server gives up on the reader.
    for (let i = 1; i <= 1000 && !closed; i++) {
      a.send({ type: 'send', envelope: { ...(await envelope(alice, room, i)), ciphertext: 'A'.repeat(60_000) } });
      if (i % 20 === 0) await a.next((f) => f.type === 'ack' && f.seq === i + 2, 20_000);
    }
    await gone;
    socket.resume();
    expect([1013, 1006]).toContain((await slow.closed).code);
    a.close();
  });

  it('[D3] resume replays exactly the missed events, in order, then live ones', async () => {
    const room = await createRoom(h, alice, { invite: [bob] });
    for (let i = 1; i <= 5; i++) {
      await api(h, 'POST', '/api/chat', {
        token: alice.token,
        body: { envelope: await envelope(alice, room, i) },
      });
    }
    const b = await connect(h, bob, { [room]: 4 });
    const replayed = [];
    for (let i = 0; i < 3; i++) replayed.push((await b.next((f) => f.type === 'event')).event.seq);
    expect(replayed).toEqual([5, 6, 7]);
    expect((await b.next((f) => f.type === 'head')).head.seq).toBe(7);
    await api(h, 'POST', '/api/chat', { token: alice.token, body: { envelope: await envelope(alice, room, 6) } });
    expect((await b.next((f) => f.type === 'event')).event.seq).toBe(8);
    expect(b.frames.filter((f) => f.type === 'event')).toEqual([]);
    b.close();
  });

  it(`[D3] a resume more than ${MAX_REPLAY} events behind is told the gap, then gets the newest ${MAX_REPLAY}`, async () => {
    const room = await createRoom(h, alice, { invite: [bob] });
    // Volume straight into the store (the server does not check message signatures; readers do), so no head
    // is signed past the invite: only the events are checked here.
    const sealed = await envelope(alice, room);
    const items = Array.from({ length: MAX_REPLAY + 10 }, () => ({
      kind: 'message' as const,
      sender: alice.name,
      envelope: { ...sealed, clientMsgId: randomId() },
    }));
    for (let i = 0; i < items.length; i += 500) await h.store.appendBatch(items.slice(i, i + 500), Date.now());
    const head = await h.store.headSeq(room);
    const b = await connect(h, bob, { [room]: 1 });
    const gap = await b.next((f) => f.type === 'gap' || f.type === 'event');
    expect(gap).toEqual({ type: 'gap', room, from: 2, to: head - MAX_REPLAY });
    const seqs = [];
    for (let i = 0; i < MAX_REPLAY; i++) seqs.push((await b.next((f) => f.type === 'event')).event.seq);
    expect(seqs).toEqual(Array.from({ length: MAX_REPLAY }, (_, j) => head - MAX_REPLAY + 1 + j));
    b.close();
  });

  it('[§8] a burst committed in batches reaches every member once per event, in seq order', async () => {
    const room = await createRoom(h, alice, { invite: [bob] });
    const [a, b] = await Promise.all([connect(h, alice), connect(h, bob)]);
    const batches = async () => {
      const body = (await h.app.inject({ method: 'GET', url: '/metrics' })).body;
      return Number(/^parley_commit_batch_size_count (\d+)$/m.exec(body)?.[1]);
    };
    const before = await batches();
    const burst = 40;
    const envelopes = await Promise.all(Array.from({ length: burst }, (_, i) => envelope(alice, room, i + 1)));
    for (const env of envelopes) a.send({ type: 'send', envelope: env });
    const expected = Array.from({ length: burst }, (_, i) => i + 3);
    for (const s of [a, b]) {
      const seqs = [];
      for (let i = 0; i < burst; i++) seqs.push((await s.next((f) => f.type === 'event')).event.seq);
      expect(seqs).toEqual(expected);
    }
    // Fewer commits than messages: the burst did travel as runs of several events (sequencer.fanOut).
    expect((await batches()) - before).toBeLessThan(burst);
    await new Promise((r) => setTimeout(r, 50));
    expect([a, b].flatMap((s) => s.frames.filter((f) => f.type === 'event'))).toEqual([]);
    for (const s of [a, b]) s.close();
  });

  it('a member invited while online receives the room live', async () => {
    const room = await createRoom(h, alice);
    const c = await connect(h, carol);
    const invite = await member(alice, { type: 'invite', room, target: carol.name });
    await api(h, 'POST', `/api/rooms/${room}/members`, { token: alice.token, body: { event: invite } });
    expect((await c.next((f) => f.type === 'event')).event).toMatchObject({ room, seq: 2, kind: 'member' });
    await api(h, 'POST', '/api/chat', { token: alice.token, body: { envelope: await envelope(alice, room) } });
    expect((await c.next((f) => f.type === 'event')).event.seq).toBe(3);
    c.close();
  });
});

describe('sockets close with the session', () => {
  it('logout, revoke and /api/disconnect close the sockets', async () => {
    const u = await register(h);
    const s1 = await connect(h, u);
    await api(h, 'POST', '/api/disconnect', { token: u.token });
    expect((await s1.closed).code).toBe(1000);
    const s2 = await connect(h, u);
    await api(h, 'POST', '/api/logout', { token: u.token });
    expect((await s2.closed).code).toBe(1008);
    expect(await refused({ authorization: `Bearer ${u.token}` })).toBe(401);
  });
});
