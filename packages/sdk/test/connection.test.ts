/* eslint-disable @typescript-eslint/no-unsafe-return -- the tests assert on parsed JSON answers */
// The live connection over real sockets: resume after a drop [D3], resend until acked [D2], key requests [M6].
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MemoryKeyStore,
  type DecryptedMessage,
  type ParleyClient,
  type WebSocketFactory,
  type WebSocketLike,
} from '../src/index.ts';
import { nodeWebSocket } from '../src/node.ts';
import { next, registered, sleep, tamperingFetch, tapSocket, testServer } from './helpers.ts';

/** A network the test controls: it can go down, and drop frames. */
function network() {
  const ctl = {
    down: false,
    sockets: [] as WebSocketLike[],
    keep: (_data: unknown): boolean => true,
  };
  const factory: WebSocketFactory = (url, headers) => {
    if (ctl.down) throw new Error('network down');
    const ws = tapSocket(nodeWebSocket(url, headers), (d) => ctl.keep(d));
    ctl.sockets.push(ws);
    return ws;
  };
  return { ctl, factory };
}

describe('live connection', () => {
  let server: Awaited<ReturnType<typeof testServer>>;
  let alice: ParleyClient;
  let bob: ParleyClient;
  const aliceNet = network();
  const bobNet = network();
  const bobHttp = tamperingFetch();
  const bobStore = new MemoryKeyStore();
  let room: string;

  beforeAll(async () => {
    server = await testServer();
    [alice, bob] = await Promise.all([
      registered(server.url, 'alice', { webSocket: aliceNet.factory }),
      registered(server.url, 'bob', { webSocket: bobNet.factory, fetch: bobHttp.fetch, store: bobStore }),
    ]);
    room = (await alice.createRoom('live', { members: ['bob'] })).id;
    await Promise.all([alice.connect(), bob.connect()]);
  });
  afterAll(async () => {
    await Promise.all([alice?.disconnect(), bob?.disconnect()]);
    await server?.close();
  });

  it('[D3] after a dropped connection the client resumes and gets what it missed, in order', async () => {
    const first = next(bob, 'message', (m) => m.text === 'before the drop');
    await alice.send(room, 'before the drop');
    await first;
    const states: string[] = [];
    bob.on('connection', (s) => states.push(s));
    bobNet.ctl.down = true;
    bobNet.ctl.sockets.at(-1)?.close();
    await sleep(100);
    expect(bob.connection).toBe('reconnecting');
    await alice.send(room, 'missed one');
    await alice.send(room, 'missed two');
    const got: DecryptedMessage[] = [];
    bob.on('message', (m) => got.push(m));
    bobNet.ctl.down = false;
    await next(bob, 'message', (m) => m.text === 'missed two');
    expect(got.map((m) => [m.status, m.text])).toEqual([
      ['ok', 'missed one'],
      ['ok', 'missed two'],
    ]);
    expect(states).toContain('online');
  });

  it('[D2] an ack lost with the connection: the SDK resends the same message and gets the original ack', async () => {
    let dropped = 0;
    aliceNet.ctl.keep = (data) => {
      if (dropped === 0 && typeof data === 'string' && data.includes('"type":"ack"')) {
        dropped++;
        // The server committed the message; the ack never arrives because the connection dies now.
        setTimeout(() => aliceNet.ctl.sockets.at(-1)?.close(), 0);
        return false;
      }
      return true;
    };
    const sockets = aliceNet.ctl.sockets.length;
    const { seq } = await alice.send(room, 'exactly once');
    aliceNet.ctl.keep = () => true;
    expect(dropped).toBe(1);
    expect(aliceNet.ctl.sockets.length).toBeGreaterThan(sockets);
    const copies = (await bob.history(room)).filter((m) => m.text === 'exactly once');
    expect(copies.map((m) => m.seq)).toEqual([seq]);
  });

  it('[M6] a missing key is requested from the sender, re-shared, and the message is recovered', async () => {
    const lost = (await alice.createRoom('lossy', { members: ['bob'] })).id;
    // The server "loses" bob's next key shares: it hands them out and deletes them, but bob never sees them.
    let lost1 = 0;
    bobHttp.hooks.after = async (url, body) => {
      if (lost1 > 0 || !url.endsWith('/api/shares') || !body?.shares?.length) return body;
      lost1 = body.shares.length;
      const token = (await bobStore.get<{ token: string }>(`${bob.user}/session`))!.token;
      const ids = body.shares.map((s: { id: number }) => s.id);
      const ack = await fetch(`${server.url}/api/shares/ack`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ids }),
      });
      expect(ack.status).toBe(204);
      return { shares: [] };
    };
    const shown = next(bob, 'message', (m) => m.room === lost);
    const recovered = next(bob, 'recovered', (m) => m.room === lost);
    await alice.send(lost, 'worth the wait');
    expect((await shown).status).toBe('missing_key');
    expect(await recovered).toMatchObject({ status: 'ok', text: 'worth the wait', sender: 'alice' });
    bobHttp.hooks.after = undefined;
    expect(lost1).toBe(1);
  });
});
