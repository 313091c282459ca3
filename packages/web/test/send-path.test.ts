// Issue 25 in Chromium: once a room has had its first message, sending from the web client is one WebSocket
// frame and no HTTP request (it used to cost 6: rooms list, log read, history fallback, read-ahead, shares).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, MemoryKeyStore } from '@parley/sdk';
import { nodeWebSocket } from '@parley/sdk/node';
import { message, openPerson, openRoom, send, signUp, startStack, type Stack } from './harness.ts';

const PASSWORD = 'correct horse battery staple';
let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
}, 120_000);
afterAll(async () => {
  await stack?.close();
});

describe('the web send path', () => {
  it('steady-state sends make no HTTP request', async () => {
    const alice = await openPerson(stack);
    await signUp(alice.page, 'alice', PASSWORD);
    const bob = createClient({ server: stack.apiUrl, store: new MemoryKeyStore(), webSocket: nodeWebSocket });
    await bob.register('bob', PASSWORD);
    await bob.createRoom('quick', { members: ['alice'] });
    await bob.connect();
    await openRoom(alice.page, 'quick');
    await send(alice.page, 'first');
    await message(alice.page, 'first').waitFor();
    // The first message's new session goes to the account vault once (a write, and the read its `vault {}`
    // frame causes): let that settle before counting.
    await alice.page.waitForTimeout(1_000);

    const requests: string[] = [];
    alice.page.on('request', (r) => {
      if (r.resourceType() !== 'websocket') requests.push(`${r.method()} ${new URL(r.url()).pathname}`);
    });
    for (let i = 0; i < 3; i++) {
      const seen = new Promise<void>((resolve) => {
        const off = bob.on('message', (m) => {
          if (m.text !== `steady ${i}`) return;
          off();
          resolve();
        });
      });
      await send(alice.page, `steady ${i}`);
      await seen;
      await message(alice.page, `steady ${i}`).waitFor();
    }
    await alice.page.waitForTimeout(500);
    expect(requests).toEqual([]);
    await bob.disconnect();
    await alice.context.close();
  }, 120_000);
});
