// The server as the adversary: it adds members on its own, serves other keys, alters ciphertext [R2] [K6] [M6].
import { PROTOCOL_VERSION, randomBytes, randomId, sealMessage, toB64u, type AccountKeys } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryKeyStore, type ParleyClient } from '../src/index.ts';
import { next, registered, tamperingFetch, testServer } from './helpers.ts';

describe('against a malicious server', () => {
  let server: Awaited<ReturnType<typeof testServer>>;
  let alice: ParleyClient;
  let bob: ParleyClient;
  let carol: ParleyClient;
  const aliceStore = new MemoryKeyStore();
  const bobStore = new MemoryKeyStore();
  const carolNet = tamperingFetch();
  const aliceNet = tamperingFetch();
  const bobNet = tamperingFetch();

  beforeAll(async () => {
    server = await testServer();
    [alice, bob, carol] = await Promise.all([
      registered(server.url, 'alice', { store: aliceStore, fetch: aliceNet.fetch }),
      registered(server.url, 'bob', { store: bobStore, fetch: bobNet.fetch }),
      registered(server.url, 'carol', { fetch: carolNet.fetch }),
    ]);
  });
  afterAll(() => server?.close());

  it('[M3] after a kick the sender starts a new session: the kicked user cannot read it even if served', async () => {
    const room = await alice.createRoom('team', { members: ['bob', 'carol'] });
    await alice.send(room.id, 'everyone');
    expect((await carol.history(room.id)).map((m) => m.text)).toEqual(['everyone']);
    await alice.kick(room.id, 'carol');
    await alice.send(room.id, 'without carol');
    expect((await bob.history(room.id)).map((m) => m.text)).toEqual(['everyone', 'without carol']);
    // The server leaks the room to carol anyway (it reads with bob's session): the new session is not hers.
    const bobToken = (await bobStore.get<{ token: string }>(`${bob.user}/session`))!.token;
    carolNet.hooks.headers = (url, init) =>
      url.includes('/api/shares')
        ? undefined
        : { ...(init?.headers as object), authorization: `Bearer ${bobToken}` };
    const leaked = await carol.history(room.id);
    carolNet.hooks.headers = undefined;
    expect(leaked.map((m) => [m.status, m.text])).toEqual([
      ['ok', 'everyone'],
      ['missing_key', undefined],
    ]);
  });

  it('[R2] [R4] a member the server adds without a signed invite, outside the chain, stops the send: no key share', async () => {
    const room = await alice.createRoom('guarded', { members: ['bob'] });
    const forged = {
      v: PROTOCOL_VERSION,
      type: 'invite' as const,
      room: room.id,
      actor: 'alice',
      target: 'carol',
      eventId: randomId(),
      ts: Date.now(),
      signature: toB64u(randomBytes(384)),
    };
    aliceNet.hooks.rewrite = (url, body) => {
      if (!url.includes(`/api/rooms/${room.id}/events`) || !body?.events) return body;
      const seq = body.headSeq + 1;
      const event = { kind: 'member', room: room.id, seq, ts: Date.now(), sender: 'alice', content: forged };
      const fake = { ...event, hash: toB64u(randomBytes(32)), chain: toB64u(randomBytes(32)) };
      return { ...body, events: [...body.events, fake], headSeq: seq };
    };
    const recipients: string[] = [];
    aliceNet.hooks.watch = (url, init) => {
      if (url.includes('/shares') && init?.method === 'POST' && typeof init.body === 'string') {
        recipients.push(...(JSON.parse(init.body).shares ?? []).map((s: { recipient: string }) => s.recipient));
      }
    };
    // [R4] The made-up event does not link to the chain: the fold refuses it, and the send stops with it.
    await expect(alice.send(room.id, 'members only')).rejects.toMatchObject({
      code: 'LOG_UNVERIFIED',
      message: 'cannot verify who is in this room: event 3 does not match the chain the server committed to',
    });
    aliceNet.hooks.rewrite = undefined;
    expect(recipients).toEqual([]);
    // The honest log again: the send goes, to bob only.
    await alice.send(room.id, 'members only');
    aliceNet.hooks.watch = undefined;
    expect(recipients).toEqual(['bob']);
  });

  it('[M4] [M6] ciphertext altered by the server is rejected as bad_signature', async () => {
    const room = await alice.createRoom('altered', { members: ['bob'] });
    const { seq } = await alice.send(room.id, 'original');
    bobNet.hooks.rewrite = (url, body) => {
      if (!url.includes(`/api/rooms/${room.id}/events`)) return body;
      for (const e of body.events) {
        if (e.seq === seq) e.content.ciphertext = toB64u(randomBytes(40));
      }
      return body;
    };
    const [m] = await bob.history(room.id);
    bobNet.hooks.rewrite = undefined;
    expect(m).toMatchObject({ seq, status: 'bad_signature' });
    expect(m?.text).toBeUndefined();
  });

  it('[M6] a signed message that does not decrypt under the shared key is shown as tampered', async () => {
    const room = await alice.createRoom('garbled', { members: ['bob'] });
    await alice.send(room.id, 'first');
    const out = (await aliceStore.get<{ sessionId: string; index: number }>(`${alice.user}/out:${room.id}`))!;
    const account = (await aliceStore.get<{ signing: CryptoKey; bundle: AccountKeys }>(`${alice.user}/account`))!;
    const envelope = await sealMessage({
      room: room.id,
      sender: 'alice',
      signingKey: account.signing,
      sessionId: out.sessionId,
      chainKey: randomBytes(32),
      index: out.index,
      memberSeq: 2, // the create, then bob's invite
      counter: 2,
      clientMsgId: randomId(),
      text: 'garbage',
    });
    const token = (await aliceStore.get<{ token: string }>(`${alice.user}/session`))!.token;
    const res = await fetch(`${server.url}/api/chat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ envelope }),
    });
    expect(res.status).toBe(200);
    const history = await bob.history(room.id);
    expect(history.map((m) => m.status)).toEqual(['ok', 'tampered']);
  });

  it('[K6] the server serving other keys for a user raises keychange until the person verifies', async () => {
    const before = await bob.contact('alice');
    expect(before).toMatchObject({ keyChanged: false, verified: false });
    expect(before.safetyNumber).toMatch(/^(\d{5} ){11}\d{5}$/);
    const served = await bobKeysOf('carol');
    bobNet.hooks.rewrite = (url, body) =>
      url.endsWith('/api/users/alice/keys') ? { ...served, user: 'alice' } : body;
    const warned = next(bob, 'keychange', (k) => k.user === 'alice');
    const after = await bob.contact('alice');
    await warned;
    expect(after.keyChanged).toBe(true);
    // Until the person decides, the pinned keys stay in use (and on display).
    expect(after.fingerprint).toBe(before.fingerprint);
    expect(after.safetyNumber).toBe(before.safetyNumber);
    expect(after.newSafetyNumber).toMatch(/^(\d{5} ){11}\d{5}$/);
    expect(after.newSafetyNumber).not.toBe(before.safetyNumber);
    await bob.verify('alice', after.newSafetyNumber!);
    const accepted = await bob.contact('alice');
    expect(accepted).toMatchObject({ keyChanged: false, verified: true });
    expect(accepted.fingerprint).not.toBe(before.fingerprint);
    bobNet.hooks.rewrite = undefined;
  });

  async function bobKeysOf(user: string): Promise<object> {
    const token = (await bobStore.get<{ token: string }>(`${bob.user}/session`))!.token;
    const res = await fetch(`${server.url}/api/users/${user}/keys`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return (await res.json()) as object;
  }
});
