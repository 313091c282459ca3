// Issue 24: a room of 1 000 members sends, rotates after a leave, and reads [M2] [M3]. Before shares were sent
// in chunks, the first message of a room over about 230 members was refused: one POST passed the body limit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, MemoryKeyStore, type ParleyClient } from '@parley/sdk';
import { nodeWebSocket } from '@parley/sdk/node';
import { MAX_SHARES_PER_REQUEST } from '@parley/protocol';
import { addAccounts, inviteAll } from '../../bench/src/crowd.ts';
import { keyPool, startUnlimited, type Harness } from '../support/server.ts';

const MEMBERS = 1000;
const PASSWORD = 'correct horse battery staple';
const BODY_LIMIT = 256 * 1024;

let h: Harness;
let alice: ParleyClient;
let bob: ParleyClient;
let carol: ParleyClient;
/** alice's key-share uploads: one entry per POST, its body size. */
const shareUploads: number[] = [];

beforeAll(async () => {
  h = await startUnlimited();
  const watching: typeof fetch = (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (url.endsWith('/shares') && init?.method === 'POST' && typeof init.body === 'string')
      shareUploads.push(Buffer.byteLength(init.body));
    return fetch(input, init);
  };
  const device = (extra = {}) =>
    createClient({ server: h.url, store: new MemoryKeyStore(), webSocket: nodeWebSocket, ...extra });
  [alice, bob, carol] = [device({ fetch: watching }), device(), device()];
  await alice.register('alice', PASSWORD);
  await bob.register('bob', PASSWORD);
  await carol.register('carol', PASSWORD);
}, 60_000);
afterAll(async () => {
  await Promise.all([alice?.disconnect(), bob?.disconnect(), carol?.disconnect()]);
  await h?.close();
});

describe('a room of 1 000 members', () => {
  it('sends, rotates after a leave, and reads', async () => {
    const crowd = Array.from({ length: MEMBERS - 3 }, (_, i) => `m${String(i).padStart(4, '0')}`);
    await addAccounts(h.store, crowd, await keyPool());
    const room = (await alice.createRoom('town', { members: ['bob', 'carol'] })).id;
    await inviteAll(alice, room, crowd);
    expect(await alice.members(room)).toHaveLength(MEMBERS);

    await alice.send(room, 'hello, all thousand of you');
    // 999 shares, in chunks, each under the body limit.
    expect(shareUploads).toHaveLength(Math.ceil((MEMBERS - 1) / MAX_SHARES_PER_REQUEST));
    expect(Math.max(...shareUploads)).toBeLessThan(BODY_LIMIT);
    const first = await h.store.sharesFor('m0000', 0);
    expect(first).toHaveLength(1);
    for (const reader of [bob, carol]) {
      const [m] = (await reader.history(room)).filter((x) => x.sender === 'alice');
      expect(m).toMatchObject({ status: 'ok', text: 'hello, all thousand of you' });
    }

    // carol leaves: alice's next message is under a new session, shared with the 998 still in the room.
    await carol.leave(room);
    shareUploads.length = 0;
    await alice.send(room, 'carol has gone');
    expect(shareUploads).toHaveLength(Math.ceil((MEMBERS - 2) / MAX_SHARES_PER_REQUEST));
    const both = await h.store.sharesFor('m0000', 0);
    expect(new Set(both.map((s) => s.sessionId)).size).toBe(2);
    expect(await h.store.sharesFor('carol', 0)).toEqual([]);
    const read = (await bob.history(room)).filter((x) => x.sender === 'alice');
    expect(read.map((m) => [m.status, m.text])).toEqual([
      ['ok', 'hello, all thousand of you'],
      ['ok', 'carol has gone'],
    ]);
  }, 240_000);
});
