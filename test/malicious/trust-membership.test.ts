/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- the rewritten
   answers are parsed JSON; typing each one would hide what the attack changes. */
// Trust II (issue 22): who is in a room is decided from the verified log only [R4]. A server that hides a kick
// from one member's reads, and lists the kicked person as a member again, must not get that member's client to
// share a room key with her [M3].
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PROTOCOL_VERSION,
  aesGcmEncrypt,
  canonical,
  fromB64u,
  importPublicKey,
  messageBytes,
  messageKey,
  randomBytes,
  randomId,
  rsaSign,
  sealMessage,
  sealShare,
  toB64u,
  utf8,
  type RoomEvent,
} from '@parley/protocol';
import type { MembershipNotice, ParleyClient } from '../../packages/sdk/src/index.ts';
import { adversary, fetchLog as readLog, PASSWORD, rechain, registered, type Adversary } from './adversary.ts';

let a: Adversary;
let alice: ParleyClient;
let bob: ParleyClient;
let carol: ParleyClient;

beforeAll(async () => {
  a = await adversary();
  [alice, bob, carol] = await registered(a, ['alice', 'bob', 'carol']);
}, 120_000);
afterAll(() => a?.close());

const isKick = (e: RoomEvent) => e.kind === 'member' && e.content.type === 'kick';

/** The room's whole log, read as alice (the server's own copy). */
const fetchLog = async (room: string) => (await readLog(a, room)) as { events: RoomEvent[] };

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

