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

/**
 * `sender`, whose shares to `recipient` never reach the server (the server "dropped" them); the sender's client
 * believes the recipient has the session, so only her request can bring it.
 */
async function senderWhoseSharesAreLost(sender: string, recipient: string) {
  let dropped = 0;
  const lossy: typeof fetch = (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (
      url.endsWith('/shares') &&
      init?.method === 'POST' &&
      typeof init.body === 'string' &&
      init.body.includes(`"recipient":"${recipient}"`)
    ) {
      dropped++;
      return Promise.resolve(new Response(null, { status: 204 }));
    }
    return fetch(input, init);
  };
  const store = new MemoryKeyStore();
  const c = createClient({ server: stack.apiUrl, store, webSocket: nodeWebSocket, fetch: lossy });
  await c.register(sender, PASSWORD);
  return { sender: c, store, dropped: () => dropped };
}

describe('[M2] a missing key heals in the browser', () => {
  it('"waiting for the key from bob" becomes the message when bob is next online', async () => {
    const alice = await openPerson(stack);
    await signUp(alice.page, 'alice', PASSWORD);
    const { sender: bob, store: bobStore, dropped } = await senderWhoseSharesAreLost('bob', 'alice');
    const room = await bob.createRoom('patience', { members: ['alice'] });
    await bob.send(room.id, 'worth the wait'); // bob never connects: offline, he cannot hear the request
    expect(dropped()).toBe(1);

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

  it('[M6] when ben leaves before sending the key, the message says nobody can send it now', async () => {
    const amy = await openPerson(stack);
    await signUp(amy.page, 'amy', PASSWORD);
    const { sender: ben, dropped } = await senderWhoseSharesAreLost('ben', 'amy');
    const room = await ben.createRoom('goodbye', { members: ['amy'] });
    await ben.send(room.id, 'lost with ben');
    expect(dropped()).toBe(1);
    await openRoom(amy.page, 'goodbye');
    await amy.page.getByText(/Waiting for the key from ben/).waitFor();

    // Live, with no reload: the placeholder changes when ben's leave reaches amy's browser.
    await ben.leave(room.id);
    await amy.page.getByText(/The key never reached you, and ben has left the room/).waitFor();
    expect(await amy.page.getByText(/Waiting for the key from ben/).count()).toBe(0);
    await amy.page.screenshot({ path: join(SCREENSHOTS, 'key-sender-left.png') });
    expect(await accessibilityViolations(amy.page)).toEqual([]);
    await amy.context.close();
  }, 120_000);
});
