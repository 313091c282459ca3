// What happens around the chat, in Chromium against a real API: a contact's keys changing on the server, the API
// going away and coming back, and what a reload keeps (unread counts, membership notices from history).
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, MemoryKeyStore } from '@parley/sdk';
import type { ParleyClient } from '@parley/sdk';
import { nodeWebSocket } from '@parley/sdk/node';
import { message, openPerson, openRoom, signUp, startStack } from './harness.ts';
import type { Person, Stack } from './harness.ts';

const PASSWORD = 'correct horse battery staple';
let stack: Stack;
let alice: Person;
let bob: ParleyClient;

async function nodePerson(name: string): Promise<ParleyClient> {
  const client = createClient({ server: stack.apiUrl, store: new MemoryKeyStore(), webSocket: nodeWebSocket });
  await client.register(name, PASSWORD);
  return client;
}

const banner = (person: Person) => person.page.getByRole('status', { name: 'Connection' });
const roomLink = (person: Person, name: string) =>
  person.page.getByRole('navigation', { name: 'Rooms' }).getByRole('link', { name });

beforeAll(async () => {
  stack = await startStack();
  alice = await openPerson(stack);
  await signUp(alice.page, 'alice', PASSWORD);
  bob = await nodePerson('bob');
  await bob.connect();
}, 120_000);

afterAll(async () => {
  await bob?.logout().catch(() => undefined);
  await stack?.close();
});

describe('the web client around the chat', () => {
  it('[D3] says "reconnecting" while the API is down and resumes when it is back', async () => {
    await expect.poll(() => banner(alice).getAttribute('data-state')).toBe('online');
    await stack.stopApi();
    await expect.poll(() => banner(alice).getAttribute('data-state')).toMatch(/^(reconnecting|offline)$/);
    expect(await banner(alice).textContent()).toMatch(/reconnecting|Offline/);
    await stack.startApi();
    await expect.poll(() => banner(alice).getAttribute('data-state'), { timeout: 30_000 }).toBe('online');
    await bob.send('general', 'after the restart');
    await message(alice.page, 'after the restart').waitFor({ timeout: 15_000 });
  });

  it('unread counts survive a reload, and history brings back the membership notices', async () => {
    await openRoom(alice.page, 'general');
    const side = await bob.createRoom('side', { members: ['alice'] });
    await roomLink(alice, 'side').waitFor();
    await bob.send(side.id, 'one');
    await bob.send(side.id, 'two');
    await roomLink(alice, 'side').getByLabel('2 unread').waitFor();
    await alice.page.reload();
    await roomLink(alice, 'side').getByLabel('2 unread').waitFor();
    await openRoom(alice.page, 'side');
    await message(alice.page, 'two').waitFor();
    // Read from history after the reload, not from the live stream.
    await alice.page.locator('li.notice', { hasText: 'bob invited alice' }).waitFor();
    await alice.page.locator('li.notice', { hasText: 'bob created the room' }).waitFor();
    await alice.page.reload();
    await openRoom(alice.page, 'general');
    await message(alice.page, 'after the restart').waitFor();
    expect(await roomLink(alice, 'side').locator('.unread').count()).toBe(0);
  });

  it('[K6] a second key for a contact on the server raises the loud warning until it is verified', async () => {
    await openRoom(alice.page, 'general');
    await message(alice.page, 'after the restart').waitFor();
    // The server (or someone who took it over) now serves other keys for bob: mallory's.
    const mallory = await nodePerson('mallory');
    const db = new Database(join(stack.dataDir, 'parley.db'));
    try {
      const row = db.prepare('SELECT keys FROM users WHERE id = ?').get('mallory') as { keys: string };
      db.prepare('UPDATE users SET keys = ? WHERE id = ?').run(row.keys, 'bob');
    } finally {
      db.close();
    }
    await mallory.logout();
    await alice.page.reload();
    const warning = alice.page.getByRole('alert').filter({ hasText: "bob's encryption keys changed" });
    await warning.waitFor({ timeout: 15_000 });
    // Messages bob signed before are still checked against the keys pinned for him, and still read.
    await message(alice.page, 'after the restart').waitFor();
    await warning.getByRole('button', { name: "Review bob's safety number" }).click();
    const dialog = alice.page.getByRole('dialog', { name: 'Safety number with bob' });
    await dialog.getByRole('alert').filter({ hasText: 'not the ones you saw before' }).waitFor();
    // [K6] The old and the new number, side by side; the button pins the keys of the new one.
    const before = await dialog.getByTestId('safety-number').textContent();
    const shown = await dialog.getByTestId('new-safety-number').textContent();
    expect(shown).toMatch(/^\d{60}$/);
    expect(shown).not.toBe(before);
    await dialog.getByRole('button', { name: 'Mark new keys as verified' }).click();
    await expect.poll(() => warning.count()).toBe(0);
    await expect.poll(() => dialog.getByTestId('safety-number').textContent()).toBe(shown);
    await expect.poll(() => dialog.getByTestId('new-safety-number').count()).toBe(0);
  });
});
