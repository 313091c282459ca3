/* eslint-disable @typescript-eslint/no-explicit-any -- these suites read, forge and
   return parsed JSON answers and frames; typing each one would hide what the attack changes. */
// [D4] Readers that stop reading cost bounded memory: a real server process, many sockets that never read,
// a flood of large messages. Each stalled socket is cut off past maxBufferedBytes, the server's resident
// memory (VmRSS, measured from outside) stays within a bound far below what the flood would pile up, and
// a reader that keeps reading still gets everything.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { randomId } from '@parley/protocol';
import { envelope, keyPool, member, registerBody, TestSocket, type TestUser } from '../support/server.ts';
import { startChild, type Child } from '../support/child.ts';

const STALLED = 20;
const MESSAGES = 400;
const CIPHERTEXT = 'A'.repeat(60_000);
const dataDir = mkdtempSync(path.join(tmpdir(), 'parley-d4-'));
let child: Child;
afterAll(async () => {
  await child?.kill9();
  rmSync(dataDir, { recursive: true, force: true });
});

async function post(url: string, body: unknown, token?: string): Promise<any> {
  const res = await fetch(child.url + url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return res.json();
}

async function user(i: number): Promise<TestUser> {
  const pairs = (await keyPool())[i]!;
  const name = `d4${Date.now().toString(36)}${i}`;
  const { body } = await registerBody(name, 'backpressure password', pairs);
  return { name, pairs, token: (await post('/api/register', body)).token } as TestUser;
}

describe('[D4] stalled readers', () => {
  it(`${STALLED} sockets that stop reading are cut off; server memory stays bounded`, async () => {
    child = await startChild(dataDir, {
      MAX_BUFFERED_BYTES: String(512 * 1024),
      RATE_SEND_PER_MIN: '10000000',
      RATE_SEND_BURST: '10000000',
      RATE_FRAMES_PER_MIN: '10000000',
      RATE_FRAMES_BURST: '10000000',
    });
    const [alice, bob] = await Promise.all([user(0), user(1)]);
    const room = randomId();
    await post(
      '/api/rooms',
      {
        create: await member(alice, { type: 'create', room, target: alice.name, name: 'd4', public: false }),
        invites: [await member(alice, { type: 'invite', room, target: bob.name })],
      },
      alice.token,
    );

    const wsUrl = child.url.replace('http', 'ws') + '/api/connect';
    const open = async (u: TestUser) => {
      const s = await TestSocket.open(wsUrl, { authorization: `Bearer ${u.token}` });
      s.send({ type: 'hello', v: 1 });
      await s.next((f) => f.type === 'ready');
      return s;
    };
    const stalled = await Promise.all(Array.from({ length: STALLED }, () => open(bob)));
    for (const s of stalled) (s.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const reader = await open(bob);
    let received = 0;
    reader.ws.on('message', (d: Buffer) => {
      if (String(d).startsWith('{"type":"event"')) received++;
    });
    const sender = await open(alice);
    const rssBefore = child.rss();
    let peak = rssBefore;

    const base = await envelope(alice, room, 1);
    for (let i = 1; i <= MESSAGES; i++) {
      sender.send({
        type: 'send',
        envelope: { ...base, clientMsgId: randomId(), counter: i, ciphertext: CIPHERTEXT },
      });
      if (i % 20 === 0) {
        await sender.next((f) => f.type === 'ack' && f.seq === i + 2, 30_000);
        peak = Math.max(peak, child.rss());
      }
    }
    // The flood is 400 x 80 KB frames = 32 MB per socket: 640 MB for 20 stalled sockets if nothing bounded it.
    // A paused client sees its close only once it reads again: give the server its 1 s terminate, then read.
    await new Promise((r) => setTimeout(r, 2000));
    peak = Math.max(peak, child.rss());
    for (const s of stalled) (s.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    const timeout = new Promise<'open'>((r) => setTimeout(() => r('open'), 20_000));
    const codes = await Promise.all(stalled.map((s) => Promise.race([s.closed.then((c) => c.code), timeout])));
    expect(codes.filter((c) => c !== 1013 && c !== 1006)).toEqual([]);
    for (const s of stalled) expect(s.frames.filter((f) => f.type === 'event').length).toBeLessThan(MESSAGES);
    const deadline = Date.now() + 20_000;
    while (received < MESSAGES && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(received).toBe(MESSAGES);
    console.log(`D4: rss ${Math.round(rssBefore / 2 ** 20)} MB -> peak ${Math.round(peak / 2 ** 20)} MB`);
    expect(peak - rssBefore).toBeLessThan(200 * 2 ** 20);
    reader.close();
    sender.close();
  }, 180_000);
});
