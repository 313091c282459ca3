// Issue 24 in Chromium [M2]: a message whose key share never reached alice's browser says who it waits for,
// and turns into its text in place, with no reload, once its sender's client is next online and answers the
// request the browser left on the server.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, MemoryKeyStore } from '@parley/sdk';
import { nodeWebSocket } from '@parley/sdk/node';
import {
  accessibilityViolations,
  message,
  openPerson,
  openRoom,
  SCREENSHOTS,
  signUp,
  startStack,
  type Stack,
} from './harness.ts';

const PASSWORD = 'correct horse battery staple';
let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
}, 120_000);
afterAll(async () => {
  await stack?.close();
});

describe('[M2] a missing key heals in the browser', () => {
  it('"waiting for the key from bob" becomes the message when bob is next online', async () => {
    const alice = await openPerson(stack);
    await signUp(alice.page, 'alice', PASSWORD);
    // bob's shares to alice never reach the server (the server "dropped" them); bob's client believes she has
    // the session, so only her request can bring it.
    let dropped = 0;
    const lossy: typeof fetch = (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      if (
        url.endsWith('/shares') &&
        init?.method === 'POST' &&
        typeof init.body === 'string' &&
        init.body.includes('"recipient":"alice"')
      ) {
        dropped++;
        return Promise.resolve(new Response(null, { status: 204 }));
      }
      return fetch(input, init);
    };
    const bobStore = new MemoryKeyStore();
    const bob = createClient({ server: stack.apiUrl, store: bobStore, webSocket: nodeWebSocket, fetch: lossy });
    await bob.register('bob', PASSWORD);
    const room = await bob.createRoom('patience', { members: ['alice'] });
    await bob.send(room.id, 'worth the wait'); // bob never connects: offline, he cannot hear the request
    expect(dropped).toBe(1);

    await openRoom(alice.page, 'patience');
    const waiting = alice.page.getByText(/Waiting for the key from bob/);
    await waiting.waitFor();
    await alice.page.screenshot({ path: join(SCREENSHOTS, 'waiting-for-key.png') });
    expect(await accessibilityViolations(alice.page)).toEqual([]);

    // bob comes online (a fresh client on his device: his sessions are in its store).
    const bobAgain = createClient({ server: stack.apiUrl, store: bobStore, webSocket: nodeWebSocket });
    expect(await bobAgain.resume()).toBe(true);
    await bobAgain.connect();
    await message(alice.page, 'worth the wait').waitFor();
    expect(await waiting.count()).toBe(0);
    await alice.page.screenshot({ path: join(SCREENSHOTS, 'key-arrived.png') });
    await bobAgain.disconnect();
    await alice.context.close();
  }, 120_000);
});
