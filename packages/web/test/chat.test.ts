// Two people in two browser contexts, on a real API and the real web server, in Debian's Chromium.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, MemoryKeyStore } from '@parley/sdk';
import { nodeWebSocket } from '@parley/sdk/node';
import {
  accessibilityViolations,
  member,
  message,
  openPerson,
  openRoom,
  SCREENSHOTS,
  send,
  signUp,
  startStack,
} from './harness.ts';
import type { Person, Stack } from './harness.ts';

const PASSWORD = 'correct horse battery staple';
let stack: Stack;
let alice: Person;
let bob: Person;

beforeAll(async () => {
  await mkdir(SCREENSHOTS, { recursive: true });
  stack = await startStack();
  alice = await openPerson(stack);
  bob = await openPerson(stack);
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

/** alice creates a private room `name` and invites bob in her browser; bob's link to it, once it shows. */
async function aliceMakesRoomWithBob(name: string) {
  const nav = alice.page.getByRole('navigation', { name: 'Rooms' });
  await nav.getByLabel('New room name').fill(name);
  await nav.getByRole('button', { name: 'Create room' }).click();
  await alice.page.getByRole('heading', { name, exact: true }).waitFor();
  await alice.page.getByLabel('Invite member').fill('bob');
  await alice.page.getByRole('button', { name: 'Invite' }).click();
  const link = bob.page.getByRole('navigation', { name: 'Rooms' }).getByRole('link', { name, exact: true });
  await link.waitFor();
  return link;
}

describe('the web client in Chromium', () => {
  it('[K2] refuses a short or common password before anything is sent', async () => {
    const { page } = alice;
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('short');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('at least 8 characters');
    await page.getByLabel('Password').fill('password1');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('most common');
    // The sign-in form with its error, as a screen reader or a keyboard meets it.
    expect(await accessibilityViolations(page)).toEqual([]);
  });

  it('[R3] two people sign up, land in "general" and chat', async () => {
    await signUp(alice.page, 'alice', PASSWORD);
    await signUp(bob.page, 'bob', PASSWORD);
    await openRoom(alice.page, 'general');
    await openRoom(bob.page, 'general');
    await send(bob.page, 'hello alice');
    await message(alice.page, 'hello alice').waitFor();
    expect(await message(alice.page, 'hello alice').locator('.sender').textContent()).toBe('bob');
    await send(alice.page, 'hi bob');
    await message(bob.page, 'hi bob').waitFor();
    await alice.page.screenshot({ path: join(SCREENSHOTS, 'general-alice.png') });
    expect(await accessibilityViolations(alice.page)).toEqual([]);
  });

  it('Enter sends, Shift+Enter starts a new line', async () => {
    const box = alice.page.getByLabel('Message', { exact: true });
    await box.fill('first line');
    await box.press('Shift+Enter');
    await box.pressSequentially('second line');
    expect(await box.inputValue()).toBe('first line\nsecond line');
    await box.press('Enter');
    await message(bob.page, 'first line\nsecond line').waitFor();
    expect(await box.inputValue()).toBe('');
  });

  it('shows who is online and who is typing', async () => {
    await expect.poll(() => member(alice.page, 'bob').getAttribute('data-online')).toBe('true');
    await expect.poll(() => member(bob.page, 'alice').getAttribute('data-online')).toBe('true');
    expect(await alice.page.getByRole('status', { name: 'Connection' }).textContent()).toBe('Online');
    await bob.page.getByLabel('Message', { exact: true }).pressSequentially('typing…');
    await expect
      .poll(() => alice.page.getByTestId('typing').textContent(), { timeout: 5_000 })
      .toBe('bob is typing…');
    await bob.page.getByLabel('Message', { exact: true }).fill('');
  });

  it('[R2] a private room: create, invite, chat; unread counts elsewhere', async () => {
    await aliceMakesRoomWithBob('plans');
    await send(alice.page, 'secret plans');
    // bob is still in "general": the new message counts as unread in the room list.
    const plans = bob.page.getByRole('navigation', { name: 'Rooms' }).getByRole('link', { name: /plans/ });
    await expect.poll(() => plans.getByLabel(/unread/).textContent()).toBe('1');
    await openRoom(bob.page, 'plans');
    await message(bob.page, 'secret plans').waitFor();
    expect(await plans.getByLabel(/unread/).count()).toBe(0);
    await send(bob.page, 'count me in');
    await message(alice.page, 'count me in').waitFor();
    await alice.page.screenshot({ path: join(SCREENSHOTS, 'private-room.png') });
    expect(await accessibilityViolations(alice.page)).toEqual([]);
  });

  it('[M7] markup in a message is shown as text and never runs', async () => {
    const attack = '<img src=x onerror=alert(1)>';
    await send(alice.page, attack);
    const item = message(bob.page, attack);
    await item.waitFor();
    expect(await item.locator('.text').textContent()).toBe(attack);
    expect(await bob.page.locator('.messages img').count()).toBe(0);
    await bob.page.waitForTimeout(300);
    expect(bob.dialogs).toEqual([]);
    expect(alice.dialogs).toEqual([]);
  });

  it('[K6] the safety number can be compared and marked verified', async () => {
    await openRoom(alice.page, 'plans');
    await member(alice.page, 'bob').getByRole('button', { name: 'Safety number' }).click();
    const dialog = alice.page.getByRole('dialog', { name: 'Safety number with bob' });
    const digits = await dialog.getByTestId('safety-number').textContent();
    expect(digits?.replace(/\D/g, '')).toHaveLength(60);
    await dialog.getByRole('button', { name: 'Mark as verified' }).click();
    await dialog.getByText('bob is verified.').waitFor();
    await alice.page.screenshot({ path: join(SCREENSHOTS, 'safety-number.png') });
    expect(await accessibilityViolations(alice.page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Close' }).click();
    // bob's side shows the same number.
    await member(bob.page, 'alice').getByRole('button', { name: 'Safety number' }).click();
    const bobDigits = await bob.page.getByTestId('safety-number').textContent();
    expect(bobDigits).toBe(digits);
    await bob.page.getByRole('button', { name: 'Close' }).click();
    await send(bob.page, 'verified now?');
    await message(alice.page, 'verified now?').getByText('Verified', { exact: true }).waitFor();
  });

  it('[R3] a direct message is a private room of two, named after the other person', async () => {
    const nav = alice.page.getByRole('navigation', { name: 'Rooms' });
    await nav.getByLabel('Start a direct chat with').fill('bob');
    await nav.getByRole('button', { name: 'Start chat' }).click();
    await alice.page.getByRole('heading', { name: '@bob', exact: true }).waitFor();
    await send(alice.page, 'just between us');
    await openRoom(bob.page, '@alice');
    await message(bob.page, 'just between us').waitFor();
    // [R4] A room someone else named "alice & bob", with a third member, is not shown as a direct message.
    const mallory = createClient({ server: stack.apiUrl, store: new MemoryKeyStore(), webSocket: nodeWebSocket });
    await mallory.register('mallory', PASSWORD);
    await mallory.createRoom('alice & bob', { members: ['alice', 'bob'] });
    await mallory.logout();
    const nav2 = alice.page.getByRole('navigation', { name: 'Rooms' });
    await nav2.getByRole('link', { name: 'alice & bob', exact: true }).waitFor();
    expect(await nav2.getByRole('link', { name: '@bob', exact: true }).count()).toBe(1);
  });

  it('[R2] [M3] an admin makes a member admin, then removes a member from the room', async () => {
    const bobsTeam = await aliceMakesRoomWithBob('team');
    await member(alice.page, 'bob').waitFor();
    await member(alice.page, 'bob').getByRole('button', { name: 'Make admin' }).click();
    await member(alice.page, 'bob').getByText('admin', { exact: true }).waitFor();
    expect(await member(alice.page, 'bob').getByRole('button', { name: 'Make admin' }).count()).toBe(0);
    await alice.page.screenshot({ path: join(SCREENSHOTS, 'member-admin.png') });
    expect(await accessibilityViolations(alice.page)).toEqual([]);
    await openRoom(bob.page, 'team');
    await member(alice.page, 'bob').getByRole('button', { name: 'Remove from room' }).click();
    await expect.poll(() => member(alice.page, 'bob').count()).toBe(0);
    await alice.page.locator('li.notice', { hasText: 'alice removed bob' }).waitFor();
    // And bob, who had the room open, is told, and is back in "general" with the room gone from his list.
    await expect.poll(() => bob.page.getByRole('alert').textContent()).toContain('alice removed you from team.');
    await bob.page.getByRole('heading', { name: 'general', exact: true }).waitFor();
    await expect.poll(() => bobsTeam.count(), { timeout: 15_000 }).toBe(0);
    await bob.page.getByRole('alert').getByRole('button', { name: 'Dismiss' }).click();
    await openRoom(alice.page, 'general');
  });

  it('leaving a room is asked first; then the room is gone from the list and the others see "bob left"', async () => {
    const bobsClub = await aliceMakesRoomWithBob('book club');
    await openRoom(bob.page, 'book club');
    // "general" is the server's meeting place: no way out of it from here.
    await openRoom(bob.page, 'general');
    expect(await bob.page.getByRole('button', { name: 'Leave room' }).count()).toBe(0);
    await openRoom(bob.page, 'book club');
    await bob.page.getByRole('button', { name: 'Leave room' }).click();
    const asked = bob.page.getByRole('group', { name: 'Leave this room?' });
    await asked.getByText('Leave book club? Its messages will no longer be shown to you.').waitFor();
    await bob.page.screenshot({ path: join(SCREENSHOTS, 'leave-room.png') });
    expect(await accessibilityViolations(bob.page)).toEqual([]);
    // The keyboard lands on the safe answer; Escape (or Stay) keeps the room, and gives the focus back.
    const focused = () => bob.page.evaluate(() => document.activeElement?.textContent);
    expect(await focused()).toBe('Stay');
    await bob.page.keyboard.press('Escape');
    expect(await focused()).toBe('Leave room');
    await bob.page.getByRole('button', { name: 'Leave room' }).click();
    await asked.getByRole('button', { name: 'Stay' }).click();
    expect(await bobsClub.count()).toBe(1);
    await bob.page.getByRole('button', { name: 'Leave room' }).click();
    await asked.getByRole('button', { name: 'Leave', exact: true }).click();
    await bob.page.getByRole('heading', { name: 'general', exact: true }).waitFor();
    await expect.poll(() => bobsClub.count()).toBe(0);
    await alice.page.locator('li.notice', { hasText: 'bob left' }).waitFor();
    await expect.poll(() => member(alice.page, 'bob').count()).toBe(0);
    await openRoom(alice.page, 'general');
  });

  it('reload keeps you signed in, with history; closing the tab shows you offline', async () => {
    await bob.page.reload();
    await bob.page.getByRole('navigation', { name: 'Rooms' }).waitFor();
    expect(await bob.page.getByTestId('current-user').textContent()).toBe('bob');
    await message(bob.page, 'hello alice').waitFor();
    await bob.page.close();
    await expect.poll(() => member(alice.page, 'bob').getAttribute('data-online')).toBe('false');
    bob.page = await bob.context.newPage();
    await bob.page.goto(stack.webUrl);
    await bob.page.getByRole('navigation', { name: 'Rooms' }).waitFor();
    await expect.poll(() => member(alice.page, 'bob').getAttribute('data-online')).toBe('true');
  });

  it('log out wipes the keys from this browser and shows you offline', async () => {
    await bob.page.getByRole('button', { name: 'Log out' }).click();
    await bob.page.getByRole('button', { name: 'Log in' }).waitFor();
    const databases = await bob.page.evaluate(async () => {
      const dbs = await indexedDB.databases();
      return dbs.map((d) => d.name);
    });
    expect(databases).not.toContain('parley');
    await bob.page.reload();
    await bob.page.getByRole('button', { name: 'Log in' }).waitFor();
    await expect.poll(() => member(alice.page, 'bob').getAttribute('data-online')).toBe('false');
    // And logging in again brings the history back, decrypted with the keys unwrapped from the server.
    await bob.page.getByLabel('Username').fill('bob');
    await bob.page.getByLabel('Password').fill(PASSWORD);
    await bob.page.getByRole('button', { name: 'Log in' }).click();
    await message(bob.page, 'hi bob').waitFor();
  });
});