/** A message signed by `sender`'s real key, slipped into the log the server serves bob: rechained, countersigned. */
async function slipIn(room: string, sender: string, memberSeq = 1): Promise<void> {
  const { signing } = (await a.stores.get(sender)!.get<{ signing: CryptoKey }>(`${sender}/account`))!;
  const envelope = await sealMessage({
    room,
    sender,
    signingKey: signing,
    sessionId: randomId(),
    chainKey: randomBytes(32),
    index: 0,
    memberSeq,
    counter: 1,
    clientMsgId: randomId(),
    text: `from ${sender}`,
  });
  const real = (await fetchLog(room)).events;
  const last = real.at(-1)!;
  const slipped = { kind: 'message', room, seq: last.seq + 1, ts: Date.now(), sender, content: envelope } as any;
  const { events, head } = await rechain(a.key, [...real, slipped]);
  a.http = (who, url, body) =>
    who === 'bob' && url.includes(`/api/rooms/${room}/events`) && body?.events
      ? {
          events: events.filter((e) => e.seq > Number(new URL(url).searchParams.get('after') ?? 0)),
          heads: [head],
          headSeq: head.seq,
        }
      : undefined;
}

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

  it('a server that answers every read with the same old page and "there is more" gets a refusal, not a hang', async () => {
    const room = (await alice.createRoom('spin', { members: ['bob'] })).id;
    const { events } = await fetchLog(room);
    a.http = (who, url, body) =>
      who === 'bob' && url.includes(`/api/rooms/${room}/events`) && body?.events
        ? { events, heads: [], headSeq: events.length + 10 }
        : undefined;
    try {
      await bob.history(room); // the fold is now at the last real event
      await expect(bob.send(room, 'hello')).rejects.toMatchObject({
        code: 'LOG_UNVERIFIED',
        message: `cannot verify who is in this room: the server serves no event after ${events.length}`,
      });
    } finally {
      a.http = null;
    }
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

describe('[M6] [R4] messages from non-members', () => {
  it("a kicked member's message is not_member, and so is one from an account never let in", async () => {
    const room = (await alice.createRoom('non-members', { members: ['bob', 'carol'] })).id;
    await alice.send(room, 'hello');
    await alice.kick(room, 'carol');
    for (const sender of ['carol', 'mallory']) {
      if (sender === 'mallory' && !a.stores.has('mallory'))
        await a.client('mallory').register('mallory', PASSWORD);
      await slipIn(room, sender);
      try {
        const shown = await bob.history(room);
        expect(shown.map((m) => [m.sender, m.status])).toEqual([
          ['alice', 'ok'],
          [sender, 'not_member'],
        ]);
      } finally {
        a.http = null;
      }
    }
  });
});

describe('[M11] a message the server took after a removal it was not encrypted for', () => {
  it('is flagged to its readers as stale_membership, once', async () => {
    const room = (await alice.createRoom('stale', { members: ['bob', 'carol'] })).id; // 1 create, 2–3 invites
    await alice.kick(room, 'carol'); // 4
    const warnings: { kind: string; user?: string }[] = [];
    bob.on('integrity', (w) => w.room === room && warnings.push(w));
    await slipIn(room, 'alice', 3);
    try {
      await bob.history(room);
      await bob.history(room);
    } finally {
      a.http = null;
    }
    expect(warnings.filter((w) => w.kind === 'stale_membership')).toEqual([
      expect.objectContaining({ kind: 'stale_membership', user: 'alice' }),
    ]);
  });
});

describe('[M9] a sender who gives members different chain keys for one session', () => {
  it('cannot make one ciphertext read as another text for one of them: that reader sees tampered', async () => {
    const room = (await alice.createRoom('salamander', { members: ['bob', 'carol'] })).id;
    const store = a.stores.get('alice')!;
    const { signing } = (await store.get<{ signing: CryptoKey }>('alice/account'))!;
    const { token } = (await store.get<{ token: string }>('alice/session'))!;
    const call = (path: string, body?: unknown) =>
      fetch(`${a.url}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const encryptionKey = async (user: string) =>
      (await importPublicKey(
        'encryption',
        fromB64u((await (await call(`/api/users/${user}/keys`)).json()).encryption),
      ))!;
    // One session id, two chain keys: bob's and carol's.
    const sessionId = randomId();
    const forBob = randomBytes(32);
    const forCarol = randomBytes(32);
    const shares = await Promise.all(
      (
        [
          ['bob', forBob],
          ['carol', forCarol],
        ] as const
      ).map(async ([recipient, chainKey]) =>
        sealShare({
          room,
          sender: 'alice',
          signingKey: signing,
          recipient,
          recipientEncryptionKey: await encryptionKey(recipient),
          session: { sessionId, index: 0, chainKey },
        }),
      ),
    );
    expect((await call(`/api/rooms/${room}/shares`, { shares })).status).toBe(204);
    // The envelope commits to bob's chain key, but its ciphertext is carol's text under carol's message key.
    const sealed = await sealMessage({
      room,
      sender: 'alice',
      signingKey: signing,
      sessionId,
      chainKey: forBob,
      index: 0,
      memberSeq: 3,
      counter: 1,
      clientMsgId: randomId(),
      text: 'for bob',
    });
    const aad = canonical('msg-aad', [PROTOCOL_VERSION, room, 'alice', fromB64u(sessionId), 0]);
    const ciphertext = await aesGcmEncrypt(await messageKey(forCarol), {
      iv: fromB64u(sealed.iv),
      plaintext: utf8(JSON.stringify({ text: 'for carol' })),
      aad,
    });
    const { signature: _old, ...unsigned } = { ...sealed, ciphertext: toB64u(ciphertext) };
    const envelope = { ...unsigned, signature: toB64u(await rsaSign(signing, messageBytes(unsigned, 'alice'))) };
    expect((await call('/api/chat', { envelope })).status).toBe(200);
    // carol's key opens the ciphertext, but it is not the key the signed commitment names: nothing is shown.
    expect((await carol.history(room)).map((m) => [m.status, m.text])).toEqual([['tampered', undefined]]);
    expect((await bob.history(room)).map((m) => [m.status, m.text])).toEqual([['tampered', undefined]]);
  });
});

describe('[M11] a kick racing a message', () => {
  it('the server refuses the message encrypted before the kick; the SDK folds again, rotates and resends once', async () => {
    const room = (await alice.createRoom('race', { members: ['bob', 'carol'] })).id;
    await bob.send(room, 'before');
    // bob's next message is encrypted for alice and carol; the kick lands just before the server commits it.
    a.before = async (who, url) => {
      if (who !== 'bob' || !url.endsWith('/api/chat')) return;
      a.before = null;
      await alice.kick(room, 'carol');
    };
    a.sent.length = 0;
    await bob.send(room, 'after the kick');
    const chats = a.sent
      .filter((s) => s.user === 'bob' && s.url.endsWith('/api/chat'))
      .map((s) => s.body.envelope);
    expect(chats).toHaveLength(2);
    expect(chats[1].memberSeq).toBeGreaterThan(chats[0].memberSeq);
    // The resend is a new session shared with alice only, under the counter the refused one had.
    expect(chats[1].sessionId).not.toBe(chats[0].sessionId);
    expect(chats[1].counter).toBe(chats[0].counter);
    expect(sharesTo('carol', room)).toEqual([]);
    const read = await alice.history(room);
    expect(read.map((m) => [m.text, m.status])).toEqual([
      ['before', 'ok'],
      ['after the kick', 'ok'],
    ]);
  });
});

describe('[M3] the sessions of a room the user is out of are pruned from the device', () => {
  /** What `user`'s device holds of `room`: its inbound sessions (by the log's session ids) and its outbound one. */
  async function held(user: string, room: string) {
    const store = a.stores.get(user)!;
    const log = await fetchLog(room);
    const ids = new Set(
      log.events.flatMap((e) => (e.kind === 'message' ? [[e.sender, e.content.sessionId]] : [])).map(String),
    );
    const inbound = [];
    for (const id of ids) {
      const [sender, session] = id.split(',') as [string, string];
      if (await store.get(`${user}/in:${room}:${sender}:${session}`)) inbound.push(sender);
    }
    return { inbound: inbound.sort(), outbound: (await store.get(`${user}/out:${room}`)) !== undefined };
  }

  it('after leaving, and after being removed (seen live), no chain key of the room is left on the device', async () => {
    const left = (await alice.createRoom('prune-leave', { members: ['bob'] })).id;
    const removed = (await alice.createRoom('prune-kick', { members: ['bob'] })).id;
    for (const room of [left, removed]) {
      await alice.send(room, 'hello');
      await bob.send(room, 'hi');
      expect((await bob.history(room)).map((m) => m.status)).toEqual(['ok', 'ok']);
      expect(await held('bob', room)).toEqual({ inbound: ['alice', 'bob'], outbound: true });
    }
    await bob.leave(left);
    expect(await held('bob', left)).toEqual({ inbound: [], outbound: false });

    await bob.connect();
    const gone = new Promise<void>((resolve) => {
      const off = bob.on('member', (n) => {
        if (n.room !== removed || n.type !== 'kick' || n.target !== 'bob') return;
        off();
        resolve();
      });
    });
    await alice.kick(removed, 'bob');
    await gone;
    await bob.disconnect();
    expect(await held('bob', removed)).toEqual({ inbound: [], outbound: false });
    // Another room's sessions stay.
    const kept = (await alice.createRoom('prune-other', { members: ['bob'] })).id;
    await alice.send(kept, 'still here');
    expect((await bob.history(kept)).map((m) => m.status)).toEqual(['ok']);
  });
});
