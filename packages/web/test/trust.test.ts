/* eslint-disable @typescript-eslint/no-explicit-any -- the rewritten answers are parsed JSON; typing each one
   would hide what the attack changes. */
// Trust I in the browser: a server that downgrades the key derivation or swaps the user's own public keys is
// refused on the sign-in screen, in words, with nothing to click through; and the session token stays in its
// HttpOnly cookie, never in the page's storage. The real API's answers are rewritten in flight (page.route).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { createClient, MemoryKeyStore } from '@parley/sdk';
import { nodeWebSocket } from '@parley/sdk/node';
import { randomBytes, randomId, sealMessage, type RoomEvent } from '@parley/protocol';
import { loadServerKey } from '../../server/src/security/server-key.ts';
import { rechain } from '../../../test/malicious/adversary.ts';
import { STATUS_WORDS } from '../src/ui/chat/MessageItem.tsx';
import { accessibilityViolations, openPerson, SCREENSHOTS, signUp, startStack } from './harness.ts';
import type { Stack } from './harness.ts';

const PASSWORD = 'correct horse battery staple';
let stack: Stack;
let mallorys: { signing: string; encryption: string };
let malloryAccount: { signing: CryptoKey };

beforeAll(async () => {
  await mkdir(SCREENSHOTS, { recursive: true });
  stack = await startStack();
  const first = await openPerson(stack);
  await signUp(first.page, 'alice', PASSWORD);
  await first.context.close();
  // Keys the server could hand alice as her own: another account's.
  const store = new MemoryKeyStore();
  const mallory = createClient({ server: stack.apiUrl, store, webSocket: nodeWebSocket });
  await mallory.register('mallory', PASSWORD);
  const { token } = (await store.get<{ token: string }>('mallory/session'))!;
  const res = await fetch(`${stack.apiUrl}/api/users/mallory/keys`, {
    headers: { authorization: `Bearer ${token}` },
  });
  mallorys = (await res.json()) as { signing: string; encryption: string };
  malloryAccount = (await store.get<{ signing: CryptoKey }>('mallory/account'))!;
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

/** Rewrites the JSON answer of one API path for this page, and records the API paths the page requested. */
async function rewrite(page: Page, path: string, edit: (body: Record<string, any>) => unknown): Promise<string[]> {
  const requested: string[] = [];
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (url.pathname.startsWith('/api/')) requested.push(`${r.method()} ${url.pathname}`);
  });
  await page.route(`**${path}`, async (route) => {
    const response = await route.fetch();
    const body = (await response.json()) as Record<string, any>;
    await route.fulfill({ response, json: edit(body) });
  });
  return requested;
}

async function logIn(page: Page): Promise<void> {
  await page.getByLabel('Username').fill('alice');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
}

describe('the sign-in screen against a lying server', () => {
  it('[K8] a downgraded key derivation is refused in words before the password is used', async () => {
    const { page, context } = await openPerson(stack);
    const requested = await rewrite(page, '/api/prelogin', (b) => ({ ...b, kdf: { ...b.kdf, iterations: 1000 } }));
    await logIn(page);
    const alert = page.getByRole('alert');
    await expect
      .poll(() => alert.textContent())
      .toMatch(
        /^Login refused: the server offered a key derivation of 1000 iterations, below the minimum of 600000; your password was not used\./,
      );
    await page.screenshot({ path: join(SCREENSHOTS, 'login-refused-kdf.png') });
    expect(await accessibilityViolations(page)).toEqual([]);
    expect(requested).toContain('POST /api/prelogin');
    expect(requested).not.toContain('POST /api/login');
    // Nothing to click through: the form is back, and no way past it is offered.
    expect(await page.getByRole('button', { name: /continue|anyway|ignore/i }).count()).toBe(0);
    expect(await page.getByRole('navigation', { name: 'Rooms' }).count()).toBe(0);
    await context.close();
  });

  it("[K7] public keys that are not the halves of alice's private keys are refused in words", async () => {
    const { page, context } = await openPerson(stack);
    await rewrite(page, '/api/login', (b) => ({
      ...b,
      keys: {
        signing: { ...b.keys.signing, public: mallorys.signing },
        encryption: { ...b.keys.encryption, public: mallorys.encryption },
      },
    }));
    await logIn(page);
    const alert = page.getByRole('alert');
    await expect
      .poll(() => alert.textContent())
      .toBe(
        "Login refused: the server's copy of your public keys does not match your private keys. Someone may be trying to read your messages. Tell your server admin.",
      );
    await page.screenshot({ path: join(SCREENSHOTS, 'login-refused-own-keys.png') });
    expect(await page.getByRole('navigation', { name: 'Rooms' }).count()).toBe(0);
    // The honest server again: the same account signs in.
    await page.unrouteAll();
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('navigation', { name: 'Rooms' }).waitFor();
    await context.close();
  });

  it('the session token stays in the HttpOnly cookie: not in the login answer, not in IndexedDB', async () => {
    const { page, context } = await openPerson(stack);
    const answers: Record<string, unknown>[] = [];
    page.on('response', (r) => {
      if (new URL(r.url()).pathname === '/api/login')
        void r.json().then((b: Record<string, unknown>) => answers.push(b));
    });
    await logIn(page);
    await page.getByRole('navigation', { name: 'Rooms' }).waitFor();
    await expect.poll(() => answers.length).toBe(1);
    expect(answers[0]).not.toHaveProperty('token');
    const cookie = (await context.cookies()).find((c) => c.name === '__Host-parley');
    expect(cookie?.httpOnly).toBe(true);
    const stored = await page.evaluate(
      () =>
        new Promise<string>((resolve, reject) => {
          const open = indexedDB.open('parley');
          open.onerror = () => reject(new Error('no database'));
          open.onsuccess = () => {
            const all = open.result.transaction('kv').objectStore('kv').getAll();
            all.onsuccess = () =>
              resolve(JSON.stringify(all.result, (_k, v: unknown) => (v instanceof CryptoKey ? 'key' : v)));
          };
        }),
    );
    expect(stored).toContain('csrfToken');
    expect(stored).not.toContain(cookie!.value);
    expect(stored).not.toContain('"token"');
    await context.close();
  });
});

