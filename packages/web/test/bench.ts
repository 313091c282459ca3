// Client figures, measured in Chromium on a real stack: `node --import tsx packages/web/test/bench.ts`.
// - bundle size (gzip) of the production build
// - time from clicking "Log in" to the message list on screen (PBKDF2 600 000 + key unwrap included)
// - time to render 1,000 history messages (all pages fetched, decrypted and verified; then a pure re-render)
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createClient, MemoryKeyStore } from '@parley/sdk';
import { nodeWebSocket } from '@parley/sdk/node';
import { bundleSdk, measureSdk, writeHistory } from './bench-sdk.ts';
import { openPerson, openRoom, signUp, startStack } from './harness.ts';

const PASSWORD = 'correct horse battery staple';
const COUNT = 1_000;

async function gzipSize(distDir: string): Promise<{ js: number; css: number }> {
  const files = await readdir(join(distDir, 'assets'));
  const size = async (ext: string) => {
    let total = 0;
    for (const f of files.filter((n) => n.endsWith(ext)))
      total += gzipSync(await readFile(join(distDir, 'assets', f))).length;
    return total;
  };
  return { js: await size('.js'), css: await size('.css') };
}

const sdkBundle = await bundleSdk();
const stack = await startStack(sdkBundle);
try {
  const reader = await openPerson(stack);
  const { page } = reader;
  await signUp(page, 'reader', PASSWORD);
  await page.getByRole('button', { name: 'Log out' }).click();
  // A second reader for the SDK-only figures: a member of general before the history is written, so its key
  // shares wait on the server for its first login in Chromium.
  const sdkReader = createClient({ server: stack.apiUrl, store: new MemoryKeyStore(), webSocket: nodeWebSocket });
  await sdkReader.register('sdkreader', PASSWORD);
  await sdkReader.logout();
  await writeHistory(stack, PASSWORD, COUNT);

  await page.getByLabel('Username').fill('reader');
  await page.getByLabel('Password').fill(PASSWORD);
  const t0 = Date.now();
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.locator('.messages li.message').first().waitFor({ timeout: 60_000 });
  const loginMs = Date.now() - t0;

  // Scroll-back as a reader does it: "Load older messages" whenever it is there (the list also loads a page by
  // itself when its top edge comes into view), until all 1,000 are on screen.
  const scrollBackMs = await page.evaluate(async (count) => {
    const start = performance.now();
    while (document.querySelectorAll('.messages li.message').length < count) {
      const more = [...document.querySelectorAll('button')].find((b) => b.textContent === 'Load older messages');
      more?.click();
      await new Promise((r) => requestAnimationFrame(r));
      if (performance.now() - start > 120_000) throw new Error('scroll-back did not reach the start');
    }
    return performance.now() - start;
  }, COUNT);

  // A pure render: leave the room and come back; the 1,000 decrypted messages are mounted in one go.
  const nav = page.getByRole('navigation', { name: 'Rooms' });
  await nav.getByLabel('New room name').fill('elsewhere');
  await nav.getByRole('button', { name: 'Create room' }).click();
  await page.getByRole('heading', { name: 'elsewhere', exact: true }).waitFor();
  const renderMs = await page.evaluate(async (count) => {
    const start = performance.now();
    const link = [...document.querySelectorAll('nav a')].find((a) => a.textContent?.startsWith('general'));
    (link as HTMLElement).click();
    while (document.querySelectorAll('.messages li.message').length < count) {
      await new Promise((r) => requestAnimationFrame(r));
    }
    await new Promise((r) => requestAnimationFrame(r));
    return performance.now() - start;
  }, COUNT);
  await openRoom(page, 'general');

  console.log(JSON.stringify({ loginToMessageListMs: loginMs, scrollBack1000Ms: Math.round(scrollBackMs) }));
  const sdk = await measureSdk(stack, { user: 'sdkreader', password: PASSWORD, count: COUNT });
  const size = await gzipSize(stack.distDir);
  console.log(
    JSON.stringify(
      {
        gzipBytes: size,
        loginToMessageListMs: loginMs,
        scrollBack1000Ms: Math.round(scrollBackMs),
        render1000Ms: Math.round(renderMs),
        sdk,
      },
      null,
      2,
    ),
  );
} finally {
  await stack.close();
}
