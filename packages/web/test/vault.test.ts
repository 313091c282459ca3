// Issue 23 in Chromium: the history scenario with browser contexts as devices. bob, carol and alice's own
// command-line device write 300 messages; alice's browser signs out and in, then a second and a third browser
// (new contexts: nothing on them) sign in with every sender offline. Each one shows all 300 as readable, and
// alice's verification of bob follows her account [K9].
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { createClient, MemoryKeyStore, type ParleyClient } from '@parley/sdk';
import { nodeWebSocket } from '@parley/sdk/node';
import { member, message, openPerson, openRoom, SCREENSHOTS, signUp, startStack, type Stack } from './harness.ts';

const PASSWORD = 'correct horse battery staple';
const MESSAGES = 300;
let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
}, 120_000);
afterAll(async () => {
  await stack?.close();
});

const nodeDevice = (): ParleyClient =>
  createClient({ server: stack.apiUrl, store: new MemoryKeyStore(), webSocket: nodeWebSocket });

async function logIn(page: Page): Promise<void> {
  await page.getByLabel('Username').fill('alice');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('navigation', { name: 'Rooms' }).waitFor();
}

/** Opens the room and loads every older page; then how many messages it shows, and how many not as text. */
async function readAll(page: Page): Promise<{ shown: number; unreadable: number }> {
  await openRoom(page, 'history');
  const edge = page.locator('.history-edge');
  while (!(await edge.getByText('Start of the room').isVisible())) {
    const older = edge.getByRole('button', { name: 'Load older messages' });
    if (await older.isVisible()) await older.click();
    else await page.waitForTimeout(50);
  }
  const messages = page.getByRole('list', { name: 'Conversation' }).locator('li.message');
  // A message whose key arrives after the page was shown updates in place (no reload): give it a moment.
  await expect.poll(() => messages.locator('.status').count(), { timeout: 5000 }).toBe(0);
  return { shown: await messages.count(), unreadable: await messages.locator('.status').count() };
}

describe('[K9] history on every browser of an account', () => {
  it('after logout and login, and in a second and third browser, all 300 messages read, senders offline', async () => {
    const first = await openPerson(stack);
    await signUp(first.page, 'alice', PASSWORD);
    const [bob, carol, aliceCli] = [nodeDevice(), nodeDevice(), nodeDevice()];
    await bob.register('bob', PASSWORD);
    await carol.register('carol', PASSWORD);
    await aliceCli.login('alice', PASSWORD);
    const room = await bob.createRoom('history', { members: ['alice', 'carol'] });
    // alice compares safety numbers with bob once, in her first browser.
    await openRoom(first.page, 'history');
    await member(first.page, 'bob').getByRole('button', { name: 'Safety number' }).click();
    const dialog = first.page.getByRole('dialog', { name: 'Safety number with bob' });
    await dialog.getByRole('button', { name: 'Mark as verified' }).click();
    await dialog.getByText('bob is verified.').waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();

    const senders = [bob, carol, aliceCli];
    for (let i = 0; i < MESSAGES; i++) await senders[i % 3]!.send(room.id, `message ${i}`);
    await message(first.page, `message ${MESSAGES - 1}`).waitFor();
    for (const s of senders) await s.logout(); // every sender offline from here on

    await first.page.getByRole('button', { name: 'Log out' }).click();
    await logIn(first.page);
    const reads = [await readAll(first.page)];
    for (const n of [2, 3]) {
      const device = await openPerson(stack);
      await logIn(device.page);
      reads.push(await readAll(device.page));
      await message(device.page, 'message 0').getByText('Verified', { exact: true }).waitFor();
      if (n === 3) await device.page.screenshot({ path: join(SCREENSHOTS, 'third-device-history.png') });
      await device.context.close();
    }
    expect(reads).toEqual([
      { shown: MESSAGES, unreadable: 0 },
      { shown: MESSAGES, unreadable: 0 },
      { shown: MESSAGES, unreadable: 0 },
    ]);
    await first.context.close();
  }, 300_000);
});
