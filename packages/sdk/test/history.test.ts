// History pages read as one batch (signatures in parallel, one ratchet per session) must keep every rule of
// reading one message at a time; plus membership notices in pages, read marks, and re-shares of old sessions.
import { fromB64u, nextChain, randomBytes, toB64u } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, MemoryKeyStore, type ParleyClient } from '../src/index.ts';
import { nodeWebSocket } from '../src/node.ts';
import { RECENT_SESSIONS } from '../src/outbound.ts';
import { collect, next, PASSWORD, registered, sleep, tamperingFetch, testServer } from './helpers.ts';

describe('history pages', () => {
  let server: Awaited<ReturnType<typeof testServer>>;
  let alice: ParleyClient;
  let bob: ParleyClient;
  let carol: ParleyClient;
  const bobStore = new MemoryKeyStore();
  const bobNet = tamperingFetch();

  beforeAll(async () => {
    server = await testServer();
    [alice, bob, carol] = await Promise.all([
      registered(server.url, 'alice'),
      registered(server.url, 'bob', { store: bobStore, fetch: bobNet.fetch }),
      registered(server.url, 'carol'),
    ]);
  });
  afterAll(() => server?.close());

  it('[M1] a page read twice gives the same texts: indices at their own seq are not replays', async () => {
    const room = await alice.createRoom('twice', { members: ['bob'] });
    for (const text of ['a', 'b', 'c', 'd', 'e']) await alice.send(room.id, text);
    const first = await bob.history(room.id);
    const again = await bob.history(room.id);
    expect(first.map((m) => [m.status, m.text])).toEqual(['a', 'b', 'c', 'd', 'e'].map((t) => ['ok', t]));
    expect(again).toEqual(first);
    const older = await bob.history(room.id, { before: first[2]!.seq, limit: 2 });
    expect(older.map((m) => m.text)).toEqual(['a', 'b']);
  });

  it('[M1] a message replayed at another seq inside the same page is read once, the copy is "replayed"', async () => {
    const room = await alice.createRoom('replay', { members: ['bob'] });
    const { seq: one } = await alice.send(room.id, 'once');
    const { seq: two } = await alice.send(room.id, 'second');
    bobNet.hooks.rewrite = (url, body) => {
      if (!url.includes(`/api/rooms/${room.id}/events`)) return body;
      const events = body.events as { seq: number }[];
      const original = events.find((e) => e.seq === one);
      body.events = events.map((e) => (e.seq === two ? { ...original, seq: two } : e));
      return body;
    };
    const page = await bob.history(room.id);
    bobNet.hooks.rewrite = undefined;
    expect(page.map((m) => [m.seq, m.status, m.text])).toEqual([
      [one, 'ok', 'once'],
      [two, 'replayed', undefined],
    ]);
  });

  it('[R2] a history page carries the membership notices, valid by the client’s own fold', async () => {
    const room = await alice.createRoom('notices', { members: ['bob'] });
    await alice.send(room.id, 'hello');
    const page = await bob.historyPage(room.id);
    expect(page.notices.map((n) => [n.type, n.actor, n.target, n.valid])).toEqual([
      ['create', 'alice', 'alice', true],
      ['invite', 'alice', 'bob', true],
    ]);
    expect(page.messages.map((m) => m.text)).toEqual(['hello']);
    expect(page).toMatchObject({ hasMore: false, oldestSeq: 1 });
  });

  it('read marks are kept in the store: unread counts survive a new client on it', async () => {
    const room = await alice.createRoom('unread', { members: ['bob'] });
    expect((await bob.unread())[room.id]).toMatchObject({ count: 0 });
    await alice.send(room.id, 'one');
    const { seq } = await alice.send(room.id, 'two');
    expect((await bob.unread())[room.id]).toEqual({ count: 2, upTo: seq });
    const reloaded = createClient({ server: server.url, store: bobStore, webSocket: nodeWebSocket });
    expect(await reloaded.resume()).toBe(true);
    expect((await reloaded.unread())[room.id]).toEqual({ count: 2, upTo: seq });
    await reloaded.markRead(room.id, seq);
    expect((await bob.unread())[room.id]).toEqual({ count: 0, upTo: seq });
  });

  /** bob signed in on a new device, connected, whose vault the server withholds [K9]. */
  async function bobWithoutHisVault(): Promise<ParleyClient> {
    const net = tamperingFetch();
    net.hooks.rewrite = (url, body) =>
      url.includes('/api/vault?') ? { records: [], seq: 0, hasMore: false } : body;
    const device = createClient({
      server: server.url,
      store: new MemoryKeyStore(),
      webSocket: nodeWebSocket,
      fetch: net.fetch,
    });
    await device.login('bob', PASSWORD);
    await device.connect();
    return device;
  }

  it('[M2] [M3] a key request for a rotated-out session is answered to a member who had it', async () => {
    const room = await alice.createRoom('rotated', { members: ['bob', 'carol'] });
    await alice.send(room.id, 'before the rotation');
    await bob.history(room.id); // bob's first device takes (and acknowledges) the share
    await carol.leave(room.id);
    await alice.send(room.id, 'after the rotation'); // carol left: a new session [M3]
    await alice.connect();
    // bob on a new device: the old share is gone from the server and the server withholds bob's vault [K9], so
    // it asks alice for it.
    const device = await bobWithoutHisVault();
    const recovered = next(device, 'recovered', (m) => m.text === 'before the rotation');
    const shown = await device.history(room.id);
    // The new session's share still waits on the server; the rotated-out one was taken by the first device.
    expect(shown.map((m) => m.status)).toEqual(['missing_key', 'ok']);
    expect(await recovered).toMatchObject({ sender: 'alice', status: 'ok' });
    expect((await device.history(room.id)).map((m) => m.text)).toEqual([
      'before the rotation',
      'after the rotation',
    ]);
    await device.disconnect();
    await alice.disconnect();
  });

  it('[R5] in a shared room, a session rotated out of the last few is still answered, from what alice keeps', async () => {
    const room = (await alice.createRoom('long ago', { members: ['bob'] })).id;
    await alice.send(room, 'the first session');
    await bob.history(room); // bob's first device takes (and acknowledges) the share
    // More rotations than alice keeps sessions to send in [M3]: each time someone is given the session, is
    // removed, and alice's next message starts a new one.
    const dora = await registered(server.url, 'dora');
    for (let i = 0; i <= RECENT_SESSIONS; i++) {
      await alice.invite(room, 'dora');
      await alice.send(room, `with dora ${i}`);
      await alice.kick(room, 'dora');
      await alice.send(room, `without dora ${i}`);
    }
    // bob on a new device, whose vault the server withholds [K9]: it asks alice for every session.
    const device = await bobWithoutHisVault();
    const recovered = next(device, 'recovered', (m) => m.text === 'the first session');
    expect((await device.history(room))[0]).toMatchObject({ status: 'missing_key' });
    await alice.answerKeyRequests();
    expect(await recovered).toMatchObject({ sender: 'alice', status: 'ok' });
    await device.disconnect();
    await dora.logout();
  });

  it('[M5] a page carries the head at its last event and the latest, not every newer head', async () => {
    const room = await alice.createRoom('heads', { members: ['bob'] });
    // Heads are signed coalesced (every 100 ms by default): pauses between sends give each message its own.
    for (const text of ['1', '2', '3', '4', '5', '6']) {
      await alice.send(room.id, text);
      await sleep(250);
    }
    const warnings = collect(bob, 'integrity');
    const all = (await bob.historyPage(room.id, { limit: 50 })).messages.map((m) => m.seq);
    let answer: { events: { seq: number }[]; heads: { seq: number }[] } | undefined;
    bobNet.hooks.rewrite = (url, body) => {
      if (url.includes(`/api/rooms/${room.id}/events?before=${all[2]}&`)) answer = body;
      return body;
    };
    const page = await bob.historyPage(room.id, { before: all[2]!, limit: 2 });
    bobNet.hooks.rewrite = undefined;
    expect(page.messages.map((m) => [m.status, m.text])).toEqual([
      ['ok', '1'],
      ['ok', '2'],
    ]);
    expect(answer!.events.map((e) => e.seq)).toEqual([all[0], all[1]]);
    expect(answer!.heads.map((h) => h.seq)).toEqual([all[1], all.at(-1)]);
    await sleep(50);
    expect(warnings).toEqual([]);
  });

  it('[R1] [M5] a page read backwards must extend the page after it: another past below it is a chain_mismatch', async () => {
    const room = await alice.createRoom('linked', { members: ['bob'] });
    for (const text of ['1', '2', '3', '4']) await alice.send(room.id, text);
    const warnings = collect(bob, 'integrity');
    // The server serves older pages (the one read ahead too) whose chain is its own (each event still links to
    // the one before it in the page, every hash is right) and no head inside them, only the newest above.
    type Answer = { events: { seq: number; hash: string; chain: string }[]; heads: { seq: number }[] };
    bobNet.hooks.after = async (url, body: Answer) => {
      const older =
        url.includes(`/api/rooms/${room.id}/events?before=`) && !url.includes(`${Number.MAX_SAFE_INTEGER}`);
      if (!older) return body;
      let chain = randomBytes(32);
      for (const [i, ev] of body.events.entries()) {
        if (i > 0) chain = await nextChain(chain, fromB64u(ev.hash));
        ev.chain = toB64u(chain);
      }
      const last = body.events.at(-1)?.seq ?? 0;
      return { ...body, heads: body.heads.filter((h) => h.seq > last) };
    };
    const newest = await bob.historyPage(room.id, { limit: 2 });
    const older = await bob.historyPage(room.id, { before: newest.oldestSeq!, limit: 2 });
    bobNet.hooks.after = undefined;
    expect(older.messages.map((m) => [m.status, m.text])).toEqual([
      ['ok', '1'],
      ['ok', '2'],
    ]);
    expect(warnings.map((w) => [w.kind, w.detail])).toEqual([
      ['chain_mismatch', `event ${newest.oldestSeq} does not extend the chain of event ${newest.oldestSeq! - 1}`],
    ]);
  });

  it('[K9] logout wipes the sessions from the device and memory; signed in again, the vault gives them back', async () => {
    const store = new MemoryKeyStore();
    const dave = await registered(server.url, 'dave', { store });
    const room = await alice.createRoom('forget', { members: ['dave'] });
    const sent = await alice.send(room.id, 'before logout');
    expect((await dave.history(room.id)).map((m) => m.status)).toEqual(['ok']);
    const events = (await dave.historyPage(room.id)).messages;
    expect(events.map((m) => m.seq)).toEqual([sent.seq]);
    await dave.logout();
    expect(await store.get('dave/account')).toBeUndefined();
    expect(await store.get('dave/vault')).toBeUndefined();
    await dave.login('dave', PASSWORD);
    expect((await dave.history(room.id)).map((m) => [m.status, m.text])).toEqual([['ok', 'before logout']]);
    await dave.logout();
  });

  it('[K2] after logout, what a page still does (a read mark) writes nothing; signed in again, it does', async () => {
    const store = new MemoryKeyStore();
    const erin = await registered(server.url, 'erin', { store });
    const room = await alice.createRoom('late writes', { members: ['erin'] });
    const { seq } = await alice.send(room.id, 'read me');
    await erin.logout();
    await erin.markRead(room.id, seq);
    expect(await store.get('erin/read-marks')).toBeUndefined();
    await erin.login('erin', PASSWORD);
    await erin.markRead(room.id, seq);
    expect(await store.get('erin/read-marks')).toEqual({ [room.id]: seq });
    await erin.logout();
  });
});
