// Two people in two browser contexts, on a real API and the real web server, in Debian's Chromium.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { member, message, openPerson, openRoom, SCREENSHOTS, send, signUp, startStack } from './harness.ts';
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
  });
});