describe('[R4] [M6] the room view against a lying server', () => {
  it('shows not_member and tampered in words, and a send the log cannot vouch for is refused in words', async () => {
    const { page, context } = await openPerson(stack);
    await logIn(page);
    const nav = page.getByRole('navigation', { name: 'Rooms' });
    await nav.waitFor();
    // bob (a node client) makes a room with alice; mallory never gets in.
    const bobStore = new MemoryKeyStore();
    const bob = createClient({ server: stack.apiUrl, store: bobStore, webSocket: nodeWebSocket });
    await bob.register('bob', PASSWORD);
    const room = (await bob.createRoom('lying', { members: ['alice'] })).id;
    await bob.send(room, 'hello alice');
    const { token } = (await bobStore.get<{ token: string }>('bob/session'))!;
    const real = (await (
      await fetch(`${stack.apiUrl}/api/rooms/${room}/events?after=0&limit=200`, {
        headers: { authorization: `Bearer ${token}` },
      })
    ).json()) as { events: RoomEvent[] };
    // The server slips in a message signed by mallory's real key, rechained and countersigned with its own key.
    const envelope = await sealMessage({
      room,
      sender: 'mallory',
      signingKey: malloryAccount.signing,
      sessionId: randomId(),
      chainKey: randomBytes(32),
      index: 0,
      memberSeq: 2,
      counter: 1,
      clientMsgId: randomId(),
      text: 'from mallory',
    });
    const last = real.events.at(-1)!;
    const slipped = {
      kind: 'message',
      room,
      seq: last.seq + 1,
      ts: Date.now(),
      sender: 'mallory',
      content: envelope,
    };
    // And a message signed by bob's real key in his real session, whose key commitment is not his chain key's
    // [M9]: one ciphertext that would open to another text for another reader. It reads as tampered.
    const bobs = real.events.findLast((e) => e.kind === 'message' && e.sender === 'bob')!;
    if (bobs.kind !== 'message') throw new Error('unreachable');
    const bobAccount = (await bobStore.get<{ signing: CryptoKey }>('bob/account'))!;
    const altered = await sealMessage({
      room,
      sender: 'bob',
      signingKey: bobAccount.signing,
      sessionId: bobs.content.sessionId,
      chainKey: randomBytes(32),
      index: bobs.content.index + 1,
      memberSeq: bobs.content.memberSeq,
      counter: bobs.content.counter + 1,
      clientMsgId: randomId(),
      text: 'not what bob wrote',
    });
    const slippedToo = { ...slipped, seq: last.seq + 2, sender: 'bob', content: altered };
    const forged = await rechain(await loadServerKey(stack.dataDir), [
      ...real.events,
      slipped as RoomEvent,
      slippedToo as RoomEvent,
    ]);
    await page.route(`**/api/rooms/${room}/events**`, async (route) => {
      const q = new URL(route.request().url()).searchParams;
      const after = Number(q.get('after') ?? -1);
      const before = Number(q.get('before') ?? Number.MAX_SAFE_INTEGER);
      const events = forged.events.filter((e) => e.seq > after && e.seq < before);
      await route.fulfill({ json: { events, heads: [forged.head], headSeq: forged.head.seq } });
    });
    await nav.getByRole('link', { name: 'lying' }).click();
    await page.getByText(STATUS_WORDS.not_member).waitFor();
    await page.getByText(STATUS_WORDS.tampered).waitFor();
    expect(await page.getByText('not what bob wrote').count()).toBe(0);
    // Now the server leaves an event out of what it serves after this point: alice's send is refused, in words.
    await page.unrouteAll();
    await page.route(`**/api/rooms/${room}/events**`, async (route) => {
      const q = new URL(route.request().url()).searchParams;
      if (q.get('after') === null) return route.fallback();
      await route.fulfill({ json: { events: [], heads: [], headSeq: forged.head.seq + 2 } });
    });
    await page.getByLabel('Message', { exact: true }).fill('are you there?');
    await page.getByLabel('Message', { exact: true }).press('Enter');
    const refused = page.getByRole('alert').filter({ hasText: 'Not sent' });
    await expect
      .poll(() => refused.textContent(), { timeout: 15_000 })
      .toMatch(/^Not sent: cannot verify who is in this room: the server left out event \d+ of the log\./);
    await page.screenshot({ path: join(SCREENSHOTS, 'not-member-and-refused-send.png') });
    expect(await accessibilityViolations(page)).toEqual([]);
    await bob.logout();
    await context.close();
  });
});
