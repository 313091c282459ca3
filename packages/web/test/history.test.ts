// Issue 24 in Chromium [R5]: creating a room asks whether people invited later read earlier messages. alice makes
// one room of each kind, writes in it, and invites carol; carol's browser shows the earlier message in the
// "shared" room, and "Sent before you joined" in the other.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import {
  accessibilityViolations,
  message,
  openPerson,
  openRoom,
  SCREENSHOTS,
  send,
  signUp,
  startStack,
  type Stack,
} from './harness.ts';
import { STATUS_WORDS } from '../src/ui/chat/MessageItem.tsx';

const PASSWORD = 'correct horse battery staple';
let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
}, 120_000);
afterAll(async () => {
  await stack?.close();
});

async function createRoom(page: Page, name: string, earlier: RegExp): Promise<void> {
  const nav = page.getByRole('navigation', { name: 'Rooms' });
  await nav.getByLabel('New room name').fill(name);
  await nav.getByRole('group', { name: 'Earlier messages' }).getByRole('radio', { name: earlier }).check();
  await nav.getByRole('button', { name: 'Create room' }).click();
  await page.getByRole('heading', { name, exact: true }).waitFor();
}

describe('[R5] who reads earlier messages, asked when a room is created', () => {
  it('carol, invited later, reads the "shared" room and sees "sent before you joined" in the other', async () => {
    const alice = await openPerson(stack);
    const carol = await openPerson(stack);
    await signUp(alice.page, 'alice', PASSWORD);
    await signUp(carol.page, 'carol', PASSWORD);
    const nav = alice.page.getByRole('navigation', { name: 'Rooms' });
    // New members can read earlier messages unless the creator says otherwise.
    expect(await nav.getByRole('radio', { name: 'New members can read earlier messages' }).isChecked()).toBe(true);
    await alice.page.screenshot({ path: join(SCREENSHOTS, 'create-room-history.png') });
    expect(await accessibilityViolations(alice.page)).toEqual([]);

    for (const [room, earlier] of [
      ['open book', /New members can read/],
      ['memoirs', /Only from when they joined/],
    ] as const) {
      await createRoom(alice.page, room, earlier);
      await send(alice.page, `before carol, in ${room}`);
      await message(alice.page, `before carol, in ${room}`).waitFor();
      await alice.page.getByLabel('Invite member').fill('carol');
      await alice.page.getByRole('button', { name: 'Invite' }).click();
      await carol.page.getByRole('navigation', { name: 'Rooms' }).getByRole('link', { name: room }).waitFor();
    }

    await openRoom(carol.page, 'open book');
    await message(carol.page, 'before carol, in open book').waitFor();
    await openRoom(carol.page, 'memoirs');
    await carol.page.getByText(STATUS_WORDS.before_join).waitFor();
    expect(await message(carol.page, 'before carol, in memoirs').count()).toBe(0);
    await carol.page.screenshot({ path: join(SCREENSHOTS, 'sent-before-you-joined.png') });
    expect(await accessibilityViolations(carol.page)).toEqual([]);
    await Promise.all([alice.context.close(), carol.context.close()]);
  }, 120_000);
});
