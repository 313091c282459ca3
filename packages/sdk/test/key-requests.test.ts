/* eslint-disable @typescript-eslint/no-unsafe-return -- the tests rewrite parsed JSON answers */
// [M2] Keys that heal: a message whose key share the server dropped is read once its sender is next online,
// live, with no reload. The request waits on the server; the sender's client answers it on its fold.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryKeyStore, type ParleyClient } from '../src/index.ts';
import { client, collect, next, PASSWORD, registered, sleep, tamperingFetch, testServer } from './helpers.ts';

/** A session id nobody made. */
const MADE_UP_SESSION = 'AAAAAAAAAAAAAAAAAAAAAA';

describe('[M2] key requests wait for the sender', () => {
  let server: Awaited<ReturnType<typeof testServer>>;
  let alice: ParleyClient;
  let bob: ParleyClient;
  const bobHttp = tamperingFetch();
  const bobStore = new MemoryKeyStore();

  /** The requests waiting for `user`, as the server holds them (read with the user's own session). */
  async function waitingFor(store: MemoryKeyStore, user: string) {
    const token = (await store.get<{ token: string }>(`${user}/session`))!.token;
    const res = await fetch(`${server.url}/api/key-requests`, { headers: { authorization: `Bearer ${token}` } });
    return ((await res.json()) as { requests: { room: string; from: string }[] }).requests;
  }

  /** A key request made by hand over HTTP, with the session of `user` kept in `store`. */
  async function askByHand(store: MemoryKeyStore, user: string, body: unknown): Promise<Response> {
    const token = (await store.get<{ token: string }>(`${user}/session`))!.token;
    return fetch(`${server.url}/api/key-requests`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  /** Bob's client never sees the shares the server hands him next: they are acknowledged and hidden. */
  function dropBobsShares(): { dropped: number } {
    const count = { dropped: 0 };
    bobHttp.hooks.after = async (url, body) => {
      if (!url.endsWith('/api/shares') || !body?.shares?.length) return body;
      count.dropped += body.shares.length;
      const token = (await bobStore.get<{ token: string }>(`${bob.user}/session`))!.token;
      await fetch(`${server.url}/api/shares/ack`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ids: body.shares.map((s: { id: number }) => s.id) }),
      });
      return { shares: [] };
    };
    return count;
  }

  /**
   * Sends (`send`) while the server drops bob's share: bob shows the message as missing_key, and his request
   * waits on the server for alice (read with the session in `aliceDevice`, a store of one of her devices).
   */
  async function askedByBob(room: string, send: () => Promise<unknown>, aliceDevice: MemoryKeyStore) {
    dropBobsShares();
    const shown = next(bob, 'message', (m) => m.room === room);
    await send();
    const message = await shown;
    expect(message.status).toBe('missing_key');
    bobHttp.hooks.after = undefined;
    await expect.poll(async () => (await waitingFor(aliceDevice, 'alice')).length).toBe(1);
    return message;
  }

  const aliceStore = new MemoryKeyStore();
  beforeAll(async () => {
    server = await testServer();
    [alice, bob] = await Promise.all([
      registered(server.url, 'alice', { store: aliceStore }),
      registered(server.url, 'bob', { fetch: bobHttp.fetch, store: bobStore }),
    ]);
    await bob.connect();
  });
  afterAll(async () => {
    await Promise.all([alice?.disconnect(), bob?.disconnect()]);
    await server?.close();
  });

  it('a share the server dropped: read live once the sender connects again', async () => {
    const room = (await alice.createRoom('healing', { members: ['bob'] })).id;
    const count = dropBobsShares();
    const shown = next(bob, 'message', (m) => m.room === room);
    // Alice is offline (never connected): she sends over HTTP and cannot hear bob's request.
    await alice.send(room, 'worth the wait');
    expect((await shown).status).toBe('missing_key');
    bobHttp.hooks.after = undefined;
    expect(count.dropped).toBe(1);
    // The request is stored for alice, not lost with the moment.
    await expect
      .poll(() => waitingFor(aliceStore, 'alice'))
      .toEqual([{ room, from: 'bob', sessionId: expect.any(String), id: expect.any(Number) }]);

    const recovered = next(bob, 'recovered', (m) => m.room === room);
    await alice.connect();
    expect(await recovered).toMatchObject({ status: 'ok', text: 'worth the wait', sender: 'alice' });
    await expect.poll(() => waitingFor(aliceStore, 'alice')).toEqual([]);
    await alice.disconnect();
  });

  it('a client that never connects (a CLI command) answers with answerKeyRequests', async () => {
    const room = (await alice.createRoom('by hand', { members: ['bob'] })).id;
    await askedByBob(room, () => alice.send(room, 'answered by a command'), aliceStore);
    const recovered = next(bob, 'recovered', (m) => m.room === room);
    expect(await alice.answerKeyRequests()).toBe(1);
    expect(await recovered).toMatchObject({ status: 'ok', text: 'answered by a command' });
    expect(await waitingFor(aliceStore, 'alice')).toEqual([]);
  });

  it('[M6] a sender who leaves before sending the key: the message says so, live and in history; nobody is asked', async () => {
    const room = (await alice.createRoom('gone', { members: ['bob'] })).id;
    const waiting = await askedByBob(room, () => alice.send(room, 'never to be read'), aliceStore);

    const restated = next(bob, 'keyUnavailable', (m) => m.room === room);
    await alice.leave(room);
    expect(await restated).toMatchObject({ seq: waiting.seq, sender: 'alice', status: 'sender_left' });
    expect((await bob.history(room)).map((m) => [m.seq, m.status])).toEqual([[waiting.seq, 'sender_left']]);

    // The server dropped bob's request with alice's leave, and takes no more: no device of hers can answer.
    expect(await waitingFor(aliceStore, 'alice')).toEqual([]);
    const ask = await askByHand(bobStore, 'bob', { room, sender: 'alice', sessionId: MADE_UP_SESSION });
    expect(ask.status).toBe(403);
    expect(await ask.json()).toMatchObject({
      error: { code: 'NOT_MEMBER', message: 'alice is not a member of this room: nobody can send that key now' },
    });
    expect(await alice.answerKeyRequests()).toBe(0);
    // A second device of bob's, reading the room afresh, says the same from its own fold.
    const phone = client(server.url);
    await phone.login('bob', PASSWORD);
    expect((await phone.history(room)).map((m) => m.status)).toEqual(['sender_left']);
  });

  it('[K9] a request for a session another device of the sender made is left for that device', async () => {
    // alice's phone never sent in this room: it holds none of her outbound sessions there. The room's history
    // is "joined", so only the laptop knows from which index bob may have the session.
    const phone = client(server.url);
    await phone.login('alice', PASSWORD);
    const room = (await alice.createRoom('two devices', { members: ['bob'], history: 'joined' })).id;
    await askedByBob(
      room,
      async () => {
        await alice.send(room, 'from the laptop');
        await alice.disconnect(); // the laptop goes offline; what it wrote for the vault is written first
      },
      aliceStore,
    );

    // The phone comes online first: it cannot answer, and it does not take the request from the laptop.
    expect(await phone.answerKeyRequests()).toBe(1);
    expect(await waitingFor(aliceStore, 'alice')).toHaveLength(1);
    expect(await phone.answerKeyRequests()).toBe(1); // asked again at once (a reconnect): still left
    expect(await waitingFor(aliceStore, 'alice')).toHaveLength(1);
    const recovered = next(bob, 'recovered', (m) => m.room === room);
    expect(await alice.answerKeyRequests()).toBe(1);
    expect(await recovered).toMatchObject({ status: 'ok', text: 'from the laptop' });
    expect(await waitingFor(aliceStore, 'alice')).toEqual([]);
  });

  it('[R5] [K9] in a shared room, another device of the sender answers from what it keeps to read the session', async () => {
    // The laptop sends, then goes for good; the phone has the session from the vault, to read it.
    const laptopStore = new MemoryKeyStore();
    const laptop = client(server.url, { store: laptopStore });
    await laptop.login('alice', PASSWORD);
    const phone = client(server.url);
    await phone.login('alice', PASSWORD);
    const room = (await laptop.createRoom('lost laptop', { members: ['bob'] })).id;
    await askedByBob(
      room,
      async () => {
        await laptop.send(room, 'sent from a laptop now lost');
        await laptop.disconnect();
      },
      laptopStore,
    );

    const recovered = next(bob, 'recovered', (m) => m.room === room);
    expect(await phone.answerKeyRequests()).toBe(1);
    expect(await recovered).toMatchObject({ status: 'ok', text: 'sent from a laptop now lost' });
    expect(await waitingFor(laptopStore, 'alice')).toEqual([]);
  });

  it('a request for a session the requester may not have is declined: no share, and it is not kept', async () => {
    // A "joined" room [R5]: in a "shared" one carol could have every session from its start.
    const room = (await alice.createRoom('before carol', { members: ['bob'], history: 'joined' })).id;
    await alice.send(room, 'before carol joined');
    const carolStore = new MemoryKeyStore();
    const carol = await registered(server.url, 'carol', { store: carolStore });
    await alice.invite(room, 'carol');
    // Alice's session predates carol, and alice rotates only when someone leaves: carol gets the current session
    // from the index she was invited at. A request for a session she was never given — a made-up one — gets
    // nothing, and the request is dropped once alice has looked at it.
    const ask = await askByHand(carolStore, 'carol', { room, sender: 'alice', sessionId: MADE_UP_SESSION });
    expect(ask.status).toBe(202);
    const shares = collect(carol, 'recovered');
    expect(await alice.answerKeyRequests()).toBe(1);
    expect(await waitingFor(aliceStore, 'alice')).toEqual([]);
    const token = (await carolStore.get<{ token: string }>('carol/session'))!.token;
    const carolShares = await fetch(`${server.url}/api/shares`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await carolShares.json()) as { shares: unknown[] }).shares).toEqual([]);
    await sleep(50);
    expect(shares).toEqual([]);
    await carol.disconnect();
  });

  it('the server refuses a request from outside the room, and to oneself, with a stable code', async () => {
    const room = (await alice.createRoom('closed', { members: [] })).id;
    const ask = (body: unknown) => askByHand(bobStore, 'bob', body);
    const outside = await ask({ room, sender: 'alice', sessionId: MADE_UP_SESSION });
    expect(outside.status).toBe(403);
    expect(await outside.json()).toMatchObject({ error: { code: 'NOT_MEMBER' } });
    const self = await ask({ room, sender: 'bob', sessionId: MADE_UP_SESSION });
    expect(self.status).toBe(400);
    expect(await self.json()).toMatchObject({ error: { code: 'BAD_REQUEST' } });
    const bad = await ask({ room, sender: 'alice' });
    expect(bad.status).toBe(400);
  });
});
