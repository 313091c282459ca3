// Issue 24, [R5]: who reads what was said before they joined is the room's choice, signed in its create event.
// "shared" (the default): the inviter's client hands the newcomer the room's earlier keys, every sender's, and
// the newcomer reads everything. "joined": the newcomer sees "sent before you joined" for those messages.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '@parley/server';
import { createClient, MemoryKeyStore, type ParleyClient } from '@parley/sdk';
import { nodeWebSocket } from '@parley/sdk/node';
import {
  fromB64u,
  importPublicKey,
  randomBytes,
  randomId,
  sealMessage,
  sealShare,
  type HistoryVisibility,
} from '@parley/protocol';
import { api, member, register, startUnlimited, type Harness, type TestUser } from '../support/server.ts';

const PASSWORD = 'correct horse battery staple';
let server: Awaited<ReturnType<typeof startServer>>;
let dataDir: string;
let alice: ParleyClient;
let bob: ParleyClient;
let carol: ParleyClient;
let dave: ParleyClient;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'parley-r5-'));
  server = await startServer({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent' });
  const device = () => createClient({ server: server.url, store: new MemoryKeyStore(), webSocket: nodeWebSocket });
  [alice, bob, carol, dave] = [device(), device(), device(), device()];
  for (const [c, name] of [
    [alice, 'alice'],
    [bob, 'bob'],
    [carol, 'carol'],
    [dave, 'dave'],
  ] as const)
    await c.register(name, PASSWORD);
}, 60_000);
afterAll(async () => {
  await server?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** Three messages by two senders, then carol is invited by alice; what carol reads. */
async function newcomerReads(history?: 'shared' | 'joined') {
  const room = (
    await alice.createRoom(`r5-${history ?? 'default'}`, { members: ['bob'], ...(history ? { history } : {}) })
  ).id;
  await alice.send(room, 'first, from alice');
  await bob.send(room, 'second, from bob');
  await alice.send(room, 'third, from alice');
  await alice.invite(room, 'carol');
  return { room, read: await carol.history(room) };
}

describe('[R5] history for new members', () => {
  it('a room is "shared" unless it says otherwise: the newcomer reads every earlier message', async () => {
    const { room, read } = await newcomerReads();
    expect(read.map((m) => [m.sender, m.status, m.text])).toEqual([
      ['alice', 'ok', 'first, from alice'],
      ['bob', 'ok', 'second, from bob'],
      ['alice', 'ok', 'third, from alice'],
    ]);
    // And what is said after, as usual.
    await bob.send(room, 'welcome, carol');
    expect((await carol.history(room)).at(-1)).toMatchObject({ status: 'ok', text: 'welcome, carol' });
  });

  it('"joined": the newcomer sees "sent before you joined" for earlier messages, and reads the later ones', async () => {
    const { room, read } = await newcomerReads('joined');
    expect(read.map((m) => [m.sender, m.status])).toEqual([
      ['alice', 'before_join'],
      ['bob', 'before_join'],
      ['alice', 'before_join'],
    ]);
    await bob.send(room, 'welcome, carol');
    expect((await carol.history(room)).at(-1)).toMatchObject({ status: 'ok', text: 'welcome, carol' });
  });

  it('"shared", a public room joined without an invite: the newcomer asks the senders, who answer from the start', async () => {
    const room = (await alice.createRoom('r5-public', { public: true })).id;
    await alice.send(room, 'before dave, from alice');
    await dave.join(room);
    expect((await dave.history(room)).map((m) => m.status)).toEqual(['missing_key']);
    // alice is next online (a CLI command, say): her answer gives dave the session from its first message.
    await expect.poll(() => alice.answerKeyRequests(), { timeout: 5000 }).toBe(1);
    const read = await dave.history(room);
    expect(read.map((m) => [m.sender, m.status, m.text])).toEqual([['alice', 'ok', 'before dave, from alice']]);
  });
});

describe('[R5] a forwarded share is kept only where the verified create event says "shared"', () => {
  let h: Harness;
  let mallory: TestUser;
  let trent: TestUser;
  let newcomer: ParleyClient;
  beforeAll(async () => {
    h = await startUnlimited();
    [mallory, trent] = [await register(h, 'mallory', 0), await register(h, 'trent', 1)];
    newcomer = createClient({ server: h.url, store: new MemoryKeyStore(), webSocket: nodeWebSocket });
    await newcomer.register('nina', PASSWORD);
  }, 60_000);
  afterAll(() => h?.close());

  /** mallory's room with trent and nina; mallory writes, trent forwards her session to nina; what nina reads. */
  async function forwardedRead(history: HistoryVisibility) {
    const room = randomId();
    const create = await member(mallory, {
      type: 'create',
      room,
      target: 'mallory',
      name: `fw-${history}`,
      history,
    });
    const invites = [
      await member(mallory, { type: 'invite', room, target: 'trent' }),
      await member(mallory, { type: 'invite', room, target: 'nina' }),
    ];
    expect((await api(h, 'POST', '/api/rooms', { token: mallory.token, body: { create, invites } })).status).toBe(
      201,
    );
    const session = { sessionId: randomId(), index: 0, chainKey: randomBytes(32) };
    const envelope = await sealMessage({
      room,
      sender: 'mallory',
      signingKey: mallory.pairs.signing.privateKey,
      ...session,
      memberSeq: Number.MAX_SAFE_INTEGER,
      counter: 1,
      clientMsgId: randomId(),
      text: 'forwarded to nina',
    });
    expect((await api(h, 'POST', '/api/chat', { token: mallory.token, body: { envelope } })).status).toBe(200);
    const keys = (await api(h, 'GET', '/api/users/nina/keys', { token: trent.token })).body;
    const share = await sealShare({
      room,
      sender: 'trent',
      signingKey: trent.pairs.signing.privateKey,
      recipient: 'nina',
      recipientEncryptionKey: (await importPublicKey('encryption', fromB64u(keys.encryption)))!,
      session,
      owner: 'mallory',
    });
    const posted = await api(h, 'POST', `/api/rooms/${room}/shares`, {
      token: trent.token,
      body: { shares: [share] },
    });
    expect(posted.status).toBe(204);
    return (await newcomer.history(room)).map((m) => [m.sender, m.status]);
  }

  it('"shared": nina reads mallory\'s message with the key trent handed on', async () => {
    expect(await forwardedRead('shared')).toEqual([['mallory', 'ok']]);
  });

  it('"joined": the same forwarded key is ignored; the message waits for mallory\'s own share', async () => {
    expect(await forwardedRead('joined')).toEqual([['mallory', 'missing_key']]);
  });
});
